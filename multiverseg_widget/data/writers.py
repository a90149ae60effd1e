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
    """A boolean mask as a 0/255 8-bit grayscale PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(mask, dtype=bool).astype(np.uint8) * 255).save(buffer, "PNG")
    return buffer.getvalue()


def png_mask(data: bytes) -> np.ndarray:
    """The inverse of ``mask_png``: bytes of a PNG -> H x W bool."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L")) > 127


def mask_tiff(mask: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, np.asarray(mask, dtype=np.uint8))
    return buffer.getvalue()


def masks_npz(masks: Mapping[str, np.ndarray]) -> bytes:
    """Several named masks in one compressed NumPy archive."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **dict(masks))
    return buffer.getvalue()


def mask_nifti(content: tuple[np.ndarray, np.ndarray]) -> bytes:
    """(data, 4 x 4 affine) as a gzipped NIfTI-1 file, byte-identical for the same content."""
    nibabel = optional_module("nibabel", "NIfTI")
    data, affine = content
    return gzip.compress(nibabel.Nifti1Image(data, affine).to_bytes(), mtime=0)
