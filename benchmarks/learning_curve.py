"""Quality on the unseen eval tasks against training samples: one row per checkpoint.

The validation score in a run's history.jsonl is measured on held-out *training* images; this
measures the same checkpoints on the eval tasks in ``--eval-dir`` with the evaluation protocol
(center clicks, one seeded ordering per task), so the learning curve says what more training buys
on new tasks.
Columns: Dice after 1/3/5/10 clicks with no context (macro mean over every eval task), the
context-only Dice from 4 to 9 ground-truth context images on OASIS and PanDental, and the mean
change of Dice made by the first click after that context-only prediction.
Usage: python benchmarks/learning_curve.py --eval-dir PATH [--untrained] CHECKPOINT [...]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch
from eval_data import add_eval_dir, eval_files

from multiverseg_widget.evaluation.protocol import PROTOCOLS, ordering, run_ordering
from multiverseg_widget.evaluation.tasks import load_task
from multiverseg_widget.model import MultiverSegNet, Predictor, load_model

CONTEXT_TASKS = ("medscribble_OASIS", "medscribble_PanDental")
MIN_CONTEXT = 4
CLICKS = dataclasses.replace(PROTOCOLS["clicks"], max_steps=10)  # Dice@10 is the last column


def clicks_without_context(model: Predictor, tasks, max_images: int) -> dict[int, float]:
    """Macro mean Dice after k center clicks, no context (the protocol: 90% target, then the
    user stops and the mask stays)."""
    per_task = []
    for task in tasks:
        order = ordering(len(task.masks), max_images, 0, 0)
        images = run_ordering(model, task, order, CLICKS, "none", 0.9, 0, 0)
        per_task.append({k: np.mean([r.dice_after(k) for r in images]) for k in (1, 3, 5, 10)})
    return {k: float(np.mean([t[k] for t in per_task])) for k in (1, 3, 5, 10)}


def context_only(model: Predictor, task, max_images: int) -> tuple[float, float]:
    """(context-only Dice, Dice change of the first click) over images with >= 4 truths."""
    order = ordering(len(task.masks), max_images, 0, 0)
    images = run_ordering(model, task, order, CLICKS, "growing-gt", 0.9, 0, 0)
    later = [r for r in images if r.context_size >= MIN_CONTEXT]
    gains = [r.dice_after(1) - r.context_dice for r in later if r.dice]
    return float(np.mean([r.context_dice for r in later])), float(np.mean(gains) if gains else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--untrained", action="store_true", help="add a row: random init")
    parser.add_argument("--max-images", type=int, default=10)
    add_eval_dir(parser)
    args = parser.parse_args()
    tasks = [load_task(p) for p in eval_files(parser, args.eval_dir)]
    models = [load_model(p) for p in args.checkpoints]
    rows = [(f"{m.metadata['samples']:,}", m) for m in models]
    if args.untrained:
        torch.manual_seed(0)
        untrained = Predictor(MultiverSegNet(**models[0].multiverseg.config))
        rows.insert(0, ("0 (untrained)", untrained))
    header = (
        "| samples | Dice@1 | @3 | @5 | @10 | OASIS ctx-only | PanDental ctx-only "
        "| 1st click after ctx |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for name, model in rows:
        clicks = clicks_without_context(model, tasks, args.max_images)
        ctx = [context_only(model, t, args.max_images) for t in tasks if t.name in CONTEXT_TASKS]
        gain = np.mean([g for _, g in ctx])
        cells = [name, *(f"{clicks[k]:.3f}" for k in (1, 3, 5, 10))]
        cells += [f"{c:.3f}" for c, _ in ctx] + [f"{gain:+.3f}"]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
