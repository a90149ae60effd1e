"""Writing masks in the formats pipelines read: PNG, TIFF, NIfTI volumes, one NPZ file; binary
masks, label maps of several structures, or instance ids.

File names come from the images' source names, made safe: whatever a name holds (``../``,
absolute paths, separators), every file lands inside the target folder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np

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
    payloads = {name: FORMATS[format].write_mask(content) for name, content in files.items()}
    folder.mkdir(parents=True, exist_ok=True)
    for name, payload in payloads.items():
        atomic_write(folder / name, payload)
    return [folder / name for name in payloads]


def _plan(masks: Mapping[int, np.ndarray], dataset: Dataset, format: str) -> dict:
    """File name -> what goes in it; names are safe and unique before anything is written."""
    if format == "nifti":
        return _plan_volumes(masks, dataset)
    suffix = "" if format == "npz" else FORMATS[format].mask_suffix  # npz: keys, not files
    plan: dict = {}
    for i in sorted(masks):
        name = unique_name(safe_name(dataset.names[i]), plan, suffix)
        plan[name] = np.asarray(masks[i])
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
