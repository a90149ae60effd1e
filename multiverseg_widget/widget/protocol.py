"""The widget's message protocol, checked where it arrives: a batch from the browser becomes typed
actions, or a ValueError that says what is wrong, before anything reaches the session.

A batch is ``{"type": "actions", "request": int, "actions": [...]}``. Clicks, boxes and scribbles
are the prompt vocabulary's JSON (``prompt_from_json``); consecutive ones form one ``Interact``,
which the session adds with one forward pass. A paint stroke has a scribble's fields but paints
the mask itself (a hand edit, no forward pass). Whether they lie inside the image is checked when
they are applied (an earlier action of the batch may open another image). Structure names are
checked here against the session's structures as the batch's earlier actions leave them, so that
a batch naming an unknown structure, or taking a name twice, changes nothing. A jump carries the
jump box's text as typed (the kernel looks the name up: navigation.py); a thumbnails request
the context images whose thumbnails the gallery shows (read only: the answer is the
``thumbnails`` trait). The front end's side of the protocol is js/protocol.js (JSDoc types,
checked by tsc).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from ..annotation.record import check_structure_name
from ..prompts import INTERACTION_KINDS, Box, Click, Stroke, prompt_from_json
from ..prompts.simplify import simplify_stroke
from .fields import (
    MAX_ACTIONS,
    MAX_MESSAGE,
    boolean,
    erase_positions,
    export_folder,
    export_format,
    integer,
    jump_text,
    message_size,
    short,
    structure_name,
    thumbnail_indices,
)

INTERACTIONS = INTERACTION_KINDS
STEPS = ("undo", "redo", "clear", "suggest")
STRUCTURE_ACTIONS = ("structure", "add_structure", "rename_structure")


@dataclass(frozen=True)
class Interact:
    """Consecutive clicks, boxes and scribbles: one forward pass and one undo step."""

    prompts: tuple[Click | Box | Stroke, ...]


@dataclass(frozen=True)
class Paint:
    """Paint the mask itself along ``stroke``: add its pixels (positive) or erase them."""

    stroke: Stroke


@dataclass(frozen=True)
class Erase:
    """Drop the entries at ``positions`` of the log the browser was sent as ``version``."""

    positions: tuple[int, ...]
    version: int


@dataclass(frozen=True)
class Step:
    """An action without arguments: undo, redo, clear or suggest."""

    kind: Literal["undo", "redo", "clear", "suggest"]


@dataclass(frozen=True)
class Accept:
    """Accept the current mask; an empty one only with ``allow_empty`` (the user confirmed it)."""

    allow_empty: bool = False


@dataclass(frozen=True)
class Navigate:
    """Open image ``index`` (None: the current one) plus ``by`` steps."""

    index: int | None
    by: int


@dataclass(frozen=True)
class RemoveContext:
    """Drop entry ``entry`` of the context set."""

    entry: int


@dataclass(frozen=True)
class AddContext:
    """Put accepted image ``index`` back into the context set, at entry ``position`` (None: at
    the end): what undoes a RemoveContext."""

    index: int
    position: int | None = None


@dataclass(frozen=True)
class SwitchStructure:
    """Annotate structure ``name`` from now on."""

    name: str


@dataclass(frozen=True)
class AddStructure:
    """A new structure ``name`` with an empty context set (it does not become the current one)."""

    name: str


@dataclass(frozen=True)
class RenameStructure:
    old: str
    new: str


@dataclass(frozen=True)
class Export:
    """Write the accepted masks to ``folder`` (relative: to the kernel's working directory);
    replace existing files only with ``overwrite`` (the user confirmed the widget's question)."""

    format: str
    folder: str
    overwrite: bool = False


@dataclass(frozen=True)
class Jump:
    """Open the image the jump box names: by its name, else by its number (from 1)."""

    to: str


@dataclass(frozen=True)
class ThumbnailRequest:
    """Send the thumbnails of these context images (the gallery's items scrolled into view)."""

    indices: tuple[int, ...]


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


@dataclass(frozen=True)
class Batch:
    """One message: its request id (``ack`` answers it) and its actions, in order."""

    request: int
    actions: tuple[Action, ...]


# required fields of each action kind besides "kind"; interactions: the prompt vocabulary's
_FIELDS: dict[str, set[str]] = {
    "accept": set(),
    "erase": {"positions", "version"},
    "paint": {"points", "positive", "width"},
    "navigate": {"index", "by"},
    "remove_context": {"entry"},
    "add_context": {"index"},
    "structure": {"name"},
    "add_structure": {"name"},
    "rename_structure": {"old", "new"},
    "export": {"format", "folder"},
    "jump": {"to"},
    "thumbnails": {"indices"},
    **{kind: set() for kind in STEPS},
}
_OPTIONAL: dict[str, set[str]] = {
    "accept": {"allow_empty"},
    "add_context": {"position"},
    "export": {"overwrite"},
}


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
    if kind in INTERACTIONS:
        prompt = cast(Click | Box | Stroke, prompt_from_json(entry))
        return Interact((simplify_stroke(prompt) if isinstance(prompt, Stroke) else prompt,))
    if not isinstance(kind, str) or kind not in _FIELDS:
        known = ", ".join((*INTERACTIONS, *_FIELDS))
        raise ValueError(f"unknown action {short(entry)}; the kinds are {known}")
    required = _FIELDS[kind]
    missing = sorted(required - entry.keys())
    if missing:
        raise ValueError(f"{kind} lacks {missing}")
    unknown = sorted(map(str, set(entry) - required - _OPTIONAL.get(kind, set()) - {"kind"}))
    if unknown:
        raise ValueError(f"{kind} has unknown fields {unknown}")
    if kind == "paint":  # a scribble's fields, but it edits the mask instead of prompting
        stroke = prompt_from_json({**entry, "kind": "scribble"})
        return Paint(simplify_stroke(cast(Stroke, stroke)))
    if kind == "erase":
        return Erase(
            erase_positions(entry["positions"]), integer(entry["version"], "erase version")
        )
    if kind == "accept":
        return Accept(boolean(entry.get("allow_empty", False), "accept allow_empty"))
    if kind == "navigate":
        index = entry["index"]
        index = None if index is None else integer(index, "navigate index")
        return Navigate(index, integer(entry["by"], "navigate step", signed=True))
    if kind == "remove_context":
        return RemoveContext(integer(entry["entry"], "context entry"))
    if kind == "add_context":
        position = entry.get("position")
        position = None if position is None else integer(position, "context position")
        return AddContext(integer(entry["index"], "context image index"), position)
    if kind == "structure":
        return SwitchStructure(structure_name(entry["name"]))
    if kind == "add_structure":
        return AddStructure(structure_name(entry["name"]))
    if kind == "rename_structure":
        return RenameStructure(structure_name(entry["old"]), structure_name(entry["new"]))
    if kind == "export":
        overwrite = boolean(entry.get("overwrite", False), "export overwrite")
        return Export(export_format(entry["format"]), export_folder(entry["folder"]), overwrite)
    if kind == "jump":
        return Jump(jump_text(entry["to"]))
    if kind == "thumbnails":
        return ThumbnailRequest(thumbnail_indices(entry["indices"]))
    return Step(kind)  # one of STEPS, the kinds left


def _follow_names(action: Action, names: list[str]) -> None:
    """Check a structure action against ``names`` (the structures as the batch's earlier actions
    leave them) and apply it to them."""
    match action:
        case SwitchStructure(name):
            _known(name, names)
        case AddStructure(name):
            names.append(check_structure_name(name, names))
        case RenameStructure(old, new):
            _known(old, names)
            names[names.index(old)] = check_structure_name(new, names)


def _known(name: str, names: list[str]) -> None:
    if name not in names:
        raise ValueError(f"no structure named {name!r}; the structures are {short(names)}")
