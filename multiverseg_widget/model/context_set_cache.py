"""Results built once per context set (the context guide's forest, weights adapted to the set),
kept for the last few sets.

Why: each costs a second or more to build and stays valid while the set is unchanged. The
context cache hands out the same prepared items while a set is unchanged, so the identity of
those items is the key: no hashing of images.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from .context import PreparedItem

Built = TypeVar("Built")
CACHED_SETS = 4  # context sets whose result is kept


class ContextSetCache(Generic[Built]):
    """Thread safe: threads that ask for the same set while it is built wait for that one build
    (propagation asks from many threads at once). It pickles empty, like the context cache (a
    result is rebuilt on demand)."""

    def __init__(self) -> None:
        self._entries: list[tuple[tuple[PreparedItem, ...], Built]] = []
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()  # one build at a time

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, items: Sequence[PreparedItem], build: Callable[[], Built]) -> Built:
        """The result for these prepared context items: cached, else ``build()``."""
        key = tuple(items)
        found = self._cached(key)
        if found:
            return found[0]
        with self._build_lock:
            found = self._cached(key)  # built by another thread while this one waited
            if found:
                return found[0]
            built = build()
            with self._lock:
                self._entries = [(key, built), *self._entries][:CACHED_SETS]
            return built

    def find(self, items: Sequence[PreparedItem]) -> Built | None:
        """The result for these items if it is cached, else None (without building it)."""
        found = self._cached(tuple(items))
        return found[0] if found else None

    def _cached(self, key: tuple[PreparedItem, ...]) -> list[Built]:
        """[the result] when this key is cached, else []."""
        with self._lock:
            for cached_key, built in self._entries:
                if len(cached_key) == len(key) and all(a is b for a, b in zip(cached_key, key)):
                    return [built]
        return []
