"""What the widget shows besides the session's own state: the image as the browser windows it,
the structures' default colours, the other structures' masks and the context thumbnails."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from ..annotation.session import Session
from ..model.preprocessing import to_gray_unit
from .codec import DTYPES, encode_array

THUMBNAIL = 64  # longest side of a context thumbnail, in pixels
# structure k's default colour is PALETTE[k % 8]; no green or red: those are the prompts' signs
PALETTE = ("#ffaa00", "#00bfff", "#ff4fa3", "#b388ff", "#ffe04d", "#26c6da", "#a1887f", "#f5f5f5")


def palette(start: int, stop: int) -> list[str]:
    """The default colours of structures start .. stop - 1."""
    return [PALETTE[k % len(PALETTE)] for k in range(start, stop)]


def displayable(image: np.ndarray) -> np.ndarray:
    """The image as the browser windows it: raw values, gray or RGB, in a dtype the codec has."""
    a = np.asarray(image)
    if a.ndim == 3:
        a = a[..., 0] if a.shape[-1] == 1 else a[..., :3]
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    if a.dtype.name in DTYPES:
        return a
    return a.astype(np.float32)


def others(s: Session) -> list[dict[str, Any]]:
    """The other structures' accepted masks of the current image, those not empty."""
    return [
        {"name": name, "mask": encode_array(mask)}
        for name, mask in s.accepted_masks(s.index).items()
        if name != s.structure and mask.any()
    ]


class Thumbnails:
    """The context items' thumbnails (gray uint8 and mask, longest side THUMBNAIL), cached per
    structure and image while its accepted mask stays the same."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], tuple[np.ndarray, dict[str, Any]]] = {}

    def __call__(self, s: Session, i: int) -> dict[str, Any]:
        mask = s.accepted[i]
        key = (s.structure, i)
        cached = self._cache.get(key)
        if cached is None or cached[0] is not mask:
            gray = (to_gray_unit(s.dataset.images[i]) * 255).astype(np.uint8)
            height, width = gray.shape
            k = THUMBNAIL / max(height, width)
            size = (max(1, round(width * k)), max(1, round(height * k)))
            small = np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BOX))
            small_mask = Image.fromarray(mask.astype(np.uint8)).resize(
                size, Image.Resampling.NEAREST
            )
            item = {
                "index": i,
                "name": s.names[i],
                "image": encode_array(small),
                "mask": encode_array(np.asarray(small_mask)),
            }
            self._cache[key] = cached = (mask, item)
        return cached[1]
