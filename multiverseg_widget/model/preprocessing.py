"""Turning user images and masks into the networks' 128 x 128 grayscale [0, 1] tensors.

Why percentile clipping: 16-bit microscopy and CT/MR volumes use a small part of their range, with
a few extreme pixels; a plain min-max would squash the structure into a few gray levels.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

MODEL_SIZE = (128, 128)
CLIP_PERCENTILES = (0.5, 99.5)
RGB_TO_GRAY = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_gray_unit(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Any H x W (x 1/3/4) numeric or bool image -> H x W float32 in [0, 1].

    uint8 and bool keep their absolute scale (x / 255, 0/1); float images already in [0, 1] are
    kept; everything else (uint16, signed ints, CT Hounsfield units, arbitrary floats) is clipped
    to its 0.5-99.5 percentiles and rescaled. A constant image becomes all zeros.
    """
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric or bool array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued, got dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[-1] in (1, 3, 4):
        arr = arr[..., 0] if arr.shape[-1] == 1 else _rgb_to_gray(arr)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be H x W or H x W x 1/3/4 (RGB/RGBA), got shape {np.shape(image)}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {np.shape(image)})")
    if arr.dtype == bool:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite pixels; replace them before predicting")
    if np.asarray(image).dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    arr = arr.astype(np.float32)
    lo, hi = float(arr.min()), float(arr.max())
    if np.issubdtype(np.asarray(image).dtype, np.floating) and lo >= 0.0 and hi <= 1.0:
        return arr
    lo, hi = np.percentile(arr, CLIP_PERCENTILES)
    if hi <= lo:
        lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        return np.zeros_like(arr)
    unit: np.ndarray = ((np.clip(arr, lo, hi) - lo) / (hi - lo)).astype(np.float32)
    return unit


def _rgb_to_gray(arr: np.ndarray) -> np.ndarray:
    rgb = arr[..., :3].astype(np.float32)
    gray = rgb @ RGB_TO_GRAY
    return gray.astype(np.uint8) if arr.dtype == np.uint8 else gray


def resize_image(image: np.ndarray, size: tuple[int, int] = MODEL_SIZE) -> torch.Tensor:
    """H x W float image -> 1 x 1 x h x w tensor, bilinear with antialiasing when shrinking."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def resize_strokes(mask: np.ndarray, size: tuple[int, int] = MODEL_SIZE) -> torch.Tensor:
    """H x W stroke mask -> 1 x 1 x h x w in [0, 1], max-pooled so that no thin stroke vanishes."""
    x = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None]
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.adaptive_max_pool2d(x, size)


def as_mask(mask: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """Check that a mask matches its image and lies in [0, 1]; return it as float32."""
    arr = np.asarray(mask)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, but its image is {tuple(shape)}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric or bool array, got dtype {arr.dtype}")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
        raise ValueError(f"{name} must hold values in [0, 1] (a binary mask)")
    return arr
