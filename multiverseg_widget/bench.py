"""``multiverseg-widget bench``: how fast is a prediction on this machine, through the public API?

Times ``Predictor.predict`` (a click on a demo image, the context set prepared and cached as in a
real session) for several context sizes and prints the medians, with what they depend on: the
image's size, the device, precision and threads, and how busy the CPUs were (other processes'
OpenMP threads and ours slow each other down far more than their share of the cores). The
network alone at 128 x 128, with memory and GFLOP/s, is ``benchmarks/latency.py``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence

import numpy as np
import torch

from .data import demo_dataset
from .model.predictor import Predictor
from .model.preprocessing import MODEL_SIZE

DEMO = "bbbc039_nuclei"
BUSY_LOAD = 0.5  # a load average above this (processes wanting a CPU) means other work ran


def time_predictions(
    model: Predictor,
    images: Sequence[np.ndarray],
    masks: Sequence[np.ndarray],
    context_sizes: Sequence[int] = (0, 1, 4, 8),
    runs: int = 20,
) -> dict[int, float]:
    """Median seconds per ``predict`` of the last image (one new click each time, after one
    warm-up ``predict`` that prepares the context set) for each context size.

    Args:
        model: the Predictor timed.
        images, masks: a task's H x W images and masks; the first k are the context set of
            size k.
        context_sizes: the sizes timed, each below ``len(images)``.
        runs: the predicts timed per size.

    Returns:
        Context size -> median seconds.
    """
    if max(context_sizes) + 1 > len(images):
        raise ValueError(
            f"{len(images)} images leave at most {len(images) - 1} for the context set; ask for "
            "fewer context images"
        )
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


def cpu_load() -> str:
    """How busy the CPUs were over the last minute, and what it means for the figures."""
    cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return f"{cpus} CPUs"
    busy = "; other processes were busy: slower than idle" if load > BUSY_LOAD else ""
    return f"{cpus} CPUs, load average {load:.2f} at the start{busy}"


def report(model: Predictor, context_sizes: Sequence[int], runs: int) -> str:
    """bench's output: what it measures, on what, and a row per context size."""
    demo = demo_dataset(DEMO)
    assert demo.masks is not None  # demo datasets come with their ground truth
    images = list(demo.images)
    height, width = images[-1].shape[:2]
    grid = " x ".join(map(str, MODEL_SIZE))
    machine = (
        f"torch {torch.__version__}, device {model.device}, {model.precision}, "
        f"{torch.get_num_threads()} threads, {cpu_load()}"
    )
    medians = time_predictions(model, images, demo.masks, context_sizes, runs)
    return "\n".join([
        f"Predictor.predict of one click on a {height} x {width} image of the {DEMO} demo "
        f"(the network at {grid}), the context set prepared once as in a session:",
        f"the median of {runs} predicts per context size, after one warm-up predict.",
        machine,
        f"{'context images':>15}{'median ms per predict':>24}",
        *(f"{size:>15}{1e3 * seconds:>24.1f}" for size, seconds in medians.items()),
    ])  # fmt: skip
