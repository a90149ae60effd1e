"""How many context items a prediction may use on this machine: the latency budget.

Why: the in-context network's cost grows with every context item (on a CPU, linearly: the
built-in network about 13 ms per item beside 20 ms for the rest, the authors' about 0.6 s per
item), so a session that used every accepted image would wait longer at every click as the
dataset grows. The budget keeps the cost of a prediction flat: a forward pass takes at most
``BUDGET_RATIO`` times the pass with ``BASE_ITEMS`` items (the smallest set the network adapts
to). The built-in network on a 2-core CPU gets about 4 items, the authors' network on a CPU 3,
a GPU (items run in parallel) up to ``MAX_ITEMS``; the prediction picks the items most like the
image (``context.most_similar``). Few items lose little where the network is adapted to the
whole context set (``context_adaptation.py``): with it, 4 items predicted an unseen task's images
from the context alone as well as 8 (``benchmarks/context_growth.py``, the README), where the
network as it is lost up to 0.14 Dice with 4 against every item.

The budget is measured once per network shape, device, precision and thread count (a few
forward passes on random inputs) and kept in the per-user cache (``official.cache_dir``), so
that later sessions start at once. ``$MULTIVERSEG_WIDGET_CONTEXT_BUDGET`` (an int) sets it by
hand instead; ``Session(max_context=...)`` sets it per session.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from ..common.atomic import atomic_write, make_dir
from ..common.logs import package_logger
from .networks import Networks
from .official import cache_dir
from .preprocessing import MODEL_SIZE

BUDGET_RATIO = 1.5  # a pass may take at most this times the pass with BASE_ITEMS items
BASE_ITEMS = 2
MAX_ITEMS = 64  # the most items the paper's network was shown to gain from
SIZES = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)  # the budgets tried, in order
REPEATS = 3  # timed pairs per size (the median ratio counts: another process slows some)
BUDGET_FILE = "context_budget.json"
BUDGET_ENV = "MULTIVERSEG_WIDGET_CONTEXT_BUDGET"
log = package_logger(__name__)


def budgeted_items(networks: Networks) -> int:
    """The most context items a prediction with ``networks`` may use (at least BASE_ITEMS):
    read from the cache, else measured now and kept.

    Args:
        networks: the network and its device, precision and routing.

    Returns:
        An int in [BASE_ITEMS, MAX_ITEMS] (or $MULTIVERSEG_WIDGET_CONTEXT_BUDGET).
    """
    override = os.environ.get(BUDGET_ENV)
    if override is not None:
        if not override.isdigit() or int(override) < 1:
            raise ValueError(f"${BUDGET_ENV} must be a positive int, got {override!r}")
        return int(override)
    key = _machine_key(networks)
    path = cache_dir() / BUDGET_FILE
    known = _read(path)
    if key not in known:
        known = {**_read(path), key: measure_budget(networks)}  # another process may have added
        make_dir(path.parent)
        atomic_write(path, json.dumps(known, indent=1, sort_keys=True).encode())
    return int(known[key])


def measure_budget(networks: Networks) -> int:
    """The largest size in SIZES whose in-context forward pass takes at most BUDGET_RATIO times
    the pass with BASE_ITEMS items. Each size is timed beside a pass with BASE_ITEMS, in turn,
    so that another process slowing the machine for a while slows both sides of a ratio, and
    the median of REPEATS ratios counts."""
    log.info("measuring how many context items this machine predicts with quickly (once)...")
    target = torch.rand(1, 5, *MODEL_SIZE, generator=torch.Generator().manual_seed(0))
    supports = {n: torch.rand(n, 2, *MODEL_SIZE, generator=torch.Generator().manual_seed(n))
                for n in SIZES}  # fmt: skip

    def seconds(items: int) -> float:
        start = time.perf_counter()
        networks.forward(target, supports[items])
        return time.perf_counter() - start

    seconds(BASE_ITEMS)  # warm-up: allocations, kernels chosen
    chosen = BASE_ITEMS
    for items in (n for n in SIZES if n > BASE_ITEMS):
        seconds(items)  # warm-up at this size
        ratios = [seconds(items) / seconds(BASE_ITEMS) for _ in range(REPEATS)]
        if statistics.median(ratios) > BUDGET_RATIO:
            break
        chosen = items
    return chosen


def _machine_key(networks: Networks) -> str:
    """What the budget depends on: the network's shape, the device, precision, threads, CPU,
    and the rule (a budget measured by another rule is measured again)."""
    shapes = [list(p.shape) for p in networks.multiverseg.parameters()]
    cpu = platform.processor() or platform.machine()
    described = [shapes, str(networks.device), networks.precision, torch.get_num_threads(), cpu,
                 os.cpu_count(), torch.__version__, BUDGET_RATIO, BASE_ITEMS]  # fmt: skip
    if networks.device.type == "cuda":
        described.append(torch.cuda.get_device_name(networks.device))
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()[:20]


def _read(path: Path) -> dict[str, int]:
    """The budgets measured so far ({} when none is, or the file is unreadable: measured again)."""
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(known, dict):
        return {}
    return {k: v for k, v in known.items() if isinstance(v, int) and BASE_ITEMS <= v <= MAX_ITEMS}
