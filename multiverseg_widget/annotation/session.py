"""The annotation session: segmenting one dataset, one image at a time, as a thin front over
parts with one job each: ``Structure`` (one structure's context set, accepted masks and
per-image ``ImageAnnotation`` with its undo ``History``), ``SessionRecord`` + ``WorkFolder``
(what is on disk), ``propagation`` (the whole dataset at once). Every change is committed to the
work folder before the call returns, so that killing the kernel loses nothing accepted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ..common.names import safe_name
from ..data import Dataset, load
from ..model import Prediction, Predictor
from ..model.context import PreparedContext
from ..model.inputs import PreparedImage
from ..model.load import as_predictor
from ..prompts import MaskEdit, Prompts
from .accepted_masks import AcceptedMasks
from .adaptation import ContextAdaptation
from .checks import check_max_context, checked_index, image_shape
from .context_set import ContextSet
from .editing import ImageEditing
from .image_annotation import ImageAnnotation
from .labels import StructureLabels
from .persistence import Persistence
from .propagation import Propagation
from .record import StoredMask
from .store import STATE_FILE, WorkFolder, WorkFolderError
from .structure import Structure, structure_names
from .whole_dataset import WholeDataset

STATUSES = ("todo", "in progress", "accepted")  # what status() says; status_codes() indexes it


class Session(ImageEditing, WholeDataset, StructureLabels, Persistence, ContextAdaptation):
    """Annotate ``images``, one structure at a time.

    images: anything ``data.load`` reads (folder, files, N x H x W array, list of arrays, Dataset).
    model: a Predictor, or a name or checkpoint path for ``load_model`` ("official": the
    authors' weights; default: the built-in ones, which adapt to each context set of 2 or more
    images, in seconds at each accept: ``as_predictor``), loaded on ``device`` ("auto", "cpu",
    "cuda", "mps"; default the CPU). workdir: where every change is saved; None
    keeps the session in memory only; a folder that holds a session of the same images is
    continued (of other images: refused). structures: the names of the structures to annotate
    (each with its own context set); ``structure`` alone names the one structure.
    max_context: cap on context items per prediction. One Session writes to a work folder at a
    time: it holds the folder's lock until ``close()`` (or the end of a ``with`` block, or its
    process); another process's Session on it raises FolderInUseError naming the holder, and a
    newer Session in the same process takes the folder over (the older one then refuses to
    write). read_only: view the session of ``workdir`` without the lock, writing nothing (no
    migration, no cleanup); moving between images and structures (and ``view``) works, every
    other change raises ReadOnlySessionError. Also ``Session.resume(workdir, read_only=True)``.
    """

    def __init__(
        self,
        images: Any,
        model: Predictor | str | Path | None = None,
        workdir: str | Path | None = None,
        structure: str | None = None,
        max_context: int | None = None,
        axis: int | None = None,
        skip_bad: bool = False,
        structures: Sequence[str] | None = None,
        device: str | None = None,
        read_only: bool = False,
    ) -> None:
        names = structure_names(structure, structures)
        check_max_context(max_context)
        dataset = load(images, axis=axis, skip_bad=skip_bad)
        model = as_predictor(model, device)
        continuing = workdir is not None and (Path(workdir).expanduser() / STATE_FILE).is_file()
        if continuing or read_only:
            named = [] if structure is None and structures is None else names
            self._continue(WorkFolder.open(workdir, read_only), dataset, model, named)
            return
        store = None if workdir is None else WorkFolder.create(workdir)
        self._setup(dataset, model, store, names, max_context)
        if structure is not None and structures is not None:
            self._current = structure
        self._start(dataset)

    def _setup(
        self,
        dataset: Dataset,
        model: Predictor,
        store: WorkFolder | None,
        structures: Sequence[str],
        max_context: int | None,
    ) -> None:
        self.dataset = dataset
        self.model = model
        self.max_context = max_context
        self._store = store
        self._index = 0
        self._structures = {name: self._new_structure(name) for name in structures}
        self._current = structures[0]
        self._drafts: dict[str, np.ndarray] = {}  # draft file -> mask set by hand
        self._image_ready: tuple[int, PreparedImage] | None = None
        self._context_ready: tuple[tuple[str, int, int | None], PreparedContext] | None = None
        self._defer_adaptation = False

    @property
    def _part(self) -> Structure:
        return self._structures[self._current]

    @property
    def _accepted(self) -> AcceptedMasks:
        return self._part.accepted

    @property
    def _context(self) -> ContextSet:
        return self._part.context

    @property
    def propagated(self) -> Propagation | None:  # type: ignore[override]
        """The current structure's last propagation (see ``propagate``)."""
        return self._part.propagated

    @propagated.setter
    def propagated(self, result: Propagation | None) -> None:
        self._part.propagated = result

    # ---- what the session holds -----------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"Session({len(self)} images, structure {self._current!r} of {self.structures}: "
            f"{len(self._accepted)} accepted, {len(self._context)} in context, "
            f"at image {self._index}, "
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
        return "in progress" if self.image_prompts(i) else "todo"

    def status_codes(self) -> np.ndarray:
        """Every image's ``status`` at once, as indices into ``STATUSES`` (uint8), from the
        images the current structure has touched: what a view of 100,000 images summarises
        without a call per image."""
        part = self._part
        codes = np.zeros(len(self), dtype=np.uint8)
        codes[list(part.logs())] = STATUSES.index("in progress")
        codes[list(part.accepted)] = STATUSES.index("accepted")
        return codes

    def image_prompts(self, i: int) -> Prompts:
        """Image i's prompts for the current structure, as they stand (accepted images keep
        theirs: how many an image took is the in-context gain, image after image)."""
        i = checked_index(i, len(self))
        annotation = self._part.annotations.get(i)
        return annotation.current.prompts if annotation else self._part.saved_logs.get(i, Prompts())

    # ---- accepting and moving ----------------------------------------------------------------

    def accept(self, allow_empty: bool = False) -> np.ndarray:
        """Save the current mask, put it in the context set and move to the next open image.

        Returns the accepted mask once it is on disk. Re-accepting an image replaces its mask and
        its context entry. An empty mask (the structure is absent) is accepted only with
        ``allow_empty=True``: it is rarely meant, and it joins the context set as an example.
        """
        i, part = self._index, self._part
        mask = self._history().current.mask
        if not allow_empty and not mask.any():
            raise ValueError(
                f"the mask of image {i} is empty; if the structure is absent from it, accept it "
                "with accept(allow_empty=True)"
            )
        after_i = itertools.chain(range(i + 1, len(self)), range(i))
        opens = (j for j in after_i if j not in part.accepted and self.dataset.readable(j))
        position = next(opens, i)  # an image that cannot be read is not opened: goto says why
        self._accept_masks({self._current: {i: mask}}, origin=None, position=position)
        self._index = position
        self._ensure_annotation(position)
        return part.accepted[i]

    def _accept_masks(
        self,
        masks: Mapping[str, Mapping[int, np.ndarray]],
        origin: str | None,
        **changes: Any,
    ) -> None:
        """Accept ``masks`` (structure -> image index -> checked H x W bool): the files, then
        one commit of every structure's new part (and ``changes`` to other record fields),
        then the structures take them. ``origin``: where imported masks came from."""
        parts = {}
        for name, by_image in masks.items():
            files = {}
            if self._store is not None:
                for i, mask in by_image.items():
                    stem = safe_name(f"{i:05d}_{self.names[i]}_{name}")
                    files[i] = self._store.write_mask("masks", stem, mask)
            parts[name] = self._structures[name].accepting(by_image, origin, files)
        self._commit(parts=parts, **changes)
        for name, record in parts.items():
            self._structures[name].take(record, masks[name])

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
        self._commit(parts={self._current: self._part.record(context=tuple(context))})
        self._context.set(context)

    # ---- internals -----------------------------------------------------------------------------

    def _annotation(self) -> ImageAnnotation:
        return self._part.annotations[self._index]

    def _ensure_annotation(self, i: int) -> None:
        """Image i's annotation, replayed from its saved log the first time it is opened."""
        part = self._part
        if i in part.annotations:
            return
        shape = image_shape(self.dataset.images[i])
        has_context = any(j != i for j in self._context.members)
        first = self._predict(i, Prompts(), None) if has_context else None
        log = part.saved_logs.get(i, Prompts())
        read_edit = lambda edit: self._draft(edit, shape)  # noqa: E731
        annotation = ImageAnnotation.replayed(shape, first, log, self._predictor(i), read_edit)
        if i in part.accepted:
            annotation.history.replace_current_mask(part.accepted[i])
        part.annotations[i] = annotation
        part.saved_logs.pop(i, None)

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
            adapt=not (self._defer_adaptation and not prompts and previous is None),
        )

    def _prepared_image(self, i: int) -> PreparedImage:
        if self._image_ready is None or self._image_ready[0] != i:
            self._image_ready = (i, self.model.prepare_image(self.dataset.images[i]))
        return self._image_ready[1]

    def _prepared_context(self, i: int) -> PreparedContext:
        """The context set for image i, prepared once per version of the set (and per image
        left out of it: a reopened image is not its own example)."""
        key = (self._current, self._context.version, i if i in self._context else None)
        if self._context_ready is None or self._context_ready[0] != key:
            self._context_ready = (key, self.model.prepare_context(self._context_for(i)))
        return self._context_ready[1]

    def _context_for(self, i: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The context set without image i itself: a reopened image must not see its answer."""
        members = self._context.members
        return [(self.dataset.images[j], self._accepted[j]) for j in members if j != i]
