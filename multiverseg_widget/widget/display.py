"""What the widget shows besides the session's own state: the image as the browser windows it,
the structures' default colours, the other structures' masks and the context thumbnails (made
when the browser asks for them)."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image

from ..annotation.session import Session
from ..model.preprocessing import to_gray_unit
from .codec import DTYPES, encode_array

THUMBNAIL = 64  # longest side of a context thumbnail, in pixels
CACHE = 256  # thumbnails the kernel keeps made (about 8 kB each)
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
    """The context items' thumbnails (gray uint8 and mask, longest side THUMBNAIL), made when the
    browser asks for them (the ones scrolled into view) and kept in a bounded cache, least
    recently used out first: a context set of thousands costs no pixels until it is looked at.

    Each (structure, image, accepted mask) gets a key of its own, which the gallery lists, so
    that the browser knows whether a thumbnail it holds is current: a newly accepted mask (a new
    ``Session.accepted_revision``) gets a new key. Listing reads no mask: a session with a work
    folder keeps only some of them in memory."""

    def __init__(self, size: int = CACHE) -> None:
        self._size = size
        self._serial = itertools.count(1)
        self._keys: dict[tuple[str, int], tuple[int, int]] = {}  # -> (revision, key)
        self._made: OrderedDict[int, dict[str, Any]] = OrderedDict()

    def key(self, s: Session, i: int) -> int:
        """The key of accepted image i's thumbnail in the current structure."""
        revision = s.accepted_revision(i)
        held = self._keys.get((s.structure, i))
        if held is None or held[0] != revision:
            held = self._keys[(s.structure, i)] = (revision, next(self._serial))
        return held[1]

    def listing(self, s: Session) -> list[dict[str, Any]]:
        """The gallery as synced: each context item's index, name and thumbnail key (no pixels)."""
        names = s.dataset.names
        return [{"index": i, "name": names[i], "key": self.key(s, i)} for i in s.context_indices]

    def __call__(self, s: Session, indices: Iterable[int]) -> list[dict[str, Any]]:
        """The thumbnails of those ``indices`` still in the context set (an image may have left
        it since the browser asked): key, index, image and mask."""
        members = set(s.context_indices)
        return [self._thumbnail(s, i) for i in dict.fromkeys(indices) if i in members]

    def _thumbnail(self, s: Session, i: int) -> dict[str, Any]:
        key = self.key(s, i)
        item = self._made.get(key)
        if item is not None:
            self._made.move_to_end(key)
            return item
        gray = (to_gray_unit(s.dataset.images[i]) * 255).astype(np.uint8)
        height, width = gray.shape
        k = THUMBNAIL / max(height, width)
        size = (max(1, round(width * k)), max(1, round(height * k)))
        small = np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BOX))
        mask = Image.fromarray(s.accepted[i].astype(np.uint8)).resize(
            size, Image.Resampling.NEAREST
        )
        item = {
            "key": key,
            "index": i,
            "image": encode_array(small),
            "mask": encode_array(np.asarray(mask)),
        }
        self._made[key] = item
        if len(self._made) > self._size:
            self._made.popitem(last=False)
        return item
