"""Images read when they are needed: opening a folder of 100,000 files lists them and reads none.

A dataset's images are a sequence of items, each either a file that holds one 2D image (read by
Pillow when first asked for) or an array already in memory (in-memory images, volume slices).
Read images stay in a cache bounded in bytes, and the next few are read ahead on a background
thread, so that moving to the next image rarely waits for the disk. A file that cannot be read
when it is reached raises ``UnreadableFileError`` naming it; nothing else changes. So does a
slice of a memory-mapped volume with NaN or infinite pixels (it is checked when first used).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from ..model.preprocessing import to_gray_unit
from .readers import UnreadableFileError, read_pillow

CACHE_BYTES = 256 * 2**20  # read images kept; the least recently used go first
READ_AHEAD = 2  # images read ahead of the one asked for


@dataclass(frozen=True)
class ImageFile:
    """A file that holds one 2D image: what a task on another machine reads for itself."""

    path: str

    def read(self) -> np.ndarray:
        """The image, checked as ``load`` checks images (numeric, 2D or RGB, finite)."""
        try:
            array = read_pillow(Path(self.path))[0].array
            to_gray_unit(array, self.path)
        except Exception as error:
            raise UnreadableFileError(f"{self.path} cannot be read: {error}") from error
        return array


@dataclass(frozen=True)
class MappedSlice:
    """A slice of a memory-mapped volume (a .npy file, an uncompressed NIfTI): its pixels stay
    on disk until it is used, so it is checked then, and an error names the file and slice."""

    array: np.ndarray  # a view into the mapped volume
    where: str  # e.g. "slice 3 (axis 0) of /data/ct.npy"

    def read(self) -> np.ndarray:
        """The slice, checked as ``load`` checks images (numeric, finite)."""
        try:
            to_gray_unit(self.array, self.where)
        except ValueError as error:
            raise UnreadableFileError(str(error)) from error
        return self.array


# what ``source`` returns: a file to read, a mapped slice to check, or the pixels
ImageSource = ImageFile | MappedSlice | np.ndarray


def read_source(source: ImageSource) -> np.ndarray:
    """The pixels of an image source (runs where a task runs); ``UnreadableFileError`` names
    the file (and slice) that cannot be used."""
    return source if isinstance(source, np.ndarray) else source.read()


class LazyImages(Sequence[np.ndarray]):
    """The images of a dataset: files read on demand (cached, read ahead), arrays as they are."""

    def __init__(
        self,
        items: Sequence[str | MappedSlice | np.ndarray],
        cache_bytes: int = CACHE_BYTES,
        read_ahead: int = READ_AHEAD,
    ) -> None:
        self._items = list(items)
        self._cache_bytes = cache_bytes
        self._read_ahead = read_ahead
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cached_bytes = 0
        self._pending: dict[int, Future[np.ndarray]] = {}
        self._lock = threading.Lock()
        self._reader: ThreadPoolExecutor | None = None
        self._checked: set[int] = set()  # mapped slices checked once (``MappedSlice.read``)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, i: slice) -> list[np.ndarray]: ...
    def __getitem__(self, i: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"image {i} is out of range (0..{len(self) - 1})")
        item = self._items[i]
        if isinstance(item, np.ndarray):
            return item
        if isinstance(item, MappedSlice):
            if i not in self._checked:
                item.read()
                self._checked.add(i)
            return item.array
        image = self._cached_or_read(i)
        self._schedule(range(i + 1, min(i + 1 + self._read_ahead, len(self))))
        return image

    def source(self, i: int) -> ImageSource:
        """Image i as a task carries it: the file to read, the mapped slice, or the array held
        in memory."""
        item = self._items[i]
        return ImageFile(item) if isinstance(item, str) else item

    def __getstate__(self) -> dict[str, Any]:
        # a copy for another process carries the list, not the cache, the lock or the thread
        return {"items": self._items, "cache": self._cache_bytes, "ahead": self._read_ahead}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["items"], state["cache"], state["ahead"])  # type: ignore[misc]

    def _cached_or_read(self, i: int) -> np.ndarray:
        with self._lock:
            image = self._cache.get(i)
            if image is not None:
                self._cache.move_to_end(i)
                return image
            pending = self._pending.get(i)
        return pending.result() if pending is not None else self._read(i)

    def _read(self, i: int) -> np.ndarray:
        """Read image i into the cache; a read ahead of it, done or failed, is no longer
        pending (its failure surfaces when the image is asked for)."""
        try:
            image = ImageFile(str(self._items[i])).read()
        except BaseException:
            with self._lock:
                self._pending.pop(i, None)
            raise
        image.setflags(write=False)
        with self._lock:  # cached as it stops pending: no moment where it is neither
            self._pending.pop(i, None)
            if i not in self._cache:
                self._cache[i] = image
                self._cached_bytes += image.nbytes
                while self._cached_bytes > self._cache_bytes and len(self._cache) > 1:
                    _, dropped = self._cache.popitem(last=False)
                    self._cached_bytes -= dropped.nbytes
            return self._cache[i]

    def _schedule(self, indices: range) -> None:
        """Read ``indices`` in the background (files not cached nor being read)."""
        with self._lock:
            for k in indices:
                item = self._items[k]
                if isinstance(item, str) and k not in self._cache and k not in self._pending:
                    if self._reader is None:
                        self._reader = ThreadPoolExecutor(1, thread_name_prefix="read-ahead")
                    self._pending[k] = self._reader.submit(self._read, k)
