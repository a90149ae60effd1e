"""One structure's annotation of the dataset: MultiverSeg segments one structure per context
set, so each structure keeps its own context set, accepted masks, per-image annotations (undo
histories) and last propagation. Switching structures loses nothing."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..prompts import Prompts
from .checks import frozen
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

    def accepting(
        self, masks: Mapping[int, np.ndarray], origin: str | None, files: Mapping[int, StoredMask]
    ) -> StructureRecord:
        """This structure's part once ``masks`` are accepted (stored as ``files``, none in
        memory-only sessions) and have joined the context set; imported ones with ``origin``."""
        origins = dict(self.origins)
        for i in masks:
            if origin is None:
                origins.pop(i, None)
            else:
                origins[i] = origin
        members = self.context.members
        context = members + [i for i in masks if i not in members]
        accepted = {**self.accepted_files, **files}
        return self.record(accepted=accepted, context=tuple(context), origins=origins)

    def take(self, part: StructureRecord, masks: Mapping[int, np.ndarray]) -> None:
        """Adopt ``part`` (from ``accepting``, once committed) with its accepted ``masks``."""
        for i, mask in masks.items():
            self.accepted[i] = frozen(mask)
            annotation = self.annotations.get(i)
            if annotation is not None:
                annotation.history.replace_current_mask(self.accepted[i])
        self.accepted_files, self.origins = dict(part.accepted), dict(part.origins)
        self.context.set(list(part.context))

    def record(self, **changes: object) -> StructureRecord:
        """This structure's part of the session record, with ``changes`` applied."""
        fields = {
            "accepted": dict(self.accepted_files),
            "context": tuple(self.context.members),
            "logs": self.logs(),
            "origins": dict(self.origins),
        }
        return StructureRecord(**{**fields, **changes})
