"""Writing masks in the formats pipelines read: PNG, TIFF, NIfTI volumes, one NPZ file; binary
masks, label maps of several structures, or instance ids.

File names come from the images' source names, made safe: whatever a name holds (``../``,
absolute paths, separators), every file lands inside the target folder. Every name is checked
before anything is written; files of one image each are then written one at a time, each mask
read when its file is written, so exporting 100,000 propagated masks does not hold them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
from scipy import ndimage

from ..common.atomic import atomic_write
from ..common.names import safe_name, unique_name
from ..data import EXPORT_FORMATS, FORMATS, Dataset, VolumeSlice


def export_masks(
    masks: Mapping[int, np.ndarray], dataset: Dataset, path: str | Path, format: str = "png"
) -> list[Path]:
    """Write ``masks`` (image index -> H x W bool, or integer labels) under ``path``; return
    the files written.

    npz writes one file: ``path`` itself if it ends in .npz, else ``path/masks.npz``.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {list(EXPORT_FORMATS)}, got {format!r}")
    target = Path(path).expanduser()
    if format == "npz" and target.suffix.lower() == ".npz":
        folder, single = target.parent, target.name
    else:
        folder, single = target, "masks.npz"
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"export target {folder} exists and is not a folder")
    files = _plan(masks, dataset, format)
    if format == "npz":
        files = {single: files}
    for name in files:
        if Path(name).name != name or (folder / name).resolve().parent != folder.resolve():
            raise ValueError(f"export file name {name!r} would leave {folder}")
    if format == "npz":
        files = {single: {key: np.asarray(masks[i]) for key, i in files[single].items()}}
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        content = np.asarray(masks[content]) if isinstance(content, int) else content
        atomic_write(folder / name, FORMATS[format].write_mask(content))
    return [folder / name for name in files]


class InstanceLabels(Mapping[int, np.ndarray]):
    """Masks as connected components numbered 1, 2, ... (uint16), labelled when read."""

    def __init__(self, masks: Mapping[int, np.ndarray]) -> None:
        self._masks = masks

    def __getitem__(self, i: int) -> np.ndarray:
        return ndimage.label(self._masks[i])[0].astype(np.uint16)

    def __iter__(self) -> Iterator[int]:
        return iter(self._masks)

    def __len__(self) -> int:
        return len(self._masks)


def _plan(masks: Mapping[int, np.ndarray], dataset: Dataset, format: str) -> dict:
    """File name -> what goes in it (an image index: its mask, read when written); names are
    safe and unique before anything is written."""
    if format == "nifti":
        return _plan_volumes(masks, dataset)
    suffix = "" if format == "npz" else FORMATS[format].mask_suffix  # npz: keys, not files
    plan: dict = {}
    for i in sorted(masks):
        plan[unique_name(safe_name(dataset.names[i]), plan, suffix)] = i
    return plan


def _plan_volumes(masks: Mapping[int, np.ndarray], dataset: Dataset) -> dict:
    """Masks of one source volume go back into one volume; 2D images become 2D files."""
    volumes: dict[str, list[tuple[VolumeSlice, np.ndarray]]] = defaultdict(list)
    plan: dict = {}
    wide = any(np.asarray(m).max(initial=0) > 255 for m in masks.values())
    voxel = np.uint16 if wide else np.uint8  # labels above 255 need 16 bits
    for i in sorted(masks):
        where = dataset.slices[i]
        if where is None:
            mask = np.asarray(masks[i], dtype=voxel)
            plan[unique_name(safe_name(dataset.names[i]), plan, ".nii.gz")] = (mask, np.eye(4))
        else:
            volumes[where.volume].append((where, np.asarray(masks[i])))
    for volume, parts in volumes.items():
        first = parts[0][0]
        data = np.zeros(first.shape, dtype=voxel)
        for where, mask in parts:
            np.moveaxis(data, where.axis, 0)[where.index] = mask
        name = unique_name(safe_name(volume, "volume"), plan, ".nii.gz")
        plan[name] = (data, np.asarray(first.affine, dtype=float))
    return plan
