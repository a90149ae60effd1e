"""Writing masks in the formats pipelines read: PNG, TIFF, NIfTI volumes, one NPZ file; binary
masks, label maps of several structures, or instance ids.

Exports destroy nothing: the target may not be a folder of the source images, nor be or lie in
the session's work folder, and an existing file is replaced only with ``overwrite``
(``export_target.py``); both are checked for every planned file before anything is written.
File names come from the images' source names, made safe (``common/names.py``): whatever a name
holds (``../``, absolute paths, separators, letters of any script), every file lands inside the
target folder, and ``export-manifest.json``, written last, maps each file back to its image.
Files of one image each are written one at a time, each mask read when its file is written, so
exporting 100,000 propagated masks does not hold them all.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from ..common.atomic import atomic_write
from ..common.names import safe_name, unique_name
from ..data import EXPORT_FORMATS, FORMATS, Dataset, VolumeSlice
from .export_target import check_free, refuse_protected

MANIFEST = "export-manifest.json"  # in the target folder; "<name>-manifest.json" beside x.npz
PACKAGE = "multiverseg-widget"


class Exported(list[Path]):
    """The files an export wrote, the manifest last; ``images``: how many images' masks they
    hold, which is what an export's message counts (a label map's ``labels.json`` and the
    manifest are files but no masks; one npz or NIfTI file may hold many)."""

    def __init__(self, files: Iterable[Path], images: int) -> None:
        super().__init__(files)
        self.images = images


@dataclass(frozen=True)
class Provenance:
    """Where exported masks come from, for the refusals and the manifest.

    work_folder: the session's (never written into); about: what the manifest says of the
    export besides its files (structure, options); origin: image index -> which mask it is
    ("accepted" or "propagated").
    """

    work_folder: Path | None = None
    about: Mapping[str, Any] = field(default_factory=dict)
    origin: Callable[[int], str] = lambda i: "accepted"


def export_masks(
    masks: Mapping[int, np.ndarray],
    dataset: Dataset,
    path: str | Path,
    format: str = "png",
    provenance: Provenance | None = None,
    overwrite: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> Exported:
    """Write ``masks`` under ``path``, and a manifest that maps each file back to its image.
    Raises ValueError (nothing written) for a target among the source images or in the work
    folder, and ``ExportWouldOverwrite`` for existing files unless ``overwrite``.

    Args:
        masks: image index -> H x W bool, or integer labels (label maps, instance ids), of
            that image's shape.
        dataset: the session's images: their names (the files'), their files (never a
            target) and volume slices.
        path: the target folder; npz writes one file: ``path`` itself if it ends in .npz,
            else ``path/masks.npz``.
        format: one of ``EXPORT_FORMATS``.
        provenance: where the masks come from (None: no work folder, every mask accepted).
        overwrite: replace existing files.
        extra: more files, name -> JSON content (a label map's ``labels.json``).

    Returns:
        The files written, the manifest last, and how many images' masks they hold.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {list(EXPORT_FORMATS)}, got {format!r}")
    provenance = provenance or Provenance()
    extra = dict(extra or {})
    try:
        target = Path(path).expanduser()
    except RuntimeError as error:  # ~someone who is not a user here
        raise ValueError(f"export target {path}: {error}") from None
    if format == "npz" and target.suffix.lower() == ".npz":
        folder, single, manifest = target.parent, target.name, f"{target.stem}-manifest.json"
    else:
        folder, single, manifest = target, "masks.npz", MANIFEST
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"export target {folder} exists and is not a folder")
    refuse_protected(folder, dataset, provenance.work_folder)
    reserved = {name.lower() for name in (*extra, manifest)}
    files, rows = _plan(masks, dataset, format, reserved)
    if format == "npz":
        files = {single: files}
        rows = [{**row, "file": single, "key": row["file"]} for row in rows]
    names = [*files, *extra, manifest]
    for name in names:
        if Path(name).name != name or (folder / name).resolve().parent != folder.resolve():
            raise ValueError(f"export file name {name!r} would leave {folder}")
    check_free(folder, names, overwrite)
    if format == "npz":
        files = {single: {key: np.asarray(masks[i]) for key, i in files[single].items()}}
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        content = np.asarray(masks[content]) if isinstance(content, int) else content
        atomic_write(folder / name, _writer(format)(content))
    for name, content in extra.items():
        atomic_write(folder / name, json.dumps(content, indent=1).encode())
    record = _manifest(format, provenance, dataset, rows, [*files, *extra])
    atomic_write(folder / manifest, json.dumps(record, indent=1, ensure_ascii=False).encode())
    return Exported([folder / name for name in names], len(rows))


class ComputedMasks(Mapping[int, np.ndarray]):
    """Masks made when read, ``compute(i)`` for each of ``indices``: an export writes them one
    at a time, so that 100,000 label maps or instance ids are never held at once."""

    def __init__(self, indices: Iterable[int], compute: Callable[[int], np.ndarray]) -> None:
        self._indices = frozenset(indices)
        self._compute = compute

    def __getitem__(self, i: int) -> np.ndarray:
        if i not in self._indices:
            raise KeyError(i)
        return self._compute(i)

    def __contains__(self, i: object) -> bool:
        return i in self._indices

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._indices))

    def __len__(self) -> int:
        return len(self._indices)


def instance_ids(mask: np.ndarray) -> np.ndarray:
    """A mask's connected components numbered 1, 2, ...: instance ids, for nuclei and cells.

    Args:
        mask: H x W bool.

    Returns:
        H x W uint16: 0 background, k the k-th component.
    """
    return ndimage.label(mask)[0].astype(np.uint16)


def _writer(format: str) -> Callable[[Any], bytes]:
    """The mask writer of ``format`` (ValueError for a format that reads only)."""
    writer = FORMATS[format].write_mask
    if writer is None:
        raise ValueError(f"masks cannot be written as {format}")
    return writer


def _manifest(
    format: str,
    provenance: Provenance,
    dataset: Dataset,
    rows: list[dict[str, Any]],
    files: list[str],
) -> dict[str, Any]:
    """What the export was (format, session, time, package version) and, per image, the file
    it went to, its index and name (``image``) in the dataset, and which mask it is."""
    work = provenance.work_folder
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        version = "unknown"
    for row in rows:
        row.update(image=dataset.names[row["index"]], mask=provenance.origin(row["index"]))
    return {
        "format": format,
        **provenance.about,
        "work_folder": None if work is None else str(work.resolve()),
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "package": {"name": PACKAGE, "version": version},
        "files": files,
        "images": rows,
    }


def _plan(
    masks: Mapping[int, np.ndarray], dataset: Dataset, format: str, taken: set[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """File name -> what goes in it (an image index: its mask, read when written), and a row
    per image (index, file); names are safe and unique (against ``taken``, lower case, which
    grows) before anything is written."""
    if format == "nifti":
        return _plan_volumes(masks, dataset, taken)
    suffix = "" if format == "npz" else (FORMATS[format].mask_suffix or "")  # npz: keys
    plan: dict[str, Any] = {}
    rows = []
    for i in sorted(masks):
        name = _take(unique_name(safe_name(dataset.names[i]), taken, suffix), taken)
        plan[name] = i
        rows.append({"index": i, "file": name})
    return plan, rows


def _plan_volumes(
    masks: Mapping[int, np.ndarray], dataset: Dataset, taken: set[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Masks of one source volume go back into one volume; 2D images become 2D files."""
    volumes: dict[str, list[tuple[int, VolumeSlice]]] = defaultdict(list)
    plan: dict[str, Any] = {}
    rows = []
    wide = any(np.asarray(m).max(initial=0) > 255 for m in masks.values())
    voxel = np.uint16 if wide else np.uint8  # labels above 255 need 16 bits
    for i in sorted(masks):
        where = dataset.slices[i]
        if where is None:
            name = _take(unique_name(safe_name(dataset.names[i]), taken, ".nii.gz"), taken)
            plan[name] = (np.asarray(masks[i], dtype=voxel), np.eye(4))
            rows.append({"index": i, "file": name})
        else:
            volumes[where.volume].append((i, where))
    for volume, parts in volumes.items():
        first = parts[0][1]
        data = np.zeros(first.shape, dtype=voxel)
        name = _take(unique_name(safe_name(volume, "volume"), taken, ".nii.gz"), taken)
        for i, where in parts:
            np.moveaxis(data, where.axis, 0)[where.index] = np.asarray(masks[i])
            rows.append({"index": i, "file": name, "axis": where.axis, "slice": where.index})
        plan[name] = (data, np.asarray(first.affine, dtype=float))
    return plan, sorted(rows, key=lambda row: row["index"])


def _take(name: str, taken: set[str]) -> str:
    taken.add(name.lower())
    return name
