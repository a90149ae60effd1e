"""Per-click cost beside the network: a session click minus the network's own forward pass on
the same input, at 1024 x 1024 with 20 context images (the case where preparation per click
hurts most). Real images: the BBBC039 demo images, upsampled.

The forward pass is timed right after each click, on tensors built beforehand, so the two see
the same machine load; their difference (median) is what the session and the predictor add:
validation, normalisation, prompt encoding, context lookup, autosave, history.
Usage: python benchmarks/click_overhead.py [--size 1024] [--context 20] [--clicks 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

import multiverseg_widget as mvw
from multiverseg_widget.data import demo_dataset
from multiverseg_widget.model import encode_inputs


def upsampled(images: list[np.ndarray], size: int) -> list[np.ndarray]:
    out = []
    for image in images:
        x = torch.from_numpy(image.astype(np.float32))[None, None]
        big = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        out.append(big[0, 0].round().clamp(0, 255).numpy().astype(np.uint8))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--context", type=int, default=20)
    parser.add_argument("--clicks", type=int, default=30)
    args = parser.parse_args()
    model = mvw.load_model()
    demo = demo_dataset("bbbc039_nuclei")
    n = args.context + 1
    images = upsampled(demo.images[:n], args.size)
    masks = [
        m > 0 for m in upsampled([m.astype(np.uint8) * 255 for m in demo.masks[:n]], args.size)
    ]
    with tempfile.TemporaryDirectory() as workdir:
        session = mvw.Session(images, model=model, workdir=workdir)
        for i in range(args.context):
            session.set_mask(masks[i])
            session.accept()
        assert session.index == args.context
        ys, xs = np.nonzero(masks[args.context])
        picks = np.random.default_rng(0).integers(0, len(xs), size=args.clicks)
        support = model.prepare_context(session.context).support
        clicks: list[tuple[int, int, bool]] = []
        click_s, forward_s = [], []
        for k in range(args.clicks):
            x, y, positive = int(xs[picks[k]]), int(ys[picks[k]]), k % 3 != 2
            start = time.perf_counter()
            session.click(x, y, positive=positive)
            click_s.append(time.perf_counter() - start)
            clicks.append((x, y, positive))
            target = encode_inputs(session.image, clicks=clicks)
            start = time.perf_counter()
            model.forward_encoded(target, support)
            forward_s.append(time.perf_counter() - start)
    ms = lambda values: 1000 * statistics.median(values)  # noqa: E731
    overhead = [c - f for c, f in zip(click_s, forward_s)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{args.size} x {args.size} images, {args.context} context images, {args.clicks} clicks")
    print(f"  session.click          {ms(click_s):8.1f} ms (median)")
    print(f"  network forward alone  {ms(forward_s):8.1f} ms (median)")
    print(f"  overhead per click     {ms(overhead):8.1f} ms (median of the paired differences)")


if __name__ == "__main__":
    main()
