"""Reading images and volumes into a flat list of 2D images; the bundled demo datasets.

Why a flat list: the session annotates 2D images one at a time. Volumes (NIfTI, DICOM series,
multi-page TIFF, 3D arrays) are cut into slices along a chosen axis, and every slice remembers its
volume (name, axis, position, shape, affine) so that masks can be stacked back on export.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import tifffile
from PIL import Image

from .model.preprocessing import to_gray_unit

PILLOW_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
TIFF_SUFFIXES = (".tif", ".tiff")
DICOM_SUFFIXES = (".dcm", ".dicom")
NIFTI_SUFFIXES = (".nii", ".nii.gz")
NUMPY_SUFFIXES = (".npy", ".npz")
DEMO_NAMES = ("bbbc039_nuclei", "medscribble_BTCV", "medscribble_HipXRay", "medscribble_SCD")
_PILLOW_CONVERT = {"1": "L", "P": "RGBA", "PA": "RGBA", "LA": "L", "La": "L", "CMYK": "RGB"}


@dataclass(frozen=True)
class VolumeSlice:
    """Where a 2D image sits in its volume: enough to stack masks back into that volume."""

    volume: str  # the volume's name, unique in the dataset
    axis: int  # the axis the volume was sliced along
    index: int  # the slice's position along that axis
    shape: tuple[int, ...]  # the volume's spatial shape (3 values)
    affine: tuple[tuple[float, ...], ...]  # 4 x 4 voxel -> world; identity when unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "volume": self.volume,
            "axis": self.axis,
            "index": self.index,
            "shape": list(self.shape),
            "affine": [list(row) for row in self.affine],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> VolumeSlice:
        affine = tuple(tuple(float(v) for v in row) for row in d["affine"])
        return cls(str(d["volume"]), int(d["axis"]), int(d["index"]), tuple(d["shape"]), affine)


@dataclass
class Dataset:
    """2D images with their source names; ``files`` and ``axis`` reload them (``load``)."""

    images: list[np.ndarray]
    names: list[str]
    slices: list[VolumeSlice | None]
    files: list[str] = field(default_factory=list)  # files read, in order; [] for arrays
    axis: int | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) with skip_bad
    masks: list[np.ndarray] | None = None  # ground truth, where known (demo datasets)

    def __len__(self) -> int:
        return len(self.images)


class UnreadableFileError(ValueError):
    """A file that cannot be read as an image; the message names the file."""


class _Part(NamedTuple):
    name: str
    array: np.ndarray
    is_volume: bool  # a stack of 2D images rather than one (possibly RGB) image
    affine: np.ndarray | None = None
    default_axis: int = 0


def load(
    source: str | Path | np.ndarray | Sequence[Any] | Dataset,
    axis: int | None = None,
    skip_bad: bool = False,
    names: Sequence[str] | None = None,
) -> Dataset:
    """Read a folder, a file, a list of files, an N x H x W array or a list of arrays.

    axis: the axis volumes are sliced along (default: NIfTI 2, everything else 0).
    skip_bad: skip unreadable files with a warning instead of raising.
    names: names for in-memory arrays (default image_0000, ...).
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
    paths = _expand(source)
    return _from_files(paths, axis, skip_bad)


def demo_dataset(name: str) -> Dataset:
    """A demo task bundled with the package (images, names and ground-truth masks)."""
    if name not in DEMO_NAMES:
        raise ValueError(f"unknown demo dataset {name!r}; choose one of {list(DEMO_NAMES)}")
    path = Path(str(resources.files("multiverseg_widget") / "data" / f"{name}.npz"))
    dataset = load(path)
    with np.load(path, allow_pickle=False) as f:
        dataset.masks = [m.astype(bool) for m in f["masks"]]
    return dataset


def _from_arrays(
    source: np.ndarray | Sequence[np.ndarray], names: Sequence[str] | None, axis: int | None
) -> Dataset:
    if isinstance(source, np.ndarray) and source.ndim in (3, 4) and not _is_rgb(source):
        part = _Part("volume", source, is_volume=True)
        images, slices, auto = _split(part, axis)
    elif (isinstance(source, np.ndarray) and source.ndim == 2) or _is_rgb(source):
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
    return Dataset(images, _unique(list(names or auto)), slices, axis=axis)


def _expand(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """A folder -> its image files (sorted); a file -> itself; a list -> its items, expanded."""
    items = [source] if isinstance(source, (str, Path)) else list(source)
    paths: list[Path] = []
    for item in items:
        if not isinstance(item, (str, Path)):
            raise ValueError(f"expected a path or an array, got {type(item).__name__}")
        path = Path(item).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and _supported_file(p))
            if not found:
                raise ValueError(f"the folder {path} holds no image files ({_supported()})")
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        else:
            raise ValueError(f"no such file or folder: {path}")
    return paths


def _from_files(paths: list[Path], axis: int | None, skip_bad: bool) -> Dataset:
    dataset = Dataset([], [], [], axis=axis)
    dicom = [p for p in paths if _suffix(p) in DICOM_SUFFIXES]
    for path in paths:
        if _suffix(path) in DICOM_SUFFIXES:
            if path == dicom[0]:
                parts = _guard(_read_dicom_series, dicom, dataset, skip_bad)
                _add_parts(dataset, parts, axis, [str(p) for p in dicom], skip_bad)
            continue
        reader = _reader(path)
        if reader is None:
            error = UnreadableFileError(f"{path}: unsupported file type ({_supported()})")
            _fail(dataset, str(path), error, skip_bad)
            continue
        parts = _guard(reader, path, dataset, skip_bad)
        _add_parts(dataset, parts, axis, [str(path)], skip_bad)
    if dataset.skipped:
        listing = "; ".join(f"{f}: {why}" for f, why in dataset.skipped)
        warnings.warn(f"skipped {len(dataset.skipped)} unreadable file(s): {listing}", stacklevel=3)
    if not dataset.images:
        raise ValueError("the dataset is empty: no readable images were found")
    dataset.names = _unique(dataset.names)
    return dataset


def _guard(reader: Callable, arg: Any, dataset: Dataset, skip_bad: bool) -> list[_Part] | None:
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
    dataset: Dataset, parts: list[_Part] | None, axis: int | None, files: list[str], skip: bool
) -> None:
    if parts is None:
        return
    taken = list(dict.fromkeys(s.volume for s in dataset.slices if s is not None))
    renamed = iter(_unique(taken + [p.name for p in parts if p.is_volume])[len(taken) :])
    parts = [p._replace(name=next(renamed)) if p.is_volume else p for p in parts]
    try:
        new = [_split(part, axis) for part in parts]
        for images, _, names in new:
            for image, name in zip(images, names):
                to_gray_unit(image, name)
    except ValueError as error:
        _fail(dataset, files[0], UnreadableFileError(f"{files[0]}: {error}"), skip)
        return
    for images, slices, names in new:
        dataset.images.extend(images)
        dataset.slices.extend(slices)
        dataset.names.extend(names)
    dataset.files.extend(files)


def _fail(dataset: Dataset, where: str, error: Exception, skip_bad: bool) -> None:
    if not skip_bad:
        raise error
    dataset.skipped.append((where, str(error)))


def _split(
    part: _Part, axis: int | None
) -> tuple[list[np.ndarray], list[VolumeSlice | None], list[str]]:
    """One part -> its 2D images, their volume positions and names."""
    if not part.is_volume:
        return [part.array], [None], [part.name]
    volume = part.array
    spatial = 3
    if volume.ndim not in (3, 4) or (volume.ndim == 4 and not _is_rgb(volume[0])):
        raise ValueError(f"a volume must be 3D (or a stack of RGB images), got {volume.shape}")
    axis = part.default_axis if axis is None else int(axis)
    if not -spatial <= axis < spatial or (volume.ndim == 4 and axis % spatial != 0):
        raise ValueError(f"axis {axis} does not fit the volume of shape {volume.shape}")
    axis %= spatial
    affine = np.eye(4) if part.affine is None else np.asarray(part.affine, dtype=float)
    affine_t = tuple(tuple(float(v) for v in row) for row in affine)
    count = volume.shape[axis]
    width = max(3, len(str(count - 1)))
    images, slices, names = [], [], []
    for k in range(count):
        images.append(np.ascontiguousarray(np.take(volume, k, axis=axis)))
        slices.append(VolumeSlice(part.name, axis, k, tuple(volume.shape[:spatial]), affine_t))
        names.append(f"{part.name}_{k:0{width}d}")
    return images, slices, names


def _is_rgb(array: Any) -> bool:
    return isinstance(array, np.ndarray) and array.ndim == 3 and array.shape[-1] in (3, 4)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def _stem(path: Path) -> str:
    return path.name[: len(path.name) - len(_suffix(path))] or path.name


def _supported() -> str:
    return ", ".join(
        PILLOW_SUFFIXES + TIFF_SUFFIXES + NUMPY_SUFFIXES + NIFTI_SUFFIXES + DICOM_SUFFIXES
    )


def _supported_file(path: Path) -> bool:
    """Folders are filtered by suffix; hidden files (.DS_Store, ._x.png) are not images."""
    return not path.name.startswith(".") and (
        _suffix(path) in DICOM_SUFFIXES or _reader(path) is not None
    )


def _reader(path: Path) -> Callable[[Path], list[_Part]] | None:
    suffix = _suffix(path)
    if suffix in PILLOW_SUFFIXES:
        return _read_pillow
    if suffix in TIFF_SUFFIXES:
        return _read_tiff
    if suffix in NUMPY_SUFFIXES:
        return _read_numpy
    if suffix in NIFTI_SUFFIXES:
        return _read_nifti
    return None


def _read_pillow(path: Path) -> list[_Part]:
    with Image.open(path) as image:
        mode = _PILLOW_CONVERT.get(image.mode)
        if mode is None and image.mode in ("YCbCr", "LAB", "HSV"):
            mode = "RGB"
        array = np.asarray(image.convert(mode) if mode else image)
    return [_Part(_stem(path), array, is_volume=False)]


def _read_tiff(path: Path) -> list[_Part]:
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
        name = _stem(path) if len(stacks) == 1 else f"{_stem(path)}_{n}"
        parts.append(_Part(name, stack[0], False) if len(stack) == 1 else _Part(name, stack, True))
    return parts


def _read_numpy(path: Path) -> list[_Part]:
    if _suffix(path) == ".npy":
        return [_array_part(_stem(path), np.load(path, allow_pickle=False))]
    with np.load(path, allow_pickle=False) as content:
        if "images" in content.files:
            images = content["images"]
            names = content["names"] if "names" in content.files else None
            if names is None or len(names) != len(images):
                names = [f"{_stem(path)}_{i:04d}" for i in range(len(images))]
            return [_Part(safe_name(str(n)), im, is_volume=False) for n, im in zip(names, images)]
        return [_array_part(f"{_stem(path)}_{key}", content[key]) for key in content.files]


def _array_part(name: str, array: np.ndarray) -> _Part:
    if array.ndim == 2 or _is_rgb(array):
        return _Part(name, array, is_volume=False)
    return _Part(name, array, is_volume=True)


def _read_nifti(path: Path) -> list[_Part]:
    nib = _optional("nibabel", "NIfTI")
    image = nib.load(path)
    data = np.asanyarray(image.dataobj)
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim == 2:
        data = data[..., None]
    if data.ndim != 3:
        raise UnreadableFileError(f"{path}: expected a 3D NIfTI volume, got shape {data.shape}")
    return [_Part(_stem(path), data, True, np.asarray(image.affine), default_axis=2)]


def _read_dicom_series(paths: list[Path]) -> list[_Part]:
    """DICOM files -> one volume per series, slices sorted along the slice normal."""
    pydicom = _optional("pydicom", "DICOM")
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
            parts.append(_Part(name, items[0][1], True, _dicom_affine([items[0][0]])))
            continue
        items.sort(key=lambda item: _slice_position(item[0]))
        shapes = {pixels.shape for _, pixels in items}
        if len(shapes) != 1:
            raise UnreadableFileError(f"DICOM series in {paths[0].parent} mixes shapes {shapes}")
        volume = np.stack([pixels for _, pixels in items])
        parts.append(_Part(name, volume, True, _dicom_affine([ds for ds, _ in items])))
    return parts


def _dicom_pixels(ds: Any) -> np.ndarray:
    pixels = ds.pixel_array
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


def _optional(module: str, what: str) -> Any:
    try:
        return __import__(module)
    except ImportError as error:
        raise ImportError(
            f"reading {what} files needs the optional package {module}: "
            "pip install 'multiverseg-widget[io]'"
        ) from error


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, fallback: str = "image") -> str:
    """A file name that cannot leave its folder: no separators, no leading dots, no empties."""
    parts = [p for p in re.split(r"[/\\]+", str(name)) if p not in ("", ".", "..")]
    cleaned = _UNSAFE.sub("_", "_".join(parts)).lstrip(".")[:200]
    return cleaned or fallback


def _check_given_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"image names must be non-empty strings, got {name!r}")
    if safe_name(name) != name:
        raise ValueError(
            f"image name {name!r} is not a plain file name: use letters, digits, '.', '_' and "
            "'-' only, not starting with '.' (names become export file names)"
        )
    return name


def _unique(names: list[str]) -> list[str]:
    """Make names unique (export file names), case-insensitively, by numbering repeats."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}-{n}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out
