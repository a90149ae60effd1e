"""What is on disk: the session as a ``SessionRecord``, committed before every change takes
effect, and read back on resume (or when a notebook is run again on the same work folder). A
facet of ``Session`` (its base class), kept apart so that each file has one concern."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from ..data import Dataset
from ..data.dataset import pixel_fingerprint
from ..model.load import as_predictor
from ..model.predictor import Predictor
from ..prompts import MaskEdit, Prompts
from .propagation import Propagation
from .propagation_results import FolderResults
from .record import ImagesRecord, SessionRecord, StructureRecord, check_view
from .store import WorkFolder, WorkFolderError
from .structure import Structure

S = TypeVar("S", bound="Persistence")
VIEWING = {"position", "structure", "view"}  # what a read-only Session changes, in memory only


class Persistence:
    """The work-folder side of ``Session``; see there."""

    # Parts: provided by Session.
    dataset: Dataset
    names: list[str]
    structure: str
    max_context: int | None
    _store: WorkFolder | None
    _images_record: ImagesRecord
    _index: int
    _structures: dict[str, Structure]
    _current: str
    _drafts: dict[str, np.ndarray]
    _setup: Callable[..., None]
    _ensure_annotation: Callable[[int], None]
    _new_structure: Callable[..., Structure]
    add_structure: Callable[[str], None]
    _view: Mapping[str, Any] = MappingProxyType({})  # replaced whole by the setter, never changed

    @property
    def view(self) -> dict[str, Any]:
        """A front end's view settings (the widget's brush width, overlay, colours), kept in the
        work folder so that a resumed session looks as it was left; a copy. Setting it commits
        it: a dict of plain JSON."""
        return dict(self._view)

    @view.setter
    def view(self, settings: Mapping[str, Any]) -> None:
        view = check_view(dict(settings))
        self._commit(view=view)
        self._view = MappingProxyType(view)

    @classmethod
    def resume(
        cls: type[S],
        workdir: str | Path,
        model: Predictor | str | Path | None = None,
        device: str | None = None,
        read_only: bool = False,
    ) -> S:
        """Reopen a work folder: images, every structure's accepted masks, context and logs,
        position. A damaged session file or a folder made for other images raises
        WorkFolderError and nothing is written; the undo history of the current image is
        rebuilt from its log. A folder of the one-structure format is migrated (backup kept).
        The Session holds the folder's lock until ``close`` (FolderInUseError, naming the
        holder, if another process's Session holds it). ``read_only``: view the folder without
        the lock, writing nothing (see Session)."""
        store = WorkFolder.open(workdir, read_only)
        with store.closed_on_error():
            record = store.load()
            session = cls.__new__(cls)  # type: ignore[call-arg]
            dataset = store.load_dataset(record)
            session._restore(store, record, dataset, as_predictor(model, device))
        return session

    @property
    def read_only(self) -> bool:
        """Whether this Session only views its work folder (opened with ``read_only=True``)."""
        return self._store is not None and self._store.read_only

    def close(self) -> None:
        """Release the work folder's lock, so that another Session, in any process, may write
        to it; this one then refuses every change (reading goes on). Also at the end of a
        ``with`` block, and when the Session is garbage-collected."""
        if self._store is not None:
            self._store.close()

    def __enter__(self: S) -> S:
        """``with Session(...) as session:`` releases the work folder at the end (``close``)."""
        return self

    def __exit__(self, *_exception: object) -> None:
        self.close()

    def _continue(
        self, store: WorkFolder, dataset: Dataset, model: Predictor, names: list[str]
    ) -> None:
        """``Session(images, workdir=...)`` on a folder that holds a session: continue it if
        it was made for these images (a notebook run again), else refuse and change nothing.
        ``names``: the structures the caller asked for; those the session lacks are added."""
        with store.closed_on_error():
            self._restore(store, store.load(), dataset, model)
            added = [name for name in names if name not in self._structures]
            for name in added:
                self.add_structure(name)
        print(
            f"Continuing the session in {store.path}: "
            f"{sum(len(s.accepted) for s in self._structures.values())} masks accepted, "
            f"at image {self._index} ({self.names[self._index]}), structure {self.structure!r}"
            + (f"; added structures {added}" if added else "")
        )

    def _start(self, dataset: Dataset) -> None:
        """A new session's first commit: what the images are (copies of in-memory images in the
        work folder) and the first image. The work folder is released if this fails."""
        if self._store is None:
            self._ensure_annotation(0)
            return
        store = self._store
        with store.closed_on_error():
            if dataset.files:
                source = {"files": list(dataset.files), "axis": dataset.axis}
            else:
                source = {"arrays": store.save_images(dataset.images)}
            self._images_record = ImagesRecord(
                dataset.fingerprint(), source, tuple(dataset.names), tuple(dataset.slices)
            )
            self._ensure_annotation(0)
            self._commit()

    def _restore(
        self, store: WorkFolder, record: SessionRecord, dataset: Dataset, model: Predictor
    ) -> None:
        self._setup(dataset, model, store, list(record.structures), record.max_context)
        fingerprint = dataset.fingerprint()
        if len(dataset) != len(record.images.names) or not _same_images(
            record, fingerprint, dataset
        ):
            raise WorkFolderError(
                f"{store.path} belongs to a different dataset: the images it was made for "
                "have changed or are not the ones found now; it was left as it is (choose "
                "another work folder for these images)"
            )
        kept = record.images
        self._images_record = (
            kept if kept.fingerprint == fingerprint else replace(kept, fingerprint=fingerprint)
        )  # a folder of version 2 kept a digest of the pixels: now of the files
        for name, part in record.structures.items():
            structure = self._structures[name] = self._new_structure(name, part.accepted)
            structure.origins = dict(part.origins)
            structure.context.set(list(part.context))
            structure.saved_logs = dict(part.logs)
            if part.propagation:
                results = FolderResults(store.path, part.propagation)
                structure.propagated = Propagation(
                    results.masks, results.confidence, part.propagation
                )
        self._current = record.structure
        self._index = record.position
        self._view = MappingProxyType(record.view)
        self._ensure_annotation(record.position)
        store.migrate(self._record())

    def _record(
        self,
        log: Prompts | None = None,
        parts: Mapping[str, StructureRecord] | None = None,
        **changes: Any,
    ) -> SessionRecord:
        """The session as a record: ``log`` is the current image's new prompts, ``parts`` new
        parts of structures by name, ``changes`` other record fields."""
        records = {name: s.record() for name, s in self._structures.items()}
        records.update(parts or {})
        if log is not None:
            current = records[self._current]
            logs = {**current.logs, self._index: log}
            records[self._current] = replace(current, logs={i: p for i, p in logs.items() if p})
        record = SessionRecord(
            structures=records,
            structure=self._current,
            images=self._images_record,
            max_context=self.max_context,
            position=self._index,
            view=dict(self._view),
        )
        return record.changed(**changes)

    def _commit(
        self,
        log: Prompts | None = None,
        parts: Mapping[str, StructureRecord] | None = None,
        **changes: Any,
    ) -> None:
        """Commit the session as it will be after the caller's change (before applying it).
        A read-only Session moves between images and structures in memory only, and refuses
        every other change (the store raises ReadOnlySessionError)."""
        if self._store is None:
            return
        viewing = log is None and parts is None and bool(changes) and set(changes) <= VIEWING
        if viewing and self._store.read_only:
            return
        record = self._record(log, parts, **changes)
        for structure in record.structures.values():
            for prompts in structure.logs.values():
                for entry in prompts.items:
                    # a draft pruned by an undo and back by a redo is written again
                    drafted = isinstance(entry, MaskEdit) and entry.file in self._drafts
                    if drafted and not self._store.holds(entry.file):
                        self._store.write_mask("drafts", "", self._drafts[entry.file])
        self._store.commit(record)


def _same_images(record: SessionRecord, fingerprint: str, dataset: Dataset) -> bool:
    """Whether ``dataset`` (of ``fingerprint``) holds the images ``record`` was made for. Folders
    of version 2 kept a digest of the pixels of every dataset: compared once, reading them all."""
    kept = record.images.fingerprint
    return kept == fingerprint or (":" not in kept and kept == pixel_fingerprint(dataset.images))
