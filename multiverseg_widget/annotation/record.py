"""The session record: the schema of ``session.json``, as one immutable value.

The session builds a record for every change and the store commits it atomically; resume reads
it back and checks it whole before anything is used. Parsing raises ValueError/KeyError/
TypeError on anything malformed; the store turns those into a WorkFolderError naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..data import VolumeSlice
from ..prompts import MaskEdit, Prompts
from .checks import check_max_context, checked_index


@dataclass(frozen=True)
class StoredMask:
    """A mask file in the work folder, named relative to it, with its content's SHA-256."""

    file: str
    sha256: str


@dataclass(frozen=True)
class SessionRecord:
    structure: str
    fingerprint: str  # digest of the images: resume refuses other images
    dataset: dict[str, Any]  # {"files": [...], "axis": a} or {"arrays": [...]} (folder copies)
    names: tuple[str, ...]
    slices: tuple[VolumeSlice | None, ...]
    max_context: int | None
    position: int
    accepted: dict[int, StoredMask] = field(default_factory=dict)
    context: tuple[int, ...] = ()
    logs: dict[int, Prompts] = field(default_factory=dict)  # images with prompts only

    def changed(self, **changes: Any) -> SessionRecord:
        return replace(self, **changes)

    def named_files(self) -> set[str]:
        """Mask files this record needs; the store removes the others after a commit."""
        named = {stored.file for stored in self.accepted.values()}
        for prompts in self.logs.values():
            named.update(p.file for p in prompts.items if isinstance(p, MaskEdit) and p.file)
        return named

    def to_json(self) -> dict[str, Any]:
        return {
            "structure": self.structure,
            "fingerprint": self.fingerprint,
            "dataset": self.dataset,
            "names": list(self.names),
            "slices": [None if s is None else s.to_json() for s in self.slices],
            "max_context": self.max_context,
            "position": self.position,
            "accepted": {
                str(i): {"file": stored.file, "sha256": stored.sha256}
                for i, stored in sorted(self.accepted.items())
            },
            "context": list(self.context),
            "logs": {str(i): p.to_json() for i, p in sorted(self.logs.items()) if p},
        }

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> SessionRecord:
        names = tuple(str(n) for n in state["names"])
        n = len(names)
        slices = tuple(None if s is None else VolumeSlice.from_json(s) for s in state["slices"])
        if len(slices) != n:
            raise ValueError(f"{len(slices)} volume slices for {n} images")
        check_max_context(state["max_context"])
        accepted = {
            checked_index(int(k), n): StoredMask(str(v["file"]), str(v["sha256"]))
            for k, v in state["accepted"].items()
        }
        context = tuple(checked_index(i, n) for i in state["context"])
        if not set(context) <= set(accepted) or len(set(context)) != len(context):
            raise ValueError("the context names images that are not accepted, or repeats one")
        logs = {checked_index(int(k), n): Prompts.from_json(v) for k, v in state["logs"].items()}
        return cls(
            structure=str(state["structure"]),
            fingerprint=str(state["fingerprint"]),
            dataset=dict(state["dataset"]),
            names=names,
            slices=slices,
            max_context=state["max_context"],
            position=checked_index(state["position"], n),
            accepted=accepted,
            context=context,
            logs=logs,
        )
