"""A dataset annotated through the Session's Python API with its defaults, as the context grows:
what each image costs in interactions and in waiting, on an idle machine and with one core held
busy by another process (a busy loop, as a browser drawing the widget would hold it).

A simulated user (``CenterClickUser``) clicks each image until its Dice reaches 90% (at most
``--max-clicks``) and accepts the mask it sees; the next image opens. Per image it records the
context size, the interactions, each click's latency, and the wait after the accept: the
accept itself (which checks the new context set and adapts to it, in plain Python) plus the
first click on the next image. Prints a row per image, then per mode the medians at 2-3 and at
the last context sizes and their ratio, and with ``--plot`` draws them.
Usage: python benchmarks/dataset_session.py TASK.npz [--images 64] [--modes idle,busy]
  [--network built-in|official-size] [--max-clicks 20] [--plot figure.png] [--json out.json]
  ``official-size``: the authors' network shape with random weights (their cost, not their
  accuracy: use --max-clicks 3).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import multiverseg_widget as mvw  # first, as in a notebook: it sets PyTorch's thread policy

# isort: split
import numpy as np
import torch
from busy_core import busy_core

from multiverseg_widget.common.overlap import dice
from multiverseg_widget.evaluation.users import CenterClickUser
from multiverseg_widget.model import Predictor
from multiverseg_widget.model.official_check import OFFICIAL_NETWORKS
from multiverseg_widget.prompts import Click

TARGET = 0.9


def model_of(network: str) -> Predictor | None:
    """None: the Session's default (the built-in weights, checked and adapted to)."""
    if network == "built-in":
        return None
    torch.manual_seed(0)
    nets = [cls(**config) for cls, config in OFFICIAL_NETWORKS.values()]
    return Predictor(*nets)


def annotate(
    images: np.ndarray, masks: np.ndarray, model: Predictor | None, max_clicks: int
) -> list[dict[str, Any]]:
    """One row per image: context size, interactions, click seconds, accept and first-click
    seconds (the first click on the image after the accept)."""
    rows: list[dict[str, Any]] = []
    user, rng = CenterClickUser(), np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as work:
        session = mvw.Session(list(images), model=model, workdir=Path(work) / "session")
        for i in range(len(images) - 1):
            gt = masks[session.index] > 0
            context = len(session.context_indices)
            row: dict[str, Any] = {"image": i, "context": context, "clicks": []}
            prompts = user.first(gt, rng)
            for _ in range(max_clicks):
                click = prompts.items[0]
                assert isinstance(click, Click)
                start = time.perf_counter()
                prediction = session.click(click.x, click.y, click.positive)
                row["clicks"].append(time.perf_counter() - start)
                if dice(prediction.mask, gt) >= TARGET:
                    break
                found = user.correct(gt, prediction.mask, rng)
                if found is None:
                    break
                prompts = found
            row["interactions"] = len(row["clicks"])
            start = time.perf_counter()
            session.accept(allow_empty=True)
            row["accept"] = time.perf_counter() - start
            rows.append(row)
            if rows[:-1]:
                rows[-2]["wait"] = rows[-2]["accept"] + row["clicks"][0]
            print(_line(row), flush=True)
    return rows


def _line(row: dict[str, Any]) -> str:
    clicks = row["clicks"]
    return (
        f"image {row['image']:3d}  context {row['context']:3d}  "
        f"interactions {row['interactions']:2d}  "
        f"click median {1000 * statistics.median(clicks):6.0f} ms"
        f"  accept {row['accept']:6.2f} s"
    )


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Median (and 90th percentile) click and median wait at 2-3 context images and at the last
    ten images, and their ratios."""
    early = [r for r in rows if 2 <= r["context"] <= 3]
    late = [r for r in rows if "wait" in r][-10:]
    early_clicks = [c for r in early for c in r["clicks"]]
    late_clicks = [c for r in late for c in r["clicks"]]
    out = {
        "click_early_ms": 1000 * statistics.median(early_clicks),
        "click_late_ms": 1000 * statistics.median(late_clicks),
        "click_early_p90_ms": 1000 * float(np.percentile(early_clicks, 90)),
        "click_late_p90_ms": 1000 * float(np.percentile(late_clicks, 90)),
        "wait_early_s": statistics.median(r["wait"] for r in early if "wait" in r),
        "wait_late_s": statistics.median(r["wait"] for r in late),
        "late_context": late[-1]["context"],
    }
    out["click_ratio"] = out["click_late_ms"] / out["click_early_ms"]
    out["wait_ratio"] = out["wait_late_s"] / out["wait_early_s"]
    return out


def plot(results: dict[str, list[dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for mode, rows in results.items():
        context = [r["context"] for r in rows]
        axes[0].plot(context, [r["interactions"] for r in rows], label=mode)
        axes[1].plot(context, [1000 * statistics.median(r["clicks"]) for r in rows], label=mode)
        waits = [(r["context"], r["wait"]) for r in rows if "wait" in r]
        axes[2].plot([c for c, _ in waits], [w for _, w in waits], label=mode)
    titles = ("interactions to 90% Dice", "median click (ms)", "wait after accept (s)")
    for ax, title in zip(axes, titles):
        ax.set_title(title)
        ax.set_xlabel("accepted images")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", type=Path, help="an npz with images and masks (65 or more)")
    parser.add_argument("--images", type=int, default=64, help="images accepted")
    parser.add_argument("--modes", default="idle,busy")
    parser.add_argument("--network", choices=("built-in", "official-size"), default="built-in")
    parser.add_argument("--max-clicks", type=int, default=20)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with np.load(args.task) as task:
        images, masks = task["images"][: args.images + 1], task["masks"][: args.images + 1]
    if len(images) < args.images + 1:
        parser.error(f"{args.task} has {len(images)} images; --images needs one more than it")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    results = {}
    for mode in args.modes.split(","):
        busy = busy_core() if mode == "busy" else None
        try:
            print(f"--- {mode} ---", flush=True)
            results[mode] = annotate(images, masks, model_of(args.network), args.max_clicks)
        finally:
            if busy is not None:
                busy.kill()
    for mode, rows in results.items():
        s = summary(rows)
        print(
            f"{mode}: median click {s['click_early_ms']:.0f} ms at 2-3 context images, "
            f"{s['click_late_ms']:.0f} ms at {s['late_context']} (x{s['click_ratio']:.2f}; "
            f"p90 {s['click_early_p90_ms']:.0f} and {s['click_late_p90_ms']:.0f} ms); "
            f"wait after accept {s['wait_early_s']:.2f} s, {s['wait_late_s']:.2f} s "
            f"(x{s['wait_ratio']:.2f})"
        )
    if args.plot:
        plot(results, args.plot)
    if args.json:
        args.json.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
