"""Mask encoders, one per export format: each turns mask content into the bytes of one file."""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping

import numpy as np
import tifffile
from PIL import Image

from .readers import optional_module


def mask_png(mask: np.ndarray) -> bytes:
    """A mask as a grayscale PNG: boolean -> 0/255 8-bit; integer labels (label maps, instance
    ids) -> their values, 8-bit up to 255, else 16-bit."""
    mask = np.asarray(mask)
    if mask.dtype == bool:
        image = Image.fromarray(mask.astype(np.uint8) * 255)
    elif mask.size and (mask.min() < 0 or mask.max() > np.iinfo(np.uint16).max):
        raise ValueError(f"labels must lie in [0, 65535] for PNG, got {mask.min()}..{mask.max()}")
    elif mask.size and mask.max() > 255:
        image = Image.fromarray(mask.astype(np.uint16))
    else:
        image = Image.fromarray(mask.astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_mask(data: bytes) -> np.ndarray:
    """The inverse of ``mask_png``: bytes of a PNG -> H x W bool."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L")) > 127


def mask_tiff(mask: np.ndarray) -> bytes:
    """A mask as TIFF: boolean -> 0/1 8-bit; integer labels keep their dtype."""
    mask = np.asarray(mask)
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, mask.astype(np.uint8) if mask.dtype == bool else mask)
    return buffer.getvalue()


def masks_npz(masks: Mapping[str, np.ndarray]) -> bytes:
    """Several named masks in one compressed NumPy archive."""
    buffer = io.BytesIO()
    # numpy's stub also matches ``**`` arrays against its ``allow_pickle: bool`` keyword
    np.savez_compressed(buffer, **dict(masks))  # type: ignore[arg-type]
    return buffer.getvalue()


def mask_nifti(content: tuple[np.ndarray, np.ndarray]) -> bytes:
    """(data, 4 x 4 affine) as a gzipped NIfTI-1 file, byte-identical for the same content."""
    nibabel = optional_module("nibabel", "NIfTI")
    data, affine = content
    return gzip.compress(nibabel.Nifti1Image(data, affine).to_bytes(), mtime=0)
