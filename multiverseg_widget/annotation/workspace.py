"""What a session holds (the dataset, its structures, the position, the work folder) and the
one way it changes: ``perform`` commits a ``Change``'s record to the work folder first, then
applies the change in memory. A change whose commit fails changes nothing, so that what is on
disk is never behind what the user saw."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

import numpy as np

from ..data import Dataset
from ..prompts import MaskEdit
from .checks import MaxContext, image_shape
from .record import ImagesRecord, SessionRecord, StoredMask, StructureRecord
from .store import WorkFolder
from .structure import Structure
from .work_folder_errors import WorkFolderError


class Change(Protocol):
    """One typed transaction: the session record as it will be, and the same change in memory."""

    viewing: ClassVar[bool]  # a read-only Session applies it in memory, writing nothing

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record once the change is made (nothing changes yet)."""
        ...

    def apply(self, workspace: Workspace) -> None:
        """Make the change in memory (once its record is committed)."""
        ...


class Workspace:
    """The session's state. ``store``: its work folder (None: in memory only); ``images``:
    what its images are (None in memory only); ``structures`` in the user's order."""

    def __init__(
        self,
        dataset: Dataset,
        store: WorkFolder | None,
        images: ImagesRecord | None,
        structures: Mapping[str, Structure],
        current: str,
        position: int = 0,
        max_context: MaxContext = None,
        view: Mapping[str, Any] | None = None,
    ) -> None:
        self.dataset = dataset
        self.store = store
        self.images = images
        self.structures = dict(structures)
        self.current = current
        self.position = position
        self.max_context = max_context
        self.view: Mapping[str, Any] = MappingProxyType(dict(view or {}))
        self.drafts: dict[str, np.ndarray] = {}  # draft file -> mask set by hand

    @property
    def part(self) -> Structure:
        """The current structure."""
        return self.structures[self.current]

    def shape(self, i: int) -> tuple[int, int]:
        """Image i's (H, W): the shape of each of its masks."""
        return image_shape(self.dataset.images[i])

    def new_structure(self, name: str, stored: Mapping[int, StoredMask] | None = None) -> Structure:
        """A structure whose accepted masks (``stored`` so far: image index -> its file) are
        read back from the work folder when asked for, so resuming reads none of them."""
        store = self.store
        if store is None:
            return Structure(name)
        return Structure(name, lambda file, i: store.read_mask(file, self.shape(i)), stored)

    def parts(self) -> dict[str, StructureRecord]:
        """Every structure's part of the record, as it stands."""
        return {name: structure.record() for name, structure in self.structures.items()}

    def record(self, structures: dict[str, StructureRecord] | None = None) -> SessionRecord:
        """The session as it stands (a work folder's session only), with ``structures`` as
        its parts if given (a change passes the parts it built, so none is built twice;
        None: the parts as they stand)."""
        if self.images is None:
            raise WorkFolderError("a session in memory only has no record")
        return SessionRecord(
            structures=self.parts() if structures is None else structures,
            structure=self.current,
            images=self.images,
            max_context=self.max_context,
            position=self.position,
            view=dict(self.view),
        )

    def with_part(self, part: StructureRecord, name: str | None = None) -> SessionRecord:
        """The record with structure ``name``'s part (default: the current one's) replaced; the
        replaced part is not built at all."""
        name = self.current if name is None else name
        structures = {n: part if n == name else s.record() for n, s in self.structures.items()}
        structures[name] = part
        return self.record(structures)

    def perform(self, change: Change) -> None:
        """Commit ``change``, then apply it. Raises what the commit raised, having changed
        nothing (a read-only Session refuses every change but viewing ones, which it makes in
        memory only: ReadOnlySessionError)."""
        store = self.store
        if store is not None and not (change.viewing and store.read_only):
            record = change.record(self)
            self._write_drafts(store, record)
            store.commit(record)
        change.apply(self)

    def commit(self) -> None:
        """Commit the session as it stands: a new work folder's first record."""
        if self.store is not None:
            self.store.commit(self.record())

    def read_draft(self, edit: MaskEdit, shape: tuple[int, int]) -> np.ndarray:
        """A logged mask edit, read back from the work folder when its image's log is replayed
        (and kept in ``drafts``, so that the draft can be written again if the folder loses it).

        Args:
            edit: the ``MaskEdit`` of the log, naming its file and the file's SHA-256.
            shape: the image's (H, W).

        Returns:
            The edited mask, H x W bool.
        """
        if self.store is None or edit.file is None or edit.sha256 is None:
            raise WorkFolderError("a logged mask edit needs its file in the work folder")
        self.drafts[edit.file] = self.store.read_mask(StoredMask(edit.file, edit.sha256), shape)
        return self.drafts[edit.file]

    def _write_drafts(self, store: WorkFolder, record: SessionRecord) -> None:
        """Write again the drafts ``record`` names that the folder lost: a draft pruned after an
        undo is named again by a redo."""
        for structure in record.structures.values():
            for prompts in structure.logs.values():
                for entry in prompts.items:
                    if not isinstance(entry, MaskEdit) or entry.file not in self.drafts:
                        continue
                    if entry.file is not None and not store.holds(entry.file):
                        store.write_mask("drafts", "", self.drafts[entry.file])
