"""``multiverseg-widget bench``: how fast is a prediction on this machine, through the public API?

Times ``Predictor.predict`` (a click on a demo image, the context set prepared and cached as in a
real session) for several context sizes and prints the medians, so a user can see what to expect
before annotating. The network-level table with memory and GFLOP/s is ``benchmarks/latency.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import torch

from .data import demo_dataset
from .model.predictor import Predictor


def time_predictions(
    model: Predictor, context_sizes: Sequence[int] = (0, 1, 4, 8), runs: int = 20
) -> dict[int, float]:
    """Median seconds per ``predict`` (one new click each time) for each context size."""
    demo = demo_dataset("bbbc039_nuclei")
    images, masks = demo.images, demo.masks
    assert masks is not None  # demo datasets come with their ground truth
    if max(context_sizes) + 1 > len(images):
        raise ValueError(f"the demo task has {len(images)} images; ask for fewer context images")
    target = images[-1]
    height, width = target.shape[:2]
    medians = {}
    for size in context_sizes:
        context = [(images[i], masks[i]) for i in range(size)]
        model.predict(target, context=context)  # warm-up; prepares and caches the context
        times = []
        for run in range(runs):
            click = ((run * 7) % width, (run * 13) % height, True)
            start = time.perf_counter()
            model.predict(target, clicks=[click], context=context)
            times.append(time.perf_counter() - start)
        medians[size] = statistics.median(times)
    return medians


def report(model: Predictor, context_sizes: Sequence[int], runs: int) -> str:
    lines = [
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {model.device}",
        f"{'context images':>15}{'median ms per predict':>24}",
    ]
    for size, seconds in time_predictions(model, context_sizes, runs).items():
        lines.append(f"{size:>15}{1e3 * seconds:>24.1f}")
    return "\n".join(lines)
