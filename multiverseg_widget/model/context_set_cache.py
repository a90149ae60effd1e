"""Results built once per context set (the context guide's forest, weights adapted to the set),
kept for the last few sets.

Why: each costs a second or more to build and stays valid while the set is unchanged. A set is
kept by its items' content keys (``PreparedItem.key``, digests made once when an item is
prepared), in order: an item prepared again after the context cache let it go is still the
same item, so nothing is built twice for one set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from .context import PreparedItem

SetKey = tuple[str, ...]  # the content keys of a set's items, in order

Built = TypeVar("Built")
CACHED_SETS = 4  # context sets whose result is kept


class ContextSetCache(Generic[Built]):
    """Thread safe: threads that ask for the same set while it is built wait for that one build
    (propagation asks from many threads at once). It pickles empty, like the context cache (a
    result is rebuilt on demand)."""

    def __init__(self) -> None:
        self._entries: list[tuple[SetKey, Built]] = []
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()  # one build at a time

    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        ContextSetCache.__init__(self)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, items: Sequence[PreparedItem], build: Callable[[], Built]) -> Built:
        """The result for these prepared context items: cached, else ``build()``."""
        key = set_key(items)
        found = self._cached(key)
        if found:
            return found[0]
        with self._build_lock:
            found = self._cached(key)  # built by another thread while this one waited
            if found:
                return found[0]
            built = build()
            self._keep(key, built)
            return built

    def put(self, items: Sequence[PreparedItem], built: Built) -> None:
        """Keep ``built`` as the result for these items (built elsewhere, step by step)."""
        self._keep(set_key(items), built)

    def find(self, items: Sequence[PreparedItem]) -> Built | None:
        """The result for these items if it is cached, else None (without building it)."""
        found = self._cached(set_key(items))
        return found[0] if found else None

    def closest(
        self, items: Sequence[PreparedItem], usable: Callable[[SetKey, Built], bool]
    ) -> tuple[SetKey, Built] | None:
        """The cached set that shares most items with ``items`` among those ``usable`` says
        may serve (its key and result), or None: what a build may start from."""
        wanted = set(set_key(items))
        with self._lock:
            found = [(len(wanted & set(k)), k, b) for k, b in self._entries if usable(k, b)]
        if not found:
            return None
        _, key, built = max(found, key=lambda entry: entry[0])
        return key, built

    def _keep(self, key: SetKey, built: Built) -> None:
        """Keep ``built`` first, in place of an older result for ``key``."""
        with self._lock:
            others = [(k, b) for k, b in self._entries if k != key]
            self._entries = [(key, built), *others][:CACHED_SETS]

    def _cached(self, key: SetKey) -> list[Built]:
        """[the result] when this key is cached, else []."""
        with self._lock:
            return [built for cached_key, built in self._entries if cached_key == key][:1]


def set_key(items: Sequence[PreparedItem]) -> SetKey:
    """What a context set is kept by: its items' content, in order."""
    return tuple(item.key for item in items)
