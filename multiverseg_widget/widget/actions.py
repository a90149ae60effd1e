"""The actions the browser sends, each defined once: its Python type, the ``kind`` it is sent as
and its fields with their checks and JavaScript types (``wire.py``). Clicks, boxes and scribbles
are the prompt vocabulary's JSON (``prompt_from_json``; the front end's tools declare their
typedefs); consecutive ones form one ``Interact``, which the session adds with one forward pass.
A paint stroke has a scribble's fields but paints the mask itself (a hand edit, no forward
pass)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, cast, get_args

from ..prompts import INTERACTION_KINDS, Box, Click, Stroke, prompt_from_json
from ..prompts.simplify import simplify_stroke
from .fields import (
    boolean,
    erase_positions,
    export_folder,
    export_format,
    integer,
    jump_text,
    or_none,
    structure_name,
    thumbnail_indices,
)
from .wire import WireAction, WireField, checked_fields, wire

StepKind = Literal["undo", "redo", "clear", "suggest"]
STEPS: tuple[StepKind, ...] = get_args(StepKind)


@dataclass(frozen=True)
class Interact(WireAction):
    """Consecutive clicks, boxes and scribbles: one forward pass and one undo step."""

    KINDS = INTERACTION_KINDS  # their fields are the prompt vocabulary's

    prompts: tuple[Click | Box | Stroke, ...]

    @classmethod
    def from_wire(cls, entry: Mapping[str, Any]) -> Interact:
        prompt = cast(Click | Box | Stroke, prompt_from_json(entry))
        return cls((simplify_stroke(prompt) if isinstance(prompt, Stroke) else prompt,))


@dataclass(frozen=True)
class Paint(WireAction):
    """Paint the mask itself along a brush stroke ``width`` pixels wide: add its pixels (positive)
    or erase them. The kernel rasterises it onto its mask as one hand edit."""

    KINDS = ("paint",)

    stroke: Stroke

    @classmethod
    def wire_fields(cls) -> dict[str, WireField]:
        """A scribble's fields, which the stroke checks."""
        sent = partial(WireField, check=lambda value: value)
        return {"points": sent("Point[]"), "positive": sent("boolean"), "width": sent("number")}

    @classmethod
    def from_wire(cls, entry: Mapping[str, Any]) -> Paint:
        fields = checked_fields(entry, cls.wire_fields())
        return cls(simplify_stroke(cast(Stroke, prompt_from_json({**fields, "kind": "scribble"}))))


@dataclass(frozen=True)
class Erase(WireAction):
    """Drop the log entries at ``positions``, as one undo step. The positions name entries of the
    log the kernel sent as ``version``; the kernel refuses the erase once the log has changed."""

    KINDS = ("erase",)

    positions: tuple[int, ...] = wire("number[]", erase_positions)
    version: int = wire("number", partial(integer, what="erase version"))


@dataclass(frozen=True)
class Step(WireAction):
    """An action without fields: undo, redo, clear or suggest."""

    KINDS = STEPS

    kind: StepKind

    @classmethod
    def from_wire(cls, entry: Mapping[str, Any]) -> Step:
        checked_fields(entry, cls.wire_fields())
        return cls(entry["kind"])


@dataclass(frozen=True)
class Accept(WireAction):
    """Accept the mask shown; an empty one only with ``allow_empty`` (the user confirmed it)."""

    KINDS = ("accept",)

    allow_empty: bool = wire("boolean", partial(boolean, what="accept allow_empty"), False)


@dataclass(frozen=True)
class Navigate(WireAction):
    """Open image ``index`` (null: the one shown) plus ``by`` steps, kept inside the dataset."""

    KINDS = ("navigate",)

    index: int | None = wire("number | null", or_none(partial(integer, what="navigate index")))
    by: int = wire("number", partial(integer, what="navigate step", signed=True))


@dataclass(frozen=True)
class RemoveContext(WireAction):
    """Drop entry ``entry`` of the context set (the image stays accepted)."""

    KINDS = ("remove_context",)

    entry: int = wire("number", partial(integer, what="context entry"))


@dataclass(frozen=True)
class AddContext(WireAction):
    """Put accepted image ``index`` back into the context set at entry ``position`` (left out or
    null: at the end): what undoes a RemoveContext (the status line's Undo)."""

    KINDS = ("add_context",)

    index: int = wire("number", partial(integer, what="context image index"))
    position: int | None = wire(
        "number | null", or_none(partial(integer, what="context position")), None
    )


@dataclass(frozen=True)
class SwitchStructure(WireAction):
    """Annotate structure ``name`` from now on: its mask, log, progress and context set."""

    KINDS = ("structure",)

    name: str = wire("string", structure_name)


@dataclass(frozen=True)
class AddStructure(WireAction):
    """A new structure ``name`` with an empty context set (it does not become the current one)."""

    KINDS = ("add_structure",)

    name: str = wire("string", structure_name)


@dataclass(frozen=True)
class RenameStructure(WireAction):
    """Rename structure ``old`` to ``new``."""

    KINDS = ("rename_structure",)

    old: str = wire("string", structure_name)
    new: str = wire("string", structure_name)


@dataclass(frozen=True)
class Export(WireAction):
    """Write the accepted masks in ``format`` to ``folder`` (relative: to the kernel's working
    directory). Existing files are replaced only with ``overwrite`` (the user said yes to the
    kernel's question); without it such an export is not done and the kernel asks."""

    KINDS = ("export",)

    format: str = wire("ExportFormat", export_format)
    folder: str = wire("string", export_folder)
    overwrite: bool = wire("boolean", partial(boolean, what="export overwrite"), False)


@dataclass(frozen=True)
class Jump(WireAction):
    """Open the image the jump box names: ``to`` is its text as typed, an image's name or its
    number (from 1)."""

    KINDS = ("jump",)

    to: str = wire("string", jump_text)


@dataclass(frozen=True)
class ThumbnailRequest(WireAction):
    """Send the thumbnails of these context images (the gallery's items scrolled into view):
    the answer is the ``thumbnails`` trait. It changes nothing."""

    KINDS = ("thumbnails",)
    READ_ONLY = True

    indices: tuple[int, ...] = wire("number[]", thumbnail_indices)


StructureAction = SwitchStructure | AddStructure | RenameStructure
Action = (
    Interact
    | Paint
    | Erase
    | Step
    | Accept
    | Navigate
    | RemoveContext
    | AddContext
    | StructureAction
    | Export
    | Jump
    | ThumbnailRequest
)
# every action type, and the one each kind is parsed as
ACTIONS: tuple[type[Action], ...] = get_args(Action)
BY_KIND: dict[str, type[Action]] = {kind: cls for cls in ACTIONS for kind in cls.KINDS}
