"""What the session does over the whole dataset: propagate the context set to every open
image, suggest the next image to annotate, and export the masks. A facet of ``Session`` (its
base class), kept apart so that each file has one concern."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..data import Dataset
from ..model.predictor import Predictor
from .checks import checked_index
from .context_set import ContextSet
from .export import export_masks
from .propagation import Propagation, least_confident, propagate
from .store import WorkFolder


class WholeDataset:
    """The dataset-wide API of ``Session``; see there."""

    # Parts: provided by Session.
    dataset: Dataset
    model: Predictor
    max_context: int | None
    propagated: Propagation | None
    context: list[tuple[np.ndarray, np.ndarray]]
    _accepted: dict[int, np.ndarray]
    _context: ContextSet
    _store: WorkFolder | None

    def __len__(self) -> int:
        return len(self.dataset)

    def propagate(
        self,
        indices: Sequence[int] | None = None,
        executor: concurrent.futures.Executor | None = None,
        batch_size: int = 8,
        progress: bool = True,
    ) -> Propagation:
        """Predict images not yet accepted (default: all of them) from the context set alone.

        executor: any concurrent.futures.Executor (a dask.distributed ``client.get_executor()``
        spreads the work over a cluster). The result is also kept as ``propagated`` (see
        ``export``).
        """
        if not len(self._context):
            raise ValueError("propagate needs a context set: accept at least one image first")
        if indices is None:
            targets = [i for i in range(len(self)) if i not in self._accepted]
        else:
            targets = sorted({checked_index(i, len(self)) for i in indices})
            done = [i for i in targets if i in self._accepted]
            if done:
                raise ValueError(f"images {done} are accepted already; propagate predicts the rest")
        self.propagated = propagate(
            self.model, self.dataset.images.__getitem__, targets, self.context,
            self.max_context, self._context.version, executor, batch_size, progress,
        )  # fmt: skip
        return self.propagated

    def suggest_next(self) -> int | None:
        """The image not yet accepted that the model is least sure about (None when all are).

        With an empty context set there is nothing to be sure about: the first open image.
        """
        todo = [i for i in range(len(self)) if i not in self._accepted]
        if not todo or not len(self._context):
            return todo[0] if todo else None
        result = self.propagated
        if (
            result is None
            or result.context_version != self._context.version
            or not set(todo) <= result.confidence.keys()
        ):
            result = self.propagate(todo, progress=False)
        return least_confident(result, todo)

    def export(
        self, path: str | Path, format: str = "png", include_propagated: bool = False
    ) -> list[Path]:
        """Write the accepted masks (and, if asked, the last propagated ones) to ``path``.

        png: one 0/255 file per image; tiff: one 0/1 file per image; nifti: one 0/1 volume per
        source volume with its affine (2D images: one file each); npz: one file. File names come
        from the source names, made safe. Returns the files written.
        """
        masks = dict(self._accepted)
        if include_propagated and self.propagated is not None:
            for i, mask in self.propagated.masks.items():
                masks.setdefault(i, mask)
        if not masks:
            raise ValueError("nothing to export: no image has been accepted yet")
        target = Path(path)
        if self._store is not None and self._store.contains(target):
            raise ValueError(f"export to {target} would write into the session's work folder")
        return export_masks(masks, self.dataset, target, format)
