"""One structure's annotation of the dataset: MultiverSeg segments one structure per context
set, so each structure keeps its own context set, accepted masks, per-image annotations (undo
histories) and last propagation. Switching structures loses nothing."""

from __future__ import annotations

import numpy as np

from ..prompts import Prompts
from .context_set import ContextSet
from .image_annotation import ImageAnnotation
from .propagation import Propagation
from .record import StoredMask, StructureRecord


class Structure:
    def __init__(self, name: str) -> None:
        self.name = name
        self.annotations: dict[int, ImageAnnotation] = {}
        self.saved_logs: dict[int, Prompts] = {}  # resumed, not yet replayed
        self.accepted: dict[int, np.ndarray] = {}
        self.accepted_files: dict[int, StoredMask] = {}
        self.origins: dict[int, str] = {}  # imported masks: where they came from
        self.context = ContextSet()
        self.propagated: Propagation | None = None

    def logs(self) -> dict[int, Prompts]:
        """Every image's prompts: the replayed ones as they stand, the others as saved."""
        logs = dict(self.saved_logs)
        logs.update({i: a.current.prompts for i, a in self.annotations.items()})
        return {i: p for i, p in logs.items() if p}

    def record(self, **changes: object) -> StructureRecord:
        """This structure's part of the session record, with ``changes`` applied."""
        fields = {
            "accepted": dict(self.accepted_files),
            "context": tuple(self.context.members),
            "logs": self.logs(),
            "origins": dict(self.origins),
        }
        return StructureRecord(**{**fields, **changes})
