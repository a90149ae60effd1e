"""Which context items a prediction should use once many images are accepted: the budgeted
policy (the ``budget`` items most like the image, what a Session does by default), every item,
and ``budget`` random items, at 8, 16, 32 and 64 accepted images.

For each task and context size N (N accepted images drawn at random, their ground-truth masks
as the accepted masks), every policy predicts the same query images (others of the task): the
context-only Dice, and with ``--clicks`` the clicks a simulated user (``CenterClickUser``)
needs to reach 90% Dice (at most 20). The network is the built-in one as it is (no adaptation,
no context policy: what differs is which items it sees). Prints one row per task and N, then
per N the mean over tasks and the worst task of (policy - every item).
Usage: python benchmarks/context_policy.py TASK.npz [TASK.npz ...] [--sizes 8,16,32,64]
  [--queries 20] [--budget N] [--clicks] [--seed 0] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

import multiverseg_widget as mvw
from multiverseg_widget.evaluation.sequential import run_image
from multiverseg_widget.evaluation.users import CenterClickUser
from multiverseg_widget.model import Predictor

POLICIES = ("budget", "all", "random")
TARGET, MAX_CLICKS = 0.9, 20


def run_task(
    path: Path, sizes: list[int], queries: int, budget: int, clicks: bool, seed: int
) -> dict[str, dict[str, dict[str, float]]]:
    """{N: {policy: {"dice": mean context-only Dice, "clicks": mean clicks to TARGET}}}."""
    with np.load(path) as task:
        images, masks = task["images"], task["masks"] > 0
    models = {
        "budget": mvw.load_model(max_context=budget),
        "all": mvw.load_model(),
        "random": mvw.load_model(),
    }
    out: dict[str, dict[str, dict[str, float]]] = {}
    for n in sizes:
        if n + 2 > len(images):
            continue
        rng = np.random.default_rng([seed, n])
        order = rng.permutation(len(images))
        chosen, rest = order[:n], order[n : n + queries]
        context = [(images[i], masks[i]) for i in chosen]
        row: dict[str, dict[str, float]] = {}
        for policy in POLICIES:
            dices, counts = [], []
            for q in rest:
                items = context
                if policy == "random":
                    pick = np.random.default_rng([seed, n, int(q)]).choice(n, budget, False)
                    items = [context[k] for k in sorted(pick)]
                result = _one(models[policy], images[q], masks[q], int(q), items, clicks, seed)
                dices.append(result[0])
                counts.append(result[1])
            row[policy] = {"dice": statistics.mean(dices)}
            if clicks:
                row[policy]["clicks"] = statistics.mean(counts)
        out[str(n)] = row
        print(_line(path.stem, n, row, clicks), flush=True)
    return out


def _one(
    model: Predictor,
    image: np.ndarray,
    gt: np.ndarray,
    index: int,
    context: list[tuple[np.ndarray, np.ndarray]],
    clicks: bool,
    seed: int,
) -> tuple[float, float]:
    """(context-only Dice, clicks to TARGET or MAX_CLICKS; 0 without --clicks)."""
    steps = MAX_CLICKS if clicks else 0
    rng = np.random.default_rng([seed, index])
    result, _ = run_image(model, image, gt, index, CenterClickUser(), rng, context, TARGET, steps)
    count = result.interactions_to(TARGET, MAX_CLICKS) if clicks else 0
    return float(result.context_dice or 0.0), float(count)


def _line(task: str, n: int, row: dict[str, dict[str, float]], clicks: bool) -> str:
    cells = [f"{p} {row[p]['dice']:.3f}" for p in POLICIES]
    if clicks:
        cells += [f"{p} {row[p]['clicks']:.2f} clicks" for p in POLICIES]
    return f"{task:28s} N={n:3d}  " + "  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", type=Path, help="npz files with images and masks")
    parser.add_argument("--sizes", default="8,16,32,64", help="accepted images, comma-separated")
    parser.add_argument("--queries", type=int, default=20, help="query images per task and size")
    parser.add_argument(
        "--budget", type=int, default=None, help="items per prediction (default: this machine's)"
    )
    parser.add_argument("--clicks", action="store_true", help="also clicks to 90%% Dice")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    budget = args.budget or mvw.load_model().context_budget()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"budget: {budget} items; sizes {sizes}; {args.queries} queries per task and size")
    results = {
        path.stem: run_task(path, sizes, args.queries, budget, args.clicks, args.seed)
        for path in args.tasks
    }
    for n in map(str, sizes):
        rows = {t: r[n] for t, r in results.items() if n in r}
        if not rows:
            continue
        for policy in ("budget", "random"):
            for what in ("dice", "clicks") if args.clicks else ("dice",):
                gaps = {t: r[policy][what] - r["all"][what] for t, r in rows.items()}
                worst = min(gaps, key=gaps.get) if what == "dice" else max(gaps, key=gaps.get)
                mean = statistics.mean(gaps.values())
                print(
                    f"N={n:>3} {policy:6s} - all, {what}: mean {mean:+.3f} over {len(rows)} "
                    f"tasks, worst {worst} {gaps[worst]:+.3f}"
                )
    if args.json:
        args.json.write_text(json.dumps({"budget": budget, "results": results}, indent=1))


if __name__ == "__main__":
    main()
