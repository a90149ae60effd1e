"""Readers of image files, one per format, each returning the file's parts (2D images or
volumes). ``formats.py`` maps file suffixes to them."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import tifffile
from PIL import Image

from ..common.names import safe_name

# how NumPy's files start (a .npz is a zip archive)
_NUMPY_MAGIC = {
    ".npy": (b"\x93NUMPY", "a NumPy array file"),
    ".npz": (b"PK", "a NumPy .npz archive"),
}
_PILLOW_CONVERT = {"1": "L", "P": "RGBA", "PA": "RGBA", "LA": "L", "La": "L", "CMYK": "RGB"}


class UnreadableFileError(ValueError):
    """A file that cannot be read as an image; the message names the file."""


class Part(NamedTuple):
    name: str
    array: np.ndarray
    is_volume: bool  # a stack of 2D images rather than one (possibly RGB) image
    affine: np.ndarray | None = None
    default_axis: int = 0


def suffix_of(path: str | Path) -> str:
    """The suffix that names the format, lower case (strings: listing 100,000 files as Path
    objects costs seconds)."""
    name = os.fspath(path).rpartition(os.sep)[2].lower()
    if name.endswith(".nii.gz"):
        return ".nii.gz"
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def stem_of(path: str | Path) -> str:
    name = os.fspath(path).rpartition(os.sep)[2]
    return name[: len(name) - len(suffix_of(name))] or name


def is_rgb(array: Any) -> bool:
    return isinstance(array, np.ndarray) and array.ndim == 3 and array.shape[-1] in (3, 4)


def read_pillow(path: Path) -> list[Part]:
    with Image.open(path) as image:
        mode = _PILLOW_CONVERT.get(image.mode)
        if mode is None and image.mode in ("YCbCr", "LAB", "HSV"):
            mode = "RGB"
        array = np.asarray(image.convert(mode) if mode else image)
    return [Part(stem_of(path), array, is_volume=False)]


def read_tiff(path: Path) -> list[Part]:
    """Each series -> a stack of 2D (or RGB) pages; same-shaped series are one stack.

    Pages written one by one without metadata come back as one series per page.
    """
    stacks = []
    with tifffile.TiffFile(path) as tif:
        for series in tif.series:
            array, axes = series.asarray(), series.axes
            if "S" in axes and array.shape[axes.index("S")] in (3, 4):
                array, axes = np.moveaxis(array, axes.index("S"), -1), axes.replace("S", "") + "S"
            tail = 3 if axes.endswith("S") and array.shape[-1] in (3, 4) else 2
            stacks.append(array.reshape(-1, *array.shape[-tail:]))
    if len({(s.shape[1:], s.dtype) for s in stacks}) == 1:
        stacks = [np.concatenate(stacks)]
    parts = []
    for n, stack in enumerate(stacks):
        name = stem_of(path) if len(stacks) == 1 else f"{stem_of(path)}_{n}"
        parts.append(Part(name, stack[0], False) if len(stack) == 1 else Part(name, stack, True))
    return parts


def read_numpy(path: Path) -> list[Part]:
    """A .npy array, or every array of a .npz archive (``images`` with ``names``, or by key).
    A file that is neither (a text file renamed) says so, rather than numpy's hint about
    pickled data."""
    suffix = suffix_of(path)
    magic, what = _NUMPY_MAGIC[suffix]
    with open(path, "rb") as file:
        if file.read(len(magic)) != magic:
            raise UnreadableFileError(
                f"{path} is not {what} (it does not start like one: another kind of file "
                "renamed, or a damaged one?)"
            )
    if suffix == ".npy":
        # a volume stays memory-mapped: its slices are read when they are asked for
        part = _array_part(stem_of(path), np.load(path, mmap_mode="r", allow_pickle=False))
        return [part if part.is_volume else part._replace(array=np.array(part.array))]
    with np.load(path, allow_pickle=False) as content:
        if "images" in content.files:
            images = content["images"]
            names = content["names"] if "names" in content.files else None
            if names is None or len(names) != len(images):
                names = [f"{stem_of(path)}_{i:04d}" for i in range(len(images))]
            return [Part(safe_name(str(n)), im, is_volume=False) for n, im in zip(names, images)]
        return [_array_part(f"{stem_of(path)}_{key}", content[key]) for key in content.files]


def _array_part(name: str, array: np.ndarray) -> Part:
    if array.ndim == 2 or is_rgb(array):
        return Part(name, array, is_volume=False)
    return Part(name, array, is_volume=True)


def read_nifti(path: Path) -> list[Part]:
    nib = optional_module("nibabel", "NIfTI")
    image = nib.load(path)
    data = np.asanyarray(image.dataobj)  # memory-mapped when uncompressed and unscaled
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim == 2:
        data = data[..., None]
    if data.ndim != 3:
        raise UnreadableFileError(f"{path}: expected a 3D NIfTI volume, got shape {data.shape}")
    return [Part(stem_of(path), data, True, np.asarray(image.affine), default_axis=2)]


def read_dicom_series(paths: list[Path]) -> list[Part]:
    """DICOM files -> one volume per series, slices sorted along the slice normal."""
    pydicom = optional_module("pydicom", "DICOM")
    series: dict[str, list[tuple[Any, np.ndarray]]] = {}
    for path in paths:
        try:
            ds = pydicom.dcmread(path)
            pixels = _dicom_pixels(ds)
        except Exception as error:
            raise UnreadableFileError(f"cannot read DICOM file {path}: {error}") from error
        series.setdefault(str(ds.get("SeriesInstanceUID", "")), []).append((ds, pixels))
    folder = safe_name(paths[0].parent.name or "dicom")
    parts = []
    for n, items in enumerate(series.values()):
        name = folder if len(series) == 1 else f"{folder}_{n}"
        if len(items) == 1 and items[0][1].ndim == 3:
            parts.append(Part(name, items[0][1], True, _dicom_affine([items[0][0]])))
            continue
        items.sort(key=lambda item: _slice_position(item[0]))
        shapes = {pixels.shape for _, pixels in items}
        if len(shapes) != 1:
            raise UnreadableFileError(f"DICOM series in {paths[0].parent} mixes shapes {shapes}")
        volume = np.stack([pixels for _, pixels in items])
        parts.append(Part(name, volume, True, _dicom_affine([ds for ds, _ in items])))
    return parts


def _dicom_pixels(ds: Any) -> np.ndarray:
    pixels: np.ndarray = ds.pixel_array
    slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    if slope != 1 or intercept != 0:
        pixels = pixels.astype(np.float32) * slope + intercept
    return pixels


def _slice_position(ds: Any) -> tuple[float, float]:
    position, orientation = ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient")
    instance = float(ds.get("InstanceNumber", 0) or 0)
    if position is None or orientation is None:
        return (instance, instance)
    normal = np.cross(np.asarray(orientation[:3], float), np.asarray(orientation[3:], float))
    return (float(np.dot(normal, np.asarray(position, float))), instance)


def _dicom_affine(datasets: list[Any]) -> np.ndarray | None:
    """Voxel (slice, row, column) -> RAS world, from the patient position and orientation.

    DICOM works in LPS; NIfTI expects RAS, hence the sign flip of the first two world axes.
    """
    first = datasets[0]
    position, orientation = first.get("ImagePositionPatient"), first.get("ImageOrientationPatient")
    spacing = first.get("PixelSpacing")
    if position is None or orientation is None or spacing is None:
        return None
    row_cos, col_cos = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
    origin = np.asarray(position, float)
    if len(datasets) > 1:
        step = (np.asarray(datasets[-1].ImagePositionPatient, float) - origin) / (len(datasets) - 1)
    else:
        step = np.cross(row_cos, col_cos) * float(first.get("SliceThickness", 1) or 1)
    affine = np.eye(4)
    affine[:3, 0] = step
    affine[:3, 1] = col_cos * float(spacing[0])
    affine[:3, 2] = row_cos * float(spacing[1])
    affine[:3, 3] = origin
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine


def optional_module(module: str, what: str) -> ModuleType:
    try:
        return __import__(module)
    except ImportError as error:
        raise ImportError(
            f"{what} files need the optional package {module}: pip install 'multiverseg-widget[io]'"
        ) from error
