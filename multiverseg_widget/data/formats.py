"""The one table of file formats: which suffixes each reads, its reader, and for masks its
written suffix. Loading (``dataset.py``) and export (``annotation/export.py``) both use it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import readers, writers


@dataclass(frozen=True)
class FileFormat:
    suffixes: tuple[str, ...]  # read from files with these suffixes (lower case)
    read: Callable[[Path], list[readers.Part]] | None  # None: read as a series (DICOM)
    mask_suffix: str | None = None  # suffix of exported mask files; None: not exported
    # the mask content -> the file's bytes; what the content is depends on the format (an
    # H x W mask, named masks for npz, (data, affine) for NIfTI): see ``writers.py``
    write_mask: Callable[[Any], bytes] | None = None
    one_image: bool = False  # a file holds one 2D image: listed on opening, read when needed


FORMATS: dict[str, FileFormat] = {
    "png": FileFormat(
        (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"), readers.read_pillow, ".png",
        writers.mask_png, one_image=True,
    ),
    "tiff": FileFormat((".tif", ".tiff"), readers.read_tiff, ".tif", writers.mask_tiff),
    "npz": FileFormat((".npy", ".npz"), readers.read_numpy, ".npz", writers.masks_npz),
    "nifti": FileFormat((".nii", ".nii.gz"), readers.read_nifti, ".nii.gz", writers.mask_nifti),
    "dicom": FileFormat((".dcm", ".dicom"), None),
}  # fmt: skip
EXPORT_FORMATS = tuple(name for name, f in FORMATS.items() if f.write_mask is not None)


_BY_SUFFIX = {suffix: name for name, f in FORMATS.items() for suffix in f.suffixes}


def format_of(path: str | Path) -> str | None:
    """The name of the format that reads ``path``, by its suffix; None if none does."""
    return _BY_SUFFIX.get(readers.suffix_of(path))


def supported_suffixes() -> str:
    return ", ".join(s for f in FORMATS.values() for s in f.suffixes)


def is_image_file(path: str | Path) -> bool:
    """Folders are filtered by suffix; hidden files (.DS_Store, ._x.png) are not images."""
    return not os.fspath(path).rpartition(os.sep)[2].startswith(".") and format_of(path) is not None
