"""Median time of one session step (model + session overhead, autosave included) and the
throughput of ``Session.propagate``, on the bundled BBBC039 nuclei demo task.

Uses the built-in default weights when they exist, else a random-weight MultiverSegNet of 32
features per level (said in the output).
Usage: python benchmarks/session_step.py [--steps 30] [--context 4] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch

import multiverseg_widget as mvw
from multiverseg_widget.data import demo_dataset
from multiverseg_widget.model import MultiverSegNet, Predictor


def build_model() -> tuple[Predictor, str]:
    try:
        return mvw.load_model(), "the built-in default weights"
    except FileNotFoundError:
        torch.manual_seed(0)
        net = MultiverSegNet(
            in_channels=[5, 2], encoder_blocks=[32] * 4, block_kws={"conv_kws": {"norm": "layer"}}
        )
        return Predictor(net), "RANDOM weights (no default checkpoint yet), 32 features per level"


def median_ms(times: list[float]) -> float:
    return 1000 * statistics.median(times)


def timed(fn: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30, help="interactions per kind")
    parser.add_argument("--context", type=int, default=4, help="accepted images before timing")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model, which = build_model()
    data = demo_dataset("bbbc039_nuclei")
    print(f"model: {which}; torch threads: {torch.get_num_threads()}")
    print(f"data: bbbc039_nuclei demo, {len(data)} images of {data.images[0].shape}")

    with tempfile.TemporaryDirectory() as workdir:
        session = mvw.Session(data, model=model, workdir=workdir)
        for i in range(args.context):
            session.set_mask(data.masks[i])
            session.accept()
        image, truth = session.image, data.masks[session.index]
        ys, xs = np.nonzero(truth)
        rng = np.random.default_rng(0)
        picks = rng.integers(0, len(xs), size=args.steps)
        context = session.context
        model.predict(image, context=context)  # warm up the context cache and the allocator
        # Each session click is paired with the same forward pass made directly (all clicks so
        # far, the previous logits, the context), timed right after it: on a shared machine the
        # two then see the same load, and their difference is the session's own cost.
        clicks: list[tuple[int, int, bool]] = []
        session_times, model_times = [], []
        for k in range(args.steps):
            x, y, positive = int(xs[picks[k]]), int(ys[picks[k]]), k % 3 != 2
            previous = session.prediction
            session_times.append(timed(session.click, x, y, positive=positive))
            clicks.append((x, y, positive))
            logits = None if previous is None else previous.logits
            model_times.append(
                timed(model.predict, image, clicks=clicks, prev_logits=logits, context=context)
            )
        session.clear()
        box_times = [timed(session.box, 10 + k % 20, 12, 200, 210) for k in range(args.steps)]
        session.clear()
        scribble_times = []
        for k in range(args.steps):
            x, y = int(xs[picks[k]]), int(ys[picks[k]])
            stroke = [(x, y), (min(x + 20, 255), min(y + 5, 255))]
            scribble_times.append(timed(session.scribble, stroke, width=3))
        undo_times = []
        for _ in range(args.steps):
            undo_times.append(timed(session.undo) + timed(session.redo))

        print(f"\nsession step, context of {args.context} images (median of {args.steps}):")
        rows = {
            "click": session_times,
            "  same model.predict": model_times,
            "box": box_times,
            "scribble": scribble_times,
            "undo + redo": undo_times,
        }
        for name, times in rows.items():
            print(f"  {name:<22s} {median_ms(times):8.1f} ms")
        overhead = median_ms([a - b for a, b in zip(session_times, model_times)])
        print(f"  session overhead per click (autosave, history): {overhead:.1f} ms (median)")

        todo = len(session) - len(session.accepted)
        start = time.perf_counter()
        session.propagate(progress=False)
        seconds = time.perf_counter() - start
        print(f"\npropagate: {todo} images in {seconds:.2f} s = {todo / seconds:.1f} images/s")


if __name__ == "__main__":
    main()
