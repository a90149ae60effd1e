"""The session record: the schema of ``session.json``, as one immutable value.

The session builds a record for every change and the store commits it atomically; resume reads
it back and checks it whole before anything is used. Parsing raises ValueError/KeyError/
TypeError on anything malformed; the store turns those into a WorkFolderError naming the file.

Version 2 holds several structures, each with its own accepted masks, context set and prompt
logs; version 1 (one structure, its parts at the top level) is read as a record of one
structure, and the store migrates the file (``store.py``). Version 3 keeps what describes the
images (``ImagesRecord``: names, files, volume slices), which never changes during a session,
in ``images.json``, written once: ``session.json`` is rewritten on every click, and 100,000
names and paths in it would make each click cost megabytes. Version 4 keeps the prompt logs in
append-only files (``prompt_logs.py``), session.json naming each one's file and committed
length: a click appends a line instead of rewriting every log (a stroke of 10^6 points made
session.json 43 MB, rewritten on every later click). ``to_json`` leaves them to the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from ..data import VolumeSlice
from ..prompts import MaskEdit, Prompts
from .checks import MaxContext, check_max_context, checked_index

VERSION = 4


@dataclass(frozen=True)
class StoredMask:
    """A mask file in the work folder, named relative to it, with its content's SHA-256."""

    file: str
    sha256: str


@dataclass(frozen=True)
class StructureRecord:
    """One structure's part of the record."""

    accepted: dict[int, StoredMask] = field(default_factory=dict)
    context: tuple[int, ...] = ()
    logs: dict[int, Prompts] = field(default_factory=dict)  # images with prompts only
    origins: dict[int, str] = field(default_factory=dict)  # imported masks: where from
    propagation: str = ""  # the key of its latest propagation (propagation_results.py)

    def to_json(self) -> dict[str, Any]:
        """All but the logs, which the store writes to their own files (``prompt_logs.py``);
        ``from_json`` reads them inline (version 3, or 4 once the store has read them)."""
        return {
            "propagation": self.propagation,
            "accepted": {
                str(i): {"file": stored.file, "sha256": stored.sha256}
                for i, stored in sorted(self.accepted.items())
            },
            "context": list(self.context),
            "origins": {str(i): origin for i, origin in sorted(self.origins.items())},
        }

    @classmethod
    def from_json(cls, state: dict[str, Any], n: int) -> StructureRecord:
        accepted = {
            checked_index(int(k), n): StoredMask(str(v["file"]), str(v["sha256"]))
            for k, v in state["accepted"].items()
        }
        context = tuple(checked_index(i, n) for i in state["context"])
        if not set(context) <= set(accepted) or len(set(context)) != len(context):
            raise ValueError("the context names images that are not accepted, or repeats one")
        logs = {checked_index(int(k), n): Prompts.from_json(v) for k, v in state["logs"].items()}
        origins = {checked_index(int(k), n): str(v) for k, v in state.get("origins", {}).items()}
        propagation = str(state.get("propagation", ""))
        if propagation and not propagation.isalnum():
            raise ValueError(f"unsafe propagation key {propagation!r}")
        return cls(accepted, context, logs, origins, propagation)


@dataclass(frozen=True)
class ImagesRecord:
    """The images a session is made for: fixed when the session starts."""

    fingerprint: str  # Dataset.fingerprint(): resume refuses other images
    dataset: dict[str, Any]  # {"files": [...], "axis": a} or {"arrays": [...]} (folder copies)
    names: tuple[str, ...]
    slices: tuple[VolumeSlice | None, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "dataset": self.dataset,
            "names": list(self.names),
            "slices": [None if s is None else s.to_json() for s in self.slices],
        }

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> ImagesRecord:
        names = tuple(str(n) for n in state["names"])
        slices = tuple(None if s is None else VolumeSlice.from_json(s) for s in state["slices"])
        if len(slices) != len(names):
            raise ValueError(f"{len(slices)} volume slices for {len(names)} images")
        return cls(str(state["fingerprint"]), dict(state["dataset"]), names, slices)


@dataclass(frozen=True)
class SessionRecord:
    structures: dict[str, StructureRecord]  # in the user's order: label k is the k-th
    structure: str  # the current one
    images: ImagesRecord
    max_context: MaxContext
    position: int
    view: dict[str, Any] = field(default_factory=dict)  # a front end's settings (Session.view)

    def changed(self, **changes: Any) -> SessionRecord:
        return replace(self, **changes)

    def propagations(self) -> set[str]:
        """The propagation folders this record needs; the store removes the others."""
        return {part.propagation for part in self.structures.values() if part.propagation}

    def named_files(self) -> set[str]:
        """Mask files this record needs; the store removes the others after a commit."""
        named: set[str] = set()
        for part in self.structures.values():
            named.update(stored.file for stored in part.accepted.values())
            for prompts in part.logs.values():
                named.update(p.file for p in prompts.items if isinstance(p, MaskEdit) and p.file)
        return named

    def to_json(self) -> dict[str, Any]:
        """Everything but ``images`` (see ``ImagesRecord``)."""
        return {
            "structures": [{"name": n, **p.to_json()} for n, p in self.structures.items()],
            "structure": self.structure,
            "image_count": len(self.images.names),
            "max_context": self.max_context,
            "position": self.position,
            "view": self.view,
        }

    @classmethod
    def from_json(
        cls, state: dict[str, Any], images: ImagesRecord, version: int = VERSION
    ) -> SessionRecord:
        """A record from ``session.json``'s content and its images, of any version read."""
        if version == 1:  # one structure, its parts at the top level
            one = {key: state[key] for key in ("accepted", "context", "logs")}
            state = {**state, "structures": [{"name": state["structure"], **one}]}
        n = len(images.names)
        if state.get("image_count", n) != n:
            raise ValueError(f"{state['image_count']} images in the session, {n} described")
        structures: dict[str, StructureRecord] = {}
        for part in state["structures"]:
            name = check_structure_name(part["name"], structures)
            structures[name] = StructureRecord.from_json(part, n)
        if str(state["structure"]) not in structures:
            raise ValueError(f"the current structure {state['structure']!r} is not listed")
        return cls(
            structures=structures,
            structure=str(state["structure"]),
            images=images,
            max_context=check_max_context(state["max_context"]),
            position=checked_index(state["position"], n),
            view=check_view(state.get("view", {})),  # files older than it have none
        )


def check_view(view: Any) -> dict[str, Any]:
    """A front end's view settings: a JSON object (a copy), written in session.json as it is."""
    if not isinstance(view, dict) or not all(isinstance(k, str) for k in view):
        raise ValueError(f"view settings are a dict with str keys, got {view!r:.80}")
    try:
        copied: dict[str, Any] = json.loads(json.dumps(view, allow_nan=False))
        return copied
    except (TypeError, ValueError) as error:
        raise ValueError(f"view settings must be plain JSON: {error}") from None


def check_structure_name(name: Any, taken: Any = ()) -> str:
    """A structure's name: a non-empty string, not taken yet."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a structure needs a non-empty name, got {name!r}")
    if name in taken:
        raise ValueError(f"there is already a structure named {name!r}")
    return name
