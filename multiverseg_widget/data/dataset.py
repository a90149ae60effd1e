"""The dataset: a flat sequence of 2D images with their names and, for volume slices, where
each sits in its volume (``VolumeSlice``). ``loading.py`` reads files and arrays into one."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..common.digest import array_digest
from .lazy import LazyImages
from .readers import UnreadableFileError


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
    """2D images with their source names; ``files`` and ``axis`` reload them (``load``).

    ``images`` is a sequence: files of one 2D image are read when an image is asked for.
    """

    images: LazyImages
    names: list[str]
    slices: list[VolumeSlice | None]
    files: list[str] = field(default_factory=list)  # files read, in order; [] for arrays
    axis: int | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) with skip_bad
    masks: list[np.ndarray] | None = None  # ground truth, where known (demo datasets)

    def __post_init__(self) -> None:
        if not isinstance(self.images, LazyImages):  # arrays: every image has a ``source``
            self.images = LazyImages(list(self.images))

    def __len__(self) -> int:
        return len(self.images)

    def readable(self, i: int) -> bool:
        """Whether image i can be read: a damaged file, or a volume slice with NaN or infinite
        pixels, raises ``UnreadableFileError`` naming it when it is used. Reads the image."""
        try:
            self.images[i]
        except UnreadableFileError:
            return False
        return True

    def fingerprint(self) -> str:
        """Tells datasets apart when a work folder is continued. Files: their paths and sizes
        (hashing the pixels of 100,000 files would take minutes; modification times change
        when a notebook writes the same images again); arrays: their pixels."""
        if not self.files:
            return pixel_fingerprint(self.images)
        sizes = (os.stat(file).st_size for file in self.files)
        listing = "\n".join(f"{f}\0{size}" for f, size in zip(self.files, sizes))
        return f"files:{hashlib.blake2b(listing.encode(), digest_size=20).hexdigest()}"


def pixel_fingerprint(images: Sequence[np.ndarray]) -> str:
    """A digest of every image's pixels, shape and dtype (what work folders of version 2 kept
    for every dataset)."""
    return array_digest(images)
