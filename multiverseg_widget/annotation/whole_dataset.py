"""What the session does over the whole dataset: propagate the context set to every open
image and export the masks (``suggestion.py`` suggests the next image from the propagation)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import warnings
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..common.digest import array_digest
from ..data.lazy import ImageFile, ImageSource, MappedSlice
from .changes import NamePropagation
from .checks import checked_index
from .export import ComputedMasks, Exported, Provenance, export_masks, instance_ids
from .propagation import (
    MaskFile,
    MaskSource,
    Propagation,
    PropagationContext,
    propagate,
)
from .propagation_results import FolderResults, MemoryResults
from .session_model import SessionModel
from .workspace import Workspace

LABEL_MAP_FORMATS = {"labelmap": "png", "labelmap-tiff": "tiff"}  # -> the format of each file
LABELS = "labels.json"  # beside a label map export: value -> structure
LabelMap = Callable[[int], np.ndarray]  # image index -> its H x W label map


class WholeDataset:
    """The dataset-wide API of ``Session``: it reads the workspace and the model, and changes
    only the current structure's propagation."""

    def __init__(self, workspace: Workspace, model: SessionModel, label_map: LabelMap) -> None:
        self.workspace = workspace
        self.session_model = model  # its Predictor, and max_context as resolved on this machine
        self.label_map = label_map

    @property
    def propagated(self) -> Propagation | None:
        """The current structure's last propagation (None before the first)."""
        return self.workspace.part.propagated

    def propagate(
        self,
        indices: Sequence[int] | None = None,
        executor: concurrent.futures.Executor | None = None,
        batch_size: int = 8,
        progress: bool = True,
    ) -> Propagation:
        """Predict images not yet accepted from the context set alone. Results go to the work
        folder as they arrive: run again after an interruption, it predicts only the images
        still missing for this context set. An image that cannot be read (a damaged file, a
        volume slice with NaN or infinite pixels) is skipped, the others are predicted, and a
        warning at the end names each one.

        Args:
            indices: the images to predict, none of them accepted (None: every open image).
            executor: any concurrent.futures.Executor (a dask.distributed
                ``client.get_executor()`` spreads the work over a cluster: its workers read the
                image files themselves). Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_``
                set, which halves PyTorch's speed on CPUs; create the cluster inside
                ``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                None})`` to leave it unset (and before any other cluster in the process: a
                cluster's nanny also sets it in the process's own environment).
            batch_size: images per task.
            progress: show a progress bar.

        Returns:
            Every image predicted from this context set so far, also kept as ``propagated``
            (see ``export``): ``masks``, image index -> H x W bool; ``confidence``, image index
            -> float in [0, 1] (1: certain); ``skipped``, image index -> why it was not read.
        """
        workspace, part = self.workspace, self.workspace.part
        if not len(part.context):
            raise ValueError("propagate needs a context set: accept at least one image first")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if indices is None:
            targets = self.open_images()
        else:
            targets = sorted({checked_index(i, len(workspace.dataset)) for i in indices})
            done = [i for i in targets if i in part.accepted]
            if done:
                raise ValueError(f"images {done} are accepted already; propagate predicts the rest")
        sources = self._context_sources()
        key = self._propagation_key(sources)
        results: FolderResults | MemoryResults
        store = workspace.store
        if store is None:
            earlier = self.propagated if self._propagated_is(key) else None
            results = MemoryResults(
                earlier.masks if earlier else {}, earlier.confidence if earlier else {}
            )
        else:
            store.check_writable()  # its results go to the work folder
            if not self._propagated_is(key):  # name it first: the work folder keeps it
                workspace.perform(NamePropagation(key))
            results = FolderResults(store.path, key)
        skipped: dict[int, str] = {}
        try:
            context = PropagationContext(key, sources, self.session_model.max_context)
            skipped = propagate(
                self.session_model.model, workspace.dataset.images.source, targets, context,
                results, executor, batch_size, progress,
            )  # fmt: skip
        finally:
            if isinstance(results, FolderResults):
                results.close()
            found = part.propagated = Propagation(results.masks, results.confidence, key, skipped)
        if skipped:
            listing = "; ".join(
                f"image {i} ({workspace.dataset.names[i]}): {why}" for i, why in skipped.items()
            )
            warnings.warn(
                f"propagate skipped {len(skipped)} image(s) that cannot be read: {listing}",
                stacklevel=2,
            )
        return found

    def open_images(self) -> list[int]:
        """The current structure's images not accepted yet, in order."""
        accepted = self.workspace.part.accepted
        return [i for i in range(len(self.workspace.dataset)) if i not in accepted]

    def _propagated_is(self, key: str) -> bool:
        return self.propagated is not None and self.propagated.key == key

    def _workdir(self) -> Path | None:
        store = self.workspace.store
        return None if store is None else store.path

    def propagation_key(self) -> str:
        """What the current context set's propagation is kept by (``_propagation_key``)."""
        return self._propagation_key(self._context_sources())

    def _propagation_key(self, sources: Sequence[tuple[ImageSource, MaskSource]]) -> str:
        """Names a propagation by what decides its result: the structure, its context set
        (``sources``; images: their files, or pixels in memory; masks: the checksums of their
        files, or their pixels), the cap on context items, the model and its settings."""
        model, workspace = self.session_model.model, self.workspace
        settings = [
            workspace.current, workspace.part.context.members, self.session_model.max_context,
            model.metadata, model.settings,
        ]  # fmt: skip
        digest = hashlib.blake2b(json.dumps(settings, default=str).encode(), digest_size=10)
        for image, mask in sources:
            if isinstance(image, ImageFile):
                image_id = image.path
            else:
                image_id = array_digest([image.array if isinstance(image, MappedSlice) else image])
            mask_id = mask.sha256 if isinstance(mask, MaskFile) else array_digest([mask])
            digest.update(f"{image_id}\0{mask_id}\n".encode())
        return digest.hexdigest()

    def _context_sources(self) -> tuple[tuple[ImageSource, MaskSource], ...]:
        """The context set as tasks carry it: files where the images and masks are stored (a
        stored mask is not read here)."""
        workspace, part = self.workspace, self.workspace.part
        files = part.accepted_files
        out: list[tuple[ImageSource, MaskSource]] = []
        for j in part.context.members:
            mask: MaskSource
            if workspace.store is not None and j in files:
                mask = MaskFile(str(workspace.store.path / files[j].file), files[j].sha256)
            else:
                mask = part.accepted[j]
            out.append((workspace.dataset.images.source(j), mask))
        return tuple(out)

    def export(
        self,
        path: str | Path,
        format: str = "png",
        include_propagated: bool = False,
        instances: bool = False,
        overwrite: bool = False,
    ) -> Exported:
        """Write the current structure's accepted masks (and, if asked, the last propagated
        ones) to ``path``. Nothing is destroyed: a ``path`` that is a folder of the source
        images, or is or lies in the work folder, raises ValueError, and one that holds any file
        the export would write raises ``ExportWouldOverwrite`` (a ValueError naming them) unless
        ``overwrite``; either way nothing is written.

        Args:
            path: the target folder (npz: or the .npz file itself); ``~`` is the home folder.
            format: png, one 0/255 file per image; tiff, one 0/1 file per image; nifti, one 0/1
                volume per source volume with its affine (2D images: one file each); npz, one
                file; labelmap (PNG; NIfTI for volumes) and labelmap-tiff, every structure in
                one integer image per image (``label_map``), with ``labels.json`` naming them.
            include_propagated: also the open images' masks of the last ``propagate`` (by
                default only accepted images are written); not for label maps, which hold
                every structure's accepted masks.
            instances: connected components numbered 1, 2, ... instead of 0/255 (nuclei); not
                for label maps.
            overwrite: replace the files of an earlier export.

        Returns:
            The files written, the manifest last (``export-manifest.json``): it maps each file
            back to its image (index and name, accepted or propagated) and names the format,
            work folder, time and version. File names come from the source names, made safe
            (accents dropped, names in other scripts a short hash such as ``image-e02b510c``).
            Its ``images`` is how many images' masks were written.
        """
        if format in LABEL_MAP_FORMATS:
            if include_propagated or instances:
                raise ValueError(
                    f"format={format!r} writes every structure's accepted masks: "
                    "include_propagated and instances are for one structure's formats"
                )
            return self._export_label_maps(path, format, overwrite)
        workspace, accepted = self.workspace, self.workspace.part.accepted
        propagated = self.propagated
        masks: Mapping[int, np.ndarray] = accepted
        if include_propagated and propagated is not None:
            masks = ChainMap(accepted, propagated.masks)  # type: ignore[arg-type]  # accepted ones first
        if not masks:
            raise ValueError("nothing to export: no image has been accepted yet")
        if instances:
            binary = masks
            masks = ComputedMasks(binary, lambda i: instance_ids(binary[i]))
        about = {
            "structure": workspace.current,
            "include_propagated": include_propagated,
            "instances": instances,
        }
        provenance = Provenance(
            self._workdir(), about, lambda i: "accepted" if i in accepted else "propagated"
        )
        return export_masks(masks, workspace.dataset, path, format, provenance, overwrite)

    def _export_label_maps(self, path: str | Path, format: str, overwrite: bool) -> Exported:
        structures, dataset = self.workspace.structures, self.workspace.dataset
        images = sorted(set[int]().union(*(s.accepted for s in structures.values())))
        if not images:
            raise ValueError("nothing to export: no image has been accepted yet")
        volumes = any(dataset.slices[i] is not None for i in images)
        image_format = "nifti" if volumes and format == "labelmap" else LABEL_MAP_FORMATS[format]
        maps = ComputedMasks(images, self.label_map)
        labels = {"0": "background"} | {str(k): n for k, n in enumerate(structures, 1)}
        about = {"format": format, "file_format": image_format, "labels": labels}
        provenance = Provenance(self._workdir(), about)
        return export_masks(
            maps, dataset, path, image_format, provenance, overwrite, {LABELS: labels}
        )
