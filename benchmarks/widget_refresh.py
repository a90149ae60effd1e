"""What the widget's kernel side costs per click as the dataset grows: the median time of
``SegmentWidget.refresh()`` right after a click, at 1,000 and 100,000 tiny in-memory images.

No browser: the widget is built in this process and each click goes to its session directly;
only the refresh (what is sent back after every message) is timed. A context set of a few
accepted images and a propagation over the first images make the progress strip and the
gallery non-trivial. Uses the built-in weights on the CPU.
Usage: python benchmarks/widget_refresh.py [--counts 1000 100000] [--clicks 30] [--size 16]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import multiverseg_widget as mvw
from multiverseg_widget.annotation.propagation import Propagation
from multiverseg_widget.widget import SegmentWidget

ACCEPTED = 5  # images accepted (and in the context set) before the clicks are timed


def refresh_ms(count: int, clicks: int, size: int, model: mvw.Predictor) -> float:
    """The median refresh after a click, in ms, with ``count`` images of ``size`` x ``size``."""
    rng = np.random.default_rng(0)
    images = rng.random((count, size, size), dtype=np.float32)
    session = mvw.Session(images, model=model)
    widget = SegmentWidget(session)
    for _ in range(ACCEPTED):
        session.click(size // 2, size // 2)
        session.accept(allow_empty=True)
    confident = {i: float(rng.random()) for i in range(ACCEPTED, count)}
    session.propagated = Propagation({}, confident)
    widget.refresh()
    times = []
    for k in range(clicks):
        session.click(k % size, (3 * k) % size, positive=k % 2 == 0)
        start = time.perf_counter()
        widget.refresh()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--size", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = mvw.load_model()
    for count in args.counts:
        ms = refresh_ms(count, args.clicks, args.size, model)
        print(f"{count:>7} images: refresh after a click, median {ms:.2f} ms")


if __name__ == "__main__":
    main()
