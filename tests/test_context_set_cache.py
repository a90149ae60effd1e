"""The cache of results built once per context set (``model/context_set_cache.py``)."""

from __future__ import annotations

import itertools
import pickle
import threading

import torch

from multiverseg_widget.model.context import PreparedItem
from multiverseg_widget.model.context_set_cache import CACHED_SETS, ContextSetCache

_NUMBERS = itertools.count()


def _item(key: str | None = None) -> PreparedItem:
    """An item whose content is named ``key`` (the cache reads nothing else of it)."""
    zeros = torch.zeros(1, 2, 2)
    return PreparedItem(key or f"item {next(_NUMBERS)}", zeros, zeros, torch.zeros(4))


def test_threads_asking_for_one_set_share_one_build():
    cache: ContextSetCache[str] = ContextSetCache()
    items = (_item(), _item())
    builds, asked, all_asked = [], [], threading.Event()

    def build() -> str:
        builds.append(1)
        all_asked.wait()  # every thread has asked before this build ends
        return "built"

    def ask() -> None:
        asked.append(1)
        if len(asked) == 8:
            all_asked.set()
        results.append(cache.get(items, build))

    results: list[str] = []
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["built"] * 8 and len(builds) == 1


def test_sets_are_told_apart_by_the_content_of_their_items_and_the_oldest_goes():
    cache: ContextSetCache[int] = ContextSetCache()
    a, b = _item("a"), _item("b")
    assert cache.get((a, b), lambda: 1) == 1
    assert cache.get([a, b], lambda: 2) == 1  # the same items: cached
    assert cache.get([_item("a"), _item("b")], lambda: 2) == 1  # prepared again: the same set
    assert cache.get((b, a), lambda: 3) == 3  # another order is another set
    assert cache.get((a,), lambda: 4) == 4
    for n in range(CACHED_SETS):
        cache.get((_item(),), lambda n=n: 10 + n)
    assert len(cache) == CACHED_SETS and cache.get((a, b), lambda: 5) == 5  # evicted, rebuilt
    assert len(pickle.loads(pickle.dumps(cache))) == 0
