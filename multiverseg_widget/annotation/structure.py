"""One structure's annotation of the dataset: MultiverSeg segments one structure per context
set, so each structure keeps its own context set, accepted masks, per-image annotations (undo
histories) and last propagation. Switching structures loses nothing."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from ..prompts import Prompts
from .accepted_masks import AcceptedMasks
from .context_set import ContextSet
from .image_annotation import ImageAnnotation
from .propagation import Propagation
from .record import StoredMask, StructureRecord, check_structure_name


class Structure:
    """read_mask: (stored file, image index) -> the mask, for a session with a work folder."""

    def __init__(
        self,
        name: str,
        read_mask: Callable[[StoredMask, int], np.ndarray] | None = None,
        stored: Mapping[int, StoredMask] | None = None,
    ) -> None:
        self.name = name
        self.annotations: dict[int, ImageAnnotation] = {}
        self.saved_logs: dict[int, Prompts] = {}  # resumed, not yet replayed
        self.accepted_files: dict[int, StoredMask] = dict(stored or {})
        read = None if read_mask is None else lambda i: read_mask(self.accepted_files[i], i)
        self.accepted = AcceptedMasks(read, self.accepted_files)
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
        """This structure's part once ``masks`` are accepted and have joined the context set
        (nothing changes yet: ``take`` adopts it once committed).

        Args:
            masks: image index -> H x W bool of that image's shape.
            origin: where imported masks came from (None: accepted here).
            files: image index -> its mask's file in the work folder (none in memory-only
                sessions).
        """
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
        """Adopt ``part`` (from ``accepting``, once committed) with its accepted masks.

        Args:
            part: this structure's new part of the record.
            masks: image index -> H x W bool of that image's shape, as accepted.
        """
        self.accepted_files, self.origins = dict(part.accepted), dict(part.origins)
        for i, mask in masks.items():
            accepted = self.accepted.put(i, mask)
            annotation = self.annotations.get(i)
            if annotation is not None:
                annotation.history.replace_current_mask(accepted)
        self.context.set(list(part.context))

    def record(self, **changes: Any) -> StructureRecord:
        """This structure's part of the session record, with ``changes`` applied."""
        fields = {
            "accepted": dict(self.accepted_files),
            "context": tuple(self.context.members),
            "logs": self.logs(),
            "origins": dict(self.origins),
            "propagation": "" if self.propagated is None else self.propagated.key,
        }
        return StructureRecord(**{**fields, **changes})


DEFAULT_STRUCTURE = "object"  # a new session's structure when neither user nor dataset names one
BACKGROUND = "background"  # label 0 of every label map; no structure may take the name


def check_new_structure_name(name: object, taken: Collection[str] = ()) -> str:
    """A name a structure may take now: ``check_structure_name``, and not "background" in any
    case (label 0 of a label map and of ``labels.json`` is the background; structures are
    labels 1, 2, ...). Names already saved are read as they are (``record.py``)."""
    name = check_structure_name(name, taken)
    if name.strip().casefold() == BACKGROUND:
        raise ValueError(
            f"{name!r} is reserved: label 0 of a label map is the background, and structures "
            "are labels 1, 2, ...; choose another name"
        )
    return name


def structure_names(
    structure: str | None, structures: Sequence[str] | None, suggested: str | None = None
) -> list[str]:
    """The structures a new session starts with (``structure`` alone: that one).

    Args:
        structure: the structure annotated first (None: the first of ``structures``).
        structures: every structure's name, in label order (None: ``structure`` alone).
        suggested: what the dataset calls its structure (a demo task's, e.g. "nucleus"), the
            name when the user gives none; None, or a name a structure cannot take: "object".

    Returns:
        The names, each checked with ``check_new_structure_name``.
    """
    if structures is None:
        if structure is not None:
            return [check_new_structure_name(structure)]
        try:
            return [check_new_structure_name(suggested)] if suggested else [DEFAULT_STRUCTURE]
        except ValueError:
            return [DEFAULT_STRUCTURE]
    if isinstance(structures, str) or not isinstance(structures, Sequence) or not structures:
        raise ValueError(f"structures must be a non-empty list of names, got {structures!r}")
    names: list[str] = []
    for name in structures:
        names.append(check_new_structure_name(name, names))
    if structure is not None and structure not in names:
        raise ValueError(f"structure {structure!r} is not one of the structures {names}")
    return names
