"""How an action is described on the wire, once: the ``kind`` values it is sent as and its fields,
each with the kernel's check and its type in JavaScript. An action is a frozen dataclass, a
``WireAction`` whose fields are ``wire`` fields: ``protocol.py`` parses messages with them, and
``scripts/generate_protocol.py`` writes the front end's typedefs from them
(``js/generated/protocol.js``), so that the two sides cannot drift apart."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

WIRE = "wire"  # the key of a wire field's description in its dataclass field's metadata


@dataclasses.dataclass(frozen=True)
class WireField:
    """A field as the browser sends it: its JSDoc type, its check (the value as sent -> the
    action's value, or a ValueError that says what is wrong) and whether it may be left out."""

    js: str
    check: Callable[[Any], Any]
    optional: bool = False


def wire(js: str, check: Callable[[Any], Any], default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field that the browser sends; with a ``default``, one it may leave out."""
    optional = default is not dataclasses.MISSING
    return dataclasses.field(default=default, metadata={WIRE: WireField(js, check, optional)})


Action = TypeVar("Action", bound="WireAction")


class WireAction:
    """An action the browser sends: ``KINDS``, the ``kind`` values it is sent as (most actions
    have one), and its fields, the dataclass's ``wire`` fields unless ``wire_fields`` says
    otherwise. ``READ_ONLY``: it only asks for something, so that its answer keeps the status
    and error lines as they were."""

    KINDS: ClassVar[tuple[str, ...]]
    READ_ONLY: ClassVar[bool] = False

    @classmethod
    def wire_fields(cls) -> dict[str, WireField]:
        """The fields sent besides ``kind``, in the order they are checked."""
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # every subclass is a dataclass
        return {f.name: f.metadata[WIRE] for f in fields if WIRE in f.metadata}

    @classmethod
    def from_wire(cls: type[Action], entry: Mapping[str, Any]) -> Action:
        """The action an entry of one of ``KINDS`` describes; ValueError when a field is
        missing, unknown or malformed."""
        return cls(**checked_fields(entry, cls.wire_fields()))


def checked_fields(entry: Mapping[str, Any], fields: Mapping[str, WireField]) -> dict[str, Any]:
    """The checked values of ``entry``'s ``fields`` (those it has); ValueError when it lacks a
    required one or has one of its own."""
    kind = entry["kind"]
    missing = sorted(name for name, f in fields.items() if not f.optional and name not in entry)
    if missing:
        raise ValueError(f"{kind} lacks {missing}")
    unknown = sorted(map(str, set(entry) - set(fields) - {"kind"}))
    if unknown:
        raise ValueError(f"{kind} has unknown fields {unknown}")
    return {name: f.check(entry[name]) for name, f in fields.items() if name in entry}
