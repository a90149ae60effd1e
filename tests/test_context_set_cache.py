"""The cache of results built once per context set (``model/context_set_cache.py``)."""

from __future__ import annotations

import pickle
import threading
import time

from multiverseg_widget.model.context_set_cache import CACHED_SETS, ContextSetCache


def test_threads_asking_for_one_set_share_one_build():
    cache: ContextSetCache[str] = ContextSetCache()
    items = (object(), object())
    builds = []

    def build() -> str:
        builds.append(1)
        time.sleep(0.2)  # long enough for every thread to ask while it runs
        return "built"

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(items, build))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["built"] * 8 and len(builds) == 1


def test_sets_are_told_apart_by_the_identity_of_their_items_and_the_oldest_goes():
    cache: ContextSetCache[int] = ContextSetCache()
    a, b = object(), object()
    assert cache.get((a, b), lambda: 1) == 1
    assert cache.get([a, b], lambda: 2) == 1  # the same items: cached
    assert cache.get((b, a), lambda: 3) == 3  # another order is another set
    assert cache.get((a,), lambda: 4) == 4
    for n in range(CACHED_SETS):
        cache.get((object(),), lambda n=n: 10 + n)
    assert len(cache) == CACHED_SETS and cache.get((a, b), lambda: 5) == 5  # evicted, rebuilt
    assert len(pickle.loads(pickle.dumps(cache))) == 0
