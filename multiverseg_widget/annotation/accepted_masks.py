"""One structure's accepted masks, by image index. Without a work folder they live in memory;
with one they are on disk already, so only a bounded number stay in memory and the others are
read back when asked for: resuming a session of thousands of accepted images reads none of them.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np

from .checks import frozen

CACHE = 256  # masks kept in memory when the work folder holds them all


class AcceptedMasks(Mapping[int, np.ndarray]):
    """read: image index -> its stored mask; None: a session in memory, every mask kept."""

    def __init__(
        self, read: Callable[[int], np.ndarray] | None = None, stored: Iterable[int] = ()
    ) -> None:
        self._read = read
        # image index -> its mask's revision, in the order they were accepted
        self._indices = dict.fromkeys(stored, 0)
        self._revisions = itertools.count(1)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()

    def put(self, i: int, mask: np.ndarray) -> np.ndarray:
        """Accept (or replace) image i's mask, once stored.

        Args:
            i: the image's index in the dataset.
            mask: H x W bool of image i's shape.

        Returns:
            A read-only copy, what the structure holds from now on.
        """
        self._indices[i] = next(self._revisions)
        return self._keep(i, frozen(mask))

    def revision(self, i: int) -> int:
        """A number that changes whenever image i's mask is replaced: what a copy made of the
        mask (a thumbnail) is keyed on, without reading the mask back."""
        return self._indices[i]

    def __getitem__(self, i: int) -> np.ndarray:
        if i not in self._indices:
            raise KeyError(i)
        mask = self._cache.get(i)
        if mask is not None:
            self._cache.move_to_end(i)
            return mask
        assert self._read is not None, "a session in memory keeps every accepted mask"
        return self._keep(i, frozen(self._read(i)))

    def __contains__(self, i: object) -> bool:
        return i in self._indices

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)

    def _keep(self, i: int, mask: np.ndarray) -> np.ndarray:
        self._cache[i] = mask
        self._cache.move_to_end(i)
        if self._read is not None and len(self._cache) > CACHE:
            self._cache.popitem(last=False)
        return mask
