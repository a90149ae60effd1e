"""The annotation session: segmenting one dataset, one image at a time, as a thin front over
parts with one job each: ``History`` (undo per image), ``ContextSet`` (which accepted images the
network sees), ``SessionRecord`` + ``WorkFolder`` (what is on disk), ``propagation`` (the whole
dataset at once). Every change is committed to the work folder before the call returns, so that
killing the kernel loses nothing accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ..common.names import safe_name
from ..data import Dataset, load
from ..model.load import load_model
from ..model.predictor import Prediction, Predictor, PreparedContext, PreparedImage
from ..prompts import MaskEdit, Prompts
from .checks import check_max_context, checked_index, frozen, image_shape
from .context_set import ContextSet
from .editing import ImageEditing
from .image_annotation import ImageAnnotation
from .propagation import Propagation
from .record import SessionRecord, StoredMask
from .store import WorkFolder, WorkFolderError, fingerprint
from .whole_dataset import WholeDataset


class Session(ImageEditing, WholeDataset):
    """Annotate ``images`` for one structure.

    images: anything ``data.load`` reads (folder, files, N x H x W array, list of arrays, Dataset).
    model: a Predictor (default ``load_model()``). workdir: where every change is saved; None
    keeps the session in memory only. max_context: cap on context items per prediction.
    """

    def __init__(
        self,
        images: Any,
        model: Predictor | None = None,
        workdir: str | Path | None = None,
        structure: str = "structure",
        max_context: int | None = None,
        axis: int | None = None,
        skip_bad: bool = False,
    ) -> None:
        if not isinstance(structure, str) or not structure.strip():
            raise ValueError(f"structure must be a non-empty name, got {structure!r}")
        check_max_context(max_context)
        dataset = load(images, axis=axis, skip_bad=skip_bad)
        store = None if workdir is None else WorkFolder.create(workdir)
        self._setup(dataset, model, store, structure, max_context)
        if store is not None:
            if dataset.files:
                files = [str(Path(f).resolve()) for f in dataset.files]
                self._source = {"files": files, "axis": dataset.axis}
            else:
                self._source = {"arrays": store.save_images(dataset.images)}
        self._ensure_annotation(0)
        self._commit()

    def _setup(
        self,
        dataset: Dataset,
        model: Predictor | None,
        store: WorkFolder | None,
        structure: str,
        max_context: int | None,
    ) -> None:
        self.dataset = dataset
        self.model = load_model() if model is None else model
        self.structure = structure
        self.max_context = max_context
        self.propagated: Propagation | None = None
        self._store = store
        self._source: dict[str, Any] = {}
        self._fingerprint = fingerprint(dataset.images)
        self._index = 0
        self._annotations: dict[int, ImageAnnotation] = {}
        self._saved_logs: dict[int, Prompts] = {}  # resumed, not yet replayed
        self._drafts: dict[str, np.ndarray] = {}  # draft file -> mask set by hand
        self._accepted: dict[int, np.ndarray] = {}
        self._accepted_files: dict[int, StoredMask] = {}
        self._context = ContextSet()
        self._image_ready: tuple[int, PreparedImage] | None = None
        self._context_ready: tuple[tuple[int, int | None], PreparedContext] | None = None

    @classmethod
    def resume(cls, workdir: str | Path, model: Predictor | None = None) -> Session:
        """Reopen a work folder: images, accepted masks, context, interaction logs, position.

        A damaged session file or a folder made for other images raises WorkFolderError and
        nothing is written; the undo history of the current image is rebuilt from its log.
        """
        store = WorkFolder.open(workdir)
        record = store.load()
        dataset = store.load_dataset(record)
        if fingerprint(dataset.images) != record.fingerprint:
            raise WorkFolderError(
                f"{store.path} belongs to a different dataset: the images it was made for "
                "have changed or are not the ones found now; it was left as it is"
            )
        if len(dataset) != len(record.names):
            raise WorkFolderError(f"{store.path}: the session names {len(record.names)} images")
        session = cls.__new__(cls)
        session._setup(dataset, model, store, record.structure, record.max_context)
        session._source = record.dataset
        session._accepted = {
            i: frozen(store.read_mask(stored, image_shape(dataset.images[i])))
            for i, stored in record.accepted.items()
        }
        session._accepted_files = dict(record.accepted)
        session._context.set(list(record.context))
        session._saved_logs = dict(record.logs)
        session._index = record.position
        session._ensure_annotation(record.position)
        return session

    # ---- what the session holds -----------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"Session({len(self)} images, {len(self._accepted)} accepted, "
            f"{len(self._context)} in context, at image {self._index}, "
            f"workdir={None if self._store is None else str(self._store.path)!r})"
        )

    @property
    def index(self) -> int:
        """The image being annotated."""
        return self._index

    @property
    def image(self) -> np.ndarray:
        return self.dataset.images[self._index]

    @property
    def names(self) -> list[str]:
        return list(self.dataset.names)

    @property
    def workdir(self) -> Path | None:
        return None if self._store is None else self._store.path

    @property
    def prediction(self) -> Prediction | None:
        """The current image's latest model output (None before any)."""
        return self._history().current.prediction

    @property
    def mask(self) -> np.ndarray:
        """The current image's mask: what accept() would take."""
        return self._history().current.mask

    @property
    def prompts(self) -> Prompts:
        """The current image's prompts, in order."""
        return self._history().current.prompts

    @property
    def interactions(self) -> list[dict[str, Any]]:
        """The current image's prompts in their JSON form (what the work folder logs)."""
        return self.prompts.to_json()

    @property
    def can_undo(self) -> bool:
        return self._history().can_undo

    @property
    def can_redo(self) -> bool:
        return self._history().can_redo

    @property
    def context(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The context set, in the order images were accepted: (image, mask) pairs."""
        return [(self.dataset.images[i], self._accepted[i]) for i in self._context.members]

    @property
    def context_indices(self) -> list[int]:
        return self._context.members

    @property
    def accepted(self) -> Mapping[int, np.ndarray]:
        """Image index -> accepted mask (H x W bool, read-only)."""
        return MappingProxyType(self._accepted)

    def status(self, i: int) -> str:
        """'accepted', 'in progress' (has interactions) or 'todo'."""
        i = checked_index(i, len(self))
        if i in self._accepted:
            return "accepted"
        annotation = self._annotations.get(i)
        log = annotation.current.prompts if annotation else self._saved_logs.get(i)
        return "in progress" if log else "todo"

    # ---- accepting and moving ----------------------------------------------------------------

    def accept(self) -> np.ndarray:
        """Save the current mask, put it in the context set and move to the next open image.

        Returns the accepted mask once it is on disk. Re-accepting an image replaces its mask and
        its context entry.
        """
        i = self._index
        mask = self._history().current.mask
        files = dict(self._accepted_files)
        if self._store is not None:
            files[i] = self._store.write_mask("masks", safe_name(f"{i:05d}_{self.names[i]}"), mask)
        context = self._context.with_image(i)
        done = set(self._accepted) | {i}
        following = [j for j in range(i + 1, len(self)) if j not in done]
        earlier = [j for j in range(i) if j not in done]
        position = (following + earlier + [i])[0]
        self._commit(position=position, accepted=files, context=tuple(context))
        self._accepted[i] = mask
        self._accepted_files = files
        self._context.set(context)
        self._index = position
        self._ensure_annotation(position)
        return mask

    def goto(self, i: int) -> Prediction | None:
        """Open image i (accepted ones can be reopened and corrected); returns its prediction."""
        i = checked_index(i, len(self))
        self._ensure_annotation(i)
        self._commit(position=i)
        self._index = i
        return self.prediction

    def next(self) -> Prediction | None:
        """Open the following image (stays at the last one)."""
        return self.goto(min(self._index + 1, len(self) - 1))

    def previous(self) -> Prediction | None:
        """Open the preceding image (stays at the first one)."""
        return self.goto(max(self._index - 1, 0))

    def remove_context(self, i: int) -> None:
        """Drop entry i of ``context`` from the context set; its image stays accepted."""
        context = self._context.without_entry(i)
        self._commit(context=tuple(context))
        self._context.set(context)

    # ---- internals -----------------------------------------------------------------------------

    def _annotation(self) -> ImageAnnotation:
        return self._annotations[self._index]

    def _ensure_annotation(self, i: int) -> None:
        """Image i's annotation, replayed from its saved log the first time it is opened."""
        if i in self._annotations:
            return
        shape = image_shape(self.dataset.images[i])
        first = self._predict(i, Prompts(), None) if self._context_for(i) else None
        log = self._saved_logs.get(i, Prompts())
        read_edit = lambda edit: self._draft(edit, shape)  # noqa: E731
        annotation = ImageAnnotation.replayed(shape, first, log, self._predictor(i), read_edit)
        if i in self._accepted:
            annotation.history.replace_current_mask(self._accepted[i])
        self._annotations[i] = annotation
        self._saved_logs.pop(i, None)

    def _draft(self, edit: MaskEdit, shape: tuple[int, int]) -> np.ndarray:
        """A logged mask edit, read back from the work folder."""
        if self._store is None or edit.file is None or edit.sha256 is None:
            raise WorkFolderError("a logged mask edit needs its file in the work folder")
        self._drafts[edit.file] = self._store.read_mask(StoredMask(edit.file, edit.sha256), shape)
        return self._drafts[edit.file]

    def _predictor(self, i: int) -> Callable[[Prompts, Prediction | None], Prediction]:
        return lambda prompts, previous: self._predict(i, prompts, previous)

    def _predict(self, i: int, prompts: Prompts, previous: Prediction | None) -> Prediction:
        """One forward pass with every prompt so far and the previous logits (as in the paper),
        from the image and context set prepared once, not per click."""
        return self.model.predict(
            self._prepared_image(i),
            prompts,
            prev_logits=None if previous is None else previous.logits,
            context=self._prepared_context(i),
            max_context=self.max_context,
        )

    def _prepared_image(self, i: int) -> PreparedImage:
        if self._image_ready is None or self._image_ready[0] != i:
            self._image_ready = (i, self.model.prepare_image(self.dataset.images[i]))
        return self._image_ready[1]

    def _prepared_context(self, i: int) -> PreparedContext:
        """The context set for image i, prepared once per version of the set (and per image
        left out of it: a reopened image is not its own example)."""
        key = (self._context.version, i if i in self._context else None)
        if self._context_ready is None or self._context_ready[0] != key:
            self._context_ready = (key, self.model.prepare_context(self._context_for(i)))
        return self._context_ready[1]

    def _context_for(self, i: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The context set without image i itself: a reopened image must not see its answer."""
        members = self._context.members
        return [(self.dataset.images[j], self._accepted[j]) for j in members if j != i]

    def _commit(self, log: Prompts | None = None, **changes: Any) -> None:
        """Commit the session as it will be after the caller's change (before applying it):
        ``log`` is the current image's new prompts, ``changes`` other record fields."""
        if self._store is None:
            return
        logs = dict(self._saved_logs)
        logs.update({i: a.current.prompts for i, a in self._annotations.items()})
        if log is not None:
            logs[self._index] = log
        for prompts in logs.values():
            for entry in prompts.items:
                # a draft pruned by an undo and back by a redo is written again
                drafted = isinstance(entry, MaskEdit) and entry.file in self._drafts
                if drafted and not self._store.holds(entry.file):
                    self._store.write_mask("drafts", "", self._drafts[entry.file])
        record = SessionRecord(
            structure=self.structure,
            fingerprint=self._fingerprint,
            dataset=self._source,
            names=tuple(self.dataset.names),
            slices=tuple(self.dataset.slices),
            max_context=self.max_context,
            position=self._index,
            accepted=self._accepted_files,
            context=tuple(self._context.members),
            logs={i: p for i, p in logs.items() if p},
        )
        self._store.commit(record.changed(**changes))
