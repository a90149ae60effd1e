"""Reading images and volumes into a flat sequence of 2D images.

Why a flat sequence: the session annotates 2D images one at a time. Volumes (NIfTI, DICOM series,
multi-page TIFF, 3D arrays) are cut into slices along a chosen axis, and every slice remembers its
volume (name, axis, position, shape, affine) so that masks can be stacked back on export. Files
that hold one 2D image (PNG, JPEG, ...) are only listed here and read when needed (``lazy.py``):
a folder of 100,000 of them opens in seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..common.names import safe_name, unique_name, unique_names
from ..model.preprocessing import to_gray_unit
from .dataset import Dataset, VolumeSlice
from .formats import FORMATS, format_of, supported_suffixes
from .lazy import ImageFile, LazyImages, MappedSlice
from .listing import listed_files
from .readers import Part, UnreadableFileError, is_rgb, read_dicom_series, stem_of

ReaderArg = TypeVar("ReaderArg")
ReaderResult = TypeVar("ReaderResult")


def load(
    source: str | Path | np.ndarray | Sequence[Any] | Dataset,
    axis: int | None = None,
    skip_bad: bool = False,
    names: Sequence[str] | None = None,
) -> Dataset:
    """Read a folder, a file, a list of files, an N x H x W array or a list of arrays.

    Args:
        source: a folder (its image files, sorted), a file, a list of files, an H x W or
            H x W x 3/4 (RGB/RGBA) image, an N x H x W volume (or N x H x W x 3/4), a list of
            such 2D images, or a ``Dataset`` (returned as it is).
        axis: the axis volumes are sliced along (default: NIfTI 2, everything else 0).
        skip_bad: skip unreadable files with a warning instead of raising (they are listed in
            ``Dataset.skipped``); this reads every file at once (without it, files of one 2D
            image are read when needed, and one that cannot be read raises
            ``UnreadableFileError`` then). A folder's entry named as an image that cannot be
            opened at all (a symbolic link loop, a link to a missing file, an entry the user may
            not read) is skipped the same way, and raises ``UnreadableFileError`` naming it
            without ``skip_bad``.
        names: names for in-memory arrays (default image_0000, ...).

    Returns:
        The ``Dataset``: its ``images`` are 2D (H x W, or H x W x 3/4 RGB/RGBA) in reading
        order, each with a unique name and, for a volume's slice, its ``VolumeSlice``.
    """
    if isinstance(source, Dataset):
        return source
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, (int, np.integer))):
        raise ValueError(f"axis must be an int or None, got {axis!r}")
    if isinstance(source, np.ndarray) or (
        isinstance(source, (list, tuple)) and source and isinstance(source[0], np.ndarray)
    ):
        return _from_arrays(source, names, axis)
    if names is not None:
        raise ValueError("names= applies to in-memory arrays; files are named after themselves")
    paths, skipped = listed_files(source, skip_bad)
    empty = Dataset(LazyImages([]), [], [], axis=axis, skipped=skipped)
    return _from_files(empty, paths, skip_bad)


def _from_arrays(
    source: np.ndarray | Sequence[np.ndarray], names: Sequence[str] | None, axis: int | None
) -> Dataset:
    if isinstance(source, np.ndarray) and source.ndim in (3, 4) and not is_rgb(source):
        part = Part("volume", source, is_volume=True)
        images, slices, auto = _split(part, axis)
    elif (isinstance(source, np.ndarray) and source.ndim == 2) or is_rgb(source):
        images, slices, auto = [np.asarray(source)], [None], ["image_0000"]
    elif isinstance(source, np.ndarray):
        raise ValueError(f"an image array must be H x W or N x H x W, got shape {source.shape}")
    else:
        images = [np.asarray(a) for a in source]
        slices = [None] * len(images)
        auto = [f"image_{i:04d}" for i in range(len(images))]
    if names is not None:
        names = [_check_given_name(n) for n in names]
        if len(names) != len(images):
            raise ValueError(f"got {len(names)} names for {len(images)} images")
    for i, image in enumerate(images):
        to_gray_unit(image, f"image {i}")
    if not images:
        raise ValueError("the dataset is empty: no images were given")
    return Dataset(LazyImages(images), unique_names(list(names or auto)), slices, axis=axis)


def _from_files(dataset: Dataset, paths: list[str], skip_bad: bool) -> Dataset:
    axis = dataset.axis
    items: list[str | MappedSlice | np.ndarray] = []  # a file read when needed, or pixels
    volumes: set[str] = set()  # the names of the volumes added, lower case
    formats = [format_of(p) for p in paths]
    dicom = [Path(p) for p, f in zip(paths, formats) if f == "dicom"]
    for path, found in zip(paths, formats):
        if found and FORMATS[found].one_image:  # listed now, read when needed
            if skip_bad and _guard(lambda p: ImageFile(p).read(), path, dataset, True) is None:
                continue
            items.append(path)
            dataset.names.append(stem_of(path))
            dataset.slices.append(None)
            dataset.files.append(path)
            continue
        if found == "dicom":
            if Path(path) == dicom[0]:
                parts = _guard(read_dicom_series, dicom, dataset, skip_bad)
                _add_parts(dataset, items, parts, axis, [str(p) for p in dicom], skip_bad, volumes)
            continue
        reader = FORMATS[found].read if found else None
        if reader is None:
            error = UnreadableFileError(f"{path}: unsupported file type ({supported_suffixes()})")
            _fail(dataset, str(path), error, skip_bad)
            continue
        parts = _guard(reader, Path(path), dataset, skip_bad)
        _add_parts(dataset, items, parts, axis, [path], skip_bad, volumes)
    if dataset.skipped:
        listing = "; ".join(f"{f}: {why}" for f, why in dataset.skipped)
        warnings.warn(f"skipped {len(dataset.skipped)} unreadable file(s): {listing}", stacklevel=3)
    if not items:
        raise ValueError("the dataset is empty: no readable images were found")
    dataset.images = LazyImages(items)
    dataset.names = unique_names(dataset.names)
    return dataset


def _guard(
    reader: Callable[[ReaderArg], ReaderResult], arg: ReaderArg, dataset: Dataset, skip_bad: bool
) -> ReaderResult | None:
    """Run a reader; turn any failure into an error naming the file (or a skip)."""
    where = str(arg[0].parent) if isinstance(arg, list) else str(arg)
    try:
        return reader(arg)
    except ImportError:
        raise
    except Exception as error:
        if not isinstance(error, UnreadableFileError):
            error = UnreadableFileError(f"cannot read {where}: {error}")
        _fail(dataset, where, error, skip_bad)
        return None


def _add_parts(
    dataset: Dataset,
    items: list[str | MappedSlice | np.ndarray],
    parts: list[Part] | None,
    axis: int | None,
    files: list[str],
    skip: bool,
    volumes: set[str],
) -> None:
    if parts is None:
        return
    added = []  # the volumes' names, unique against those added before (lower case)
    for k, part in enumerate(parts):
        if part.is_volume:
            parts[k] = part._replace(name=unique_name(part.name, volumes))
            added.append(parts[k].name.lower())
            volumes.add(added[-1])
    try:
        new = [_split(part, axis) for part in parts]
        for (images, _, names), part in zip(new, parts):
            if isinstance(part.array, np.memmap):  # checked when used: reading it all now
                continue  # would undo the mapping
            for image, name in zip(images, names):
                to_gray_unit(image, name)
    except ValueError as error:
        volumes.difference_update(added)
        _fail(dataset, files[0], UnreadableFileError(f"{files[0]}: {error}"), skip)
        return
    for (images, slices, names), part in zip(new, parts):
        if isinstance(part.array, np.memmap):  # checked when first used, named in errors
            items.extend(_mapped_slices(images, slices, files[0]))
        else:
            items.extend(images)
        dataset.slices.extend(slices)
        dataset.names.extend(names)
    dataset.files.extend(files)


def _mapped_slices(
    images: list[np.ndarray], slices: list[VolumeSlice | None], file: str
) -> list[MappedSlice]:
    """A memory-mapped volume's slices, each named by its file and position."""
    where = [f"slice {s.index} (axis {s.axis}) of {file}" for s in slices if s is not None]
    return [MappedSlice(image, name) for image, name in zip(images, where, strict=True)]


def _fail(dataset: Dataset, where: str, error: Exception, skip_bad: bool) -> None:
    if not skip_bad:
        raise error
    dataset.skipped.append((where, str(error)))


def _split(
    part: Part, axis: int | None
) -> tuple[list[np.ndarray], list[VolumeSlice | None], list[str]]:
    """One part -> its 2D images, their volume positions and names."""
    if not part.is_volume:
        return [part.array], [None], [part.name]
    volume = part.array
    spatial = 3
    if volume.ndim not in (3, 4) or (volume.ndim == 4 and not is_rgb(volume[0])):
        raise ValueError(f"a volume must be 3D (or a stack of RGB images), got {volume.shape}")
    axis = part.default_axis if axis is None else int(axis)
    if not -spatial <= axis < spatial or (volume.ndim == 4 and axis % spatial != 0):
        raise ValueError(f"axis {axis} does not fit the volume of shape {volume.shape}")
    axis %= spatial
    affine = np.eye(4) if part.affine is None else np.asarray(part.affine, dtype=float)
    affine_t = tuple(tuple(float(v) for v in row) for row in affine)
    count = volume.shape[axis]
    width = max(3, len(str(count - 1)))
    images: list[np.ndarray] = []
    slices: list[VolumeSlice | None] = []
    names: list[str] = []
    along = np.moveaxis(volume, axis, 0)
    for k in range(count):
        images.append(along[k])  # a view: a mapped volume's slice is read when used
        slices.append(VolumeSlice(part.name, axis, k, tuple(volume.shape[:spatial]), affine_t))
        names.append(f"{part.name}_{k:0{width}d}")
    return images, slices, names


def _check_given_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"image names must be non-empty strings, got {name!r}")
    if safe_name(name) != name:
        raise ValueError(
            f"image name {name!r} is not a plain file name: use letters, digits, '.', '_' and "
            "'-' only, not starting with '.' (names become export file names)"
        )
    return name
