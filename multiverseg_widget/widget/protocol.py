"""The widget's message protocol, checked where it arrives: a batch from the browser becomes typed
actions (``actions.py``), or a ValueError that says what is wrong, before anything reaches the
session.

A batch is ``{"type": "actions", "request": int, "actions": [...]}``. Whether prompts lie inside
the image is checked when they are applied (an earlier action of the batch may open another
image). Structure names are checked here against the session's structures as the batch's earlier
actions leave them, so that a batch naming an unknown structure, or taking a name twice, changes
nothing. A jump carries the jump box's text as typed (the kernel looks the name up:
navigation.py); a thumbnails request the context images whose thumbnails the gallery shows (read
only: the answer is the ``thumbnails`` trait). The front end's side of the protocol is generated
from these definitions (js/generated/protocol.js: ``python scripts/generate_protocol.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..annotation.structure import check_new_structure_name
from .actions import BY_KIND, Action, AddStructure, Interact, RenameStructure, SwitchStructure
from .fields import MAX_ACTIONS, MAX_MESSAGE, integer, message_size, short

# the action types are defined, and imported from, actions.py; Interact stays a name of this
# module because benchmarks/widget_latency.py's kernel code imports it from here
__all__ = ["Batch", "Interact", "parse_batch", "request_id"]


@dataclass(frozen=True)
class Batch:
    """One message: its request id (``ack`` answers it) and its actions, in order."""

    request: int
    actions: tuple[Action, ...]


def request_id(content: Mapping[str, Any]) -> int | None:
    """The batch's request id, None when it has none that can be acknowledged."""
    try:
        return integer(content.get("request"), "request")
    except ValueError:
        return None


def parse_batch(content: Mapping[str, Any], structures: Sequence[str]) -> Batch:
    """A batch message -> typed actions (consecutive interactions grouped); ValueError when any
    part is malformed, so that a malformed batch changes nothing. ``structures``: the session's
    structure names, which the batch's structure actions must fit. A message has at most
    ``MAX_MESSAGE`` characters as JSON and ``MAX_ACTIONS`` actions; strokes are simplified
    (``prompts.simplify``)."""
    if content.get("type") != "actions":
        raise ValueError(f"not a batch of actions: type {short(content.get('type'))}")
    if message_size(content) > MAX_MESSAGE:
        raise ValueError(f"a message has at most {MAX_MESSAGE:,} characters of JSON; this is more")
    unknown = sorted(map(str, set(content) - {"type", "request", "actions"}))
    if unknown:
        raise ValueError(f"a batch has unknown fields {unknown}")
    request = integer(content.get("request"), "request")
    raw = content.get("actions")
    if not isinstance(raw, list):
        raise ValueError(f"actions must be a list, got {short(raw)}")
    if len(raw) > MAX_ACTIONS:
        raise ValueError(f"a batch has at most {MAX_ACTIONS:,} actions, got {len(raw):,}")
    actions: list[Action] = []
    names = list(structures)
    for k, entry in enumerate(raw):
        try:
            action = _action(entry)
            _follow_names(action, names)
        except ValueError as error:
            raise ValueError(f"action {k}: {error}") from None
        if isinstance(action, Interact) and actions and isinstance(actions[-1], Interact):
            actions[-1] = Interact(actions[-1].prompts + action.prompts)
        else:
            actions.append(action)
    return Batch(request, tuple(actions))


def _action(entry: Any) -> Action:
    kind = entry.get("kind") if isinstance(entry, Mapping) else None
    kind_of = BY_KIND.get(kind) if isinstance(kind, str) else None
    if kind_of is None:
        raise ValueError(f"unknown action {short(entry)}; the kinds are {', '.join(BY_KIND)}")
    return kind_of.from_wire(entry)


def _follow_names(action: Action, names: list[str]) -> None:
    """Check a structure action against ``names`` (the structures as the batch's earlier actions
    leave them) and apply it to them."""
    match action:
        case SwitchStructure(name):
            _known(name, names)
        case AddStructure(name):
            names.append(check_new_structure_name(name, names))
        case RenameStructure(old, new):
            _known(old, names)
            names[names.index(old)] = check_new_structure_name(new, names)


def _known(name: str, names: list[str]) -> None:
    if name not in names:
        raise ValueError(f"no structure named {name!r}; the structures are {short(names)}")
