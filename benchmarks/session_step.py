"""What a session step costs, on the bundled BBBC039 nuclei demo images (upsampled with --size):
the median time of a click, box, scribble and undo + redo, the per-click overhead beside the
network, the throughput of ``Session.propagate``, and ``suggest_next`` once the context-only
predictions of the current context set exist.

The overhead is a session click minus the network's own forward pass on the same input, timed
right after each click on tensors built beforehand, so that both see the same machine load; its
median is what the session and the predictor add (validation, prompt encoding, context lookup,
upsampling, autosave, history). Uses the built-in default weights.
Usage: python benchmarks/session_step.py [--size 256] [--context 4] [--steps 30] [--threads N]
  [--official-size] [--context-guide]
  e.g. --size 1024 --context 20 (where preparing per click would hurt most); --official-size
  times the authors' network size (random weights: no download) instead of the built-in one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

import multiverseg_widget as mvw
from multiverseg_widget.data import demo_dataset
from multiverseg_widget.model import Predictor, encode_inputs
from multiverseg_widget.model.official_check import OFFICIAL_NETWORKS


def median_ms(times: list[float]) -> float:
    return 1000 * statistics.median(times)


def timed(fn: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def official_size(device: str, precision: str) -> Predictor:
    """The authors' MultiverSeg and ScribblePrompt networks, random weights (same cost)."""
    torch.manual_seed(0)
    nets = [cls(**config) for cls, config in OFFICIAL_NETWORKS.values()]
    return Predictor(*nets, device=device, precision=precision)


def resized(images: list[np.ndarray], size: int) -> list[np.ndarray]:
    """uint8 images, bilinearly resized to size x size (unchanged at their own size)."""
    out = []
    for image in images:
        if image.shape == (size, size):
            out.append(image)
            continue
        x = torch.from_numpy(image.astype(np.float32))[None, None]
        big = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        out.append(big[0, 0].round().clamp(0, 255).numpy().astype(np.uint8))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="image side (demo: 256)")
    parser.add_argument("--context", type=int, default=4, help="accepted images before timing")
    parser.add_argument("--steps", type=int, default=30, help="interactions per kind")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--official-size", action="store_true", help="official v1 nets, random")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument(
        "--precision", default="auto", help="auto (as load_model), fp32, bf16, fp16"
    )
    parser.add_argument(
        "--context-guide", action="store_true", help="context-only predictions start from it"
    )
    args = parser.parse_args()
    if args.official_size and args.context_guide:
        parser.error("--context-guide times the built-in weights; drop --official-size")
    if args.threads:
        torch.set_num_threads(args.threads)
    options = {"device": args.device, "precision": args.precision}
    if args.official_size:
        model = official_size(**options)
    else:
        model = mvw.load_model(**options, context_guide=args.context_guide)
    demo = demo_dataset("bbbc039_nuclei")
    if args.context >= len(demo):
        parser.error(f"--context must be below {len(demo)} (the demo images)")
    images = resized(demo.images, args.size)
    masks = [m > 127 for m in resized([m.astype(np.uint8) * 255 for m in demo.masks], args.size)]
    which = "official v1 size, random weights" if args.official_size else "built-in weights"
    print(f"{which} on {model.device}, {model.precision}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"{len(images)} demo images of {args.size} x {args.size}, {args.context} in context")

    with tempfile.TemporaryDirectory() as workdir:
        session = mvw.Session(images, model=model, workdir=workdir)
        for i in range(args.context):
            session.set_mask(masks[i])
            session.accept()
        truth = masks[session.index]
        ys, xs = np.nonzero(truth)
        picks = np.random.default_rng(0).integers(0, len(xs), size=args.steps)
        support = model.prepare_context(session.context).support
        clicks: list[tuple[int, int, bool]] = []
        click_times, forward_times = [], []
        for k in range(args.steps):
            x, y, positive = int(xs[picks[k]]), int(ys[picks[k]]), k % 3 != 2
            click_times.append(timed(session.click, x, y, positive=positive))
            clicks.append((x, y, positive))
            target = encode_inputs(session.image, clicks=clicks)
            forward_times.append(timed(model.forward_encoded, target, support))
        session.clear()
        side = args.size - 1
        box_times = [
            timed(session.box, 10 + k % 20, 12, side * 0.8, side * 0.8) for k in range(args.steps)
        ]
        session.clear()
        scribble_times = []
        for k in range(args.steps):
            x, y = int(xs[picks[k]]), int(ys[picks[k]])
            stroke = [(x, y), (min(x + 20, side), min(y + 5, side))]
            scribble_times.append(timed(session.scribble, stroke, width=3))
        undo_times = [timed(session.undo) + timed(session.redo) for _ in range(args.steps)]

        print(f"\nsession step (median of {args.steps}):")
        rows = {
            "click": click_times,
            "  network forward alone": forward_times,
            "box": box_times,
            "scribble": scribble_times,
            "undo + redo": undo_times,
        }
        for name, times in rows.items():
            print(f"  {name:<24s} {median_ms(times):8.1f} ms")
        overhead = median_ms([c - f for c, f in zip(click_times, forward_times)])
        print(f"  overhead per click beside the network: {overhead:.1f} ms (median)")

        if not session.context:
            print("\npropagate: needs a context set (--context 0): not timed")
            return
        todo = len(session) - len(session.accepted)
        start = time.perf_counter()
        session.propagate(progress=False)
        seconds = time.perf_counter() - start
        print(f"\npropagate: {todo} images in {seconds:.2f} s = {todo / seconds:.1f} images/s")
        again = [timed(session.suggest_next) for _ in range(5)]
        print(f"suggest_next once propagated (same context set): {median_ms(again):.1f} ms")


if __name__ == "__main__":
    main()
