"""What the session does over the whole dataset: propagate the context set to every open
image, suggest the next image to annotate, and export the masks. A facet of ``Session`` (its
base class), kept apart so that each file has one concern."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy import ndimage

from ..common.atomic import atomic_write_json
from ..data import Dataset
from ..model.predictor import Predictor
from .checks import checked_index
from .context_set import ContextSet
from .export import export_masks
from .propagation import Propagation, least_confident, propagate
from .store import WorkFolder
from .structure import Structure

LABEL_MAP_FORMATS = {"labelmap": "png", "labelmap-tiff": "tiff"}  # -> the format of each file


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
    _structures: dict[str, Structure]
    label_map: Callable[[int], np.ndarray]

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
        self,
        path: str | Path,
        format: str = "png",
        include_propagated: bool = False,
        instances: bool = False,
    ) -> list[Path]:
        """Write the current structure's accepted masks (and, if asked, the last propagated
        ones) to ``path``; returns the files written.

        png: one 0/255 file per image; tiff: one 0/1 file per image; nifti: one 0/1 volume per
        source volume with its affine (2D images: one file each); npz: one file.
        ``instances``: connected components numbered 1, 2, ... instead of 0/255 (nuclei).
        labelmap (PNG; NIfTI for volumes) and labelmap-tiff: every structure in one integer
        image per image (``label_map``), with ``labels.json`` naming the values. File names come
        from the source names, made safe.
        """
        target = Path(path)
        if self._store is not None and self._store.contains(target):
            raise ValueError(f"export to {target} would write into the session's work folder")
        if format in LABEL_MAP_FORMATS:
            return self._export_label_maps(target, format)
        masks = dict(self._accepted)
        if include_propagated and self.propagated is not None:
            for i, mask in self.propagated.masks.items():
                masks.setdefault(i, mask)
        if not masks:
            raise ValueError("nothing to export: no image has been accepted yet")
        if instances:
            masks = {i: ndimage.label(m)[0].astype(np.uint16) for i, m in masks.items()}
        return export_masks(masks, self.dataset, target, format)

    def _export_label_maps(self, target: Path, format: str) -> list[Path]:
        images = sorted(set().union(*(s.accepted for s in self._structures.values())))
        if not images:
            raise ValueError("nothing to export: no image has been accepted yet")
        volumes = any(self.dataset.slices[i] is not None for i in images)
        image_format = "nifti" if volumes and format == "labelmap" else LABEL_MAP_FORMATS[format]
        maps = {i: self.label_map(i) for i in images}
        files = export_masks(maps, self.dataset, target, image_format)
        labels = {"0": "background"} | {str(k): n for k, n in enumerate(self._structures, 1)}
        atomic_write_json(target / "labels.json", labels)
        return [*files, target / "labels.json"]
