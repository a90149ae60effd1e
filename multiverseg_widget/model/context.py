"""The context set as the network sees it: prepared once, cached, and capped by similarity.

Preparing a context item (normalise, resize to 128 x 128) costs more than hashing it, so items are
keyed by a digest of their pixels: a click that reuses the same context reuses the same tensors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..common.digest import array_digest
from .preprocessing import as_mask, resize_image, to_gray_unit

DESCRIPTOR_SIZE = 16


@dataclass(frozen=True)
class PreparedItem:
    """One context pair at model resolution, plus a small descriptor for similarity ranking.
    ``key`` names its content (a digest of the image and mask): what everything built from
    context items is kept by, so that an item prepared again is still the same item."""

    key: str
    image: torch.Tensor  # 1 x 128 x 128
    label: torch.Tensor  # 1 x 128 x 128, soft in [0, 1] where the resize averaged an edge
    descriptor: torch.Tensor  # DESCRIPTOR_SIZE**2, zero mean, unit norm


@dataclass(frozen=True)
class PreparedContext:
    """A context set at model resolution, stacked on the predictor's device once
    (``Predictor.prepare_context``): what a click reuses until the set changes."""

    items: tuple[PreparedItem, ...]
    support: torch.Tensor | None  # S x 2 x 128 x 128 on the device; None when empty

    def __len__(self) -> int:
        return len(self.items)

    def support_of(self, used: Sequence[int]) -> torch.Tensor | None:
        """The ``used`` items' support, (len(used)) x 2 x 128 x 128; None for none."""
        if not used or self.support is None:
            return None
        return self.support if len(used) == len(self) else self.support[list(used)]

    @staticmethod
    def of(items: Sequence[PreparedItem], device: torch.device) -> PreparedContext:
        """``items`` with their support stacked on ``device``."""
        if not items:
            return PreparedContext((), None)
        stacked = torch.stack([torch.cat([it.image, it.label]) for it in items])
        return PreparedContext(tuple(items), stacked.to(device))


def image_descriptor(image: torch.Tensor) -> torch.Tensor:
    """A 16 x 16 average-pooled, zero-mean, unit-norm copy of a 1 x 1 x h x w image.

    Two images' descriptors have a dot product equal to the normalised cross-correlation of
    their coarse layouts, which is how ``max_context`` ranks context items.
    """
    small = F.adaptive_avg_pool2d(image, DESCRIPTOR_SIZE).flatten()
    small = small - small.mean()
    unit: torch.Tensor = small / small.norm().clamp_min(1e-6)
    return unit


class ContextCache:
    """Prepared context items keyed by content.

    Thread safe (propagate may share one Predictor between threads); it pickles as an empty
    cache, so a Predictor shipped to a worker process carries only its weights.
    """

    def __init__(self, max_items: int = 512) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, PreparedItem] = OrderedDict()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, int]:
        return {"max_items": self.max_items}

    def __setstate__(self, state: dict[str, int]) -> None:
        ContextCache.__init__(self, state["max_items"])

    def prepare(self, context: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[PreparedItem]:
        """Validate and prepare every (image, mask) pair, reusing cached ones."""
        if isinstance(context, (str, bytes)) or not isinstance(context, Sequence):
            raise ValueError("context must be a list of (image, mask) pairs")
        out = []
        with self._lock:
            for i, pair in enumerate(context):
                out.append(self._get(i, pair))
        return out

    def _get(self, i: int, pair: object) -> PreparedItem:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"context[{i}] must be an (image, mask) pair")
        image, mask = np.asarray(pair[0]), np.asarray(pair[1])
        key = array_digest((image, mask))
        item = self._items.get(key)
        if item is None:
            item = self._prepare_item(key, image, mask, i)
            self._items[key] = item
            if len(self._items) > self.max_items:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return item

    def _prepare_item(self, key: str, image: np.ndarray, mask: np.ndarray, i: int) -> PreparedItem:
        gray = to_gray_unit(image, f"context[{i}] image")
        label = as_mask(mask, gray.shape, f"context[{i}] mask")
        small = resize_image(gray)
        return PreparedItem(key, small[0], resize_image(label)[0], image_descriptor(small))


def most_similar(descriptors: list[torch.Tensor], target: torch.Tensor, k: int | None) -> list[int]:
    """Positions of the k context items whose coarse layout correlates best with the target
    (all of them if k is None or there are no more than k), in their original order."""
    if k is None or len(descriptors) <= k:
        return list(range(len(descriptors)))
    scores = torch.stack(descriptors) @ image_descriptor(target)
    return sorted(torch.topk(scores, k).indices.tolist())
