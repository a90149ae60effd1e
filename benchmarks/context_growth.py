"""How well the network adapted to a growing context set predicts new images from the context
alone, as a dataset is annotated image after image: what the default adaptation (the whole set,
warm-started from the copy of the set before each accept) gives against the alternatives.

For each task, the images are accepted in a random order with their ground-truth masks; after
each accept the default model adapts (``Predictor.adapt_to``: warm from the last copy). At the
sizes given, held-out query images (the same ones at every size) are predicted from the
context alone by:
- ``warm-K``: the default, the network adapted to the whole set, the K items most like the
  image (K from ``--caps``);
- ``cold-K``: the same, adapted to the whole set from the network as it is (no warm start);
- ``selected``: the previous default, a network adapted from scratch to the 8 items most like
  each query and predicting with them (``--selected`` queries only: it adapts once per query);
- ``plain-K`` and ``plain-all``: the network as it is, K items or every item.
Prints the mean context-only Dice per task and size, then per size the mean over tasks and the
worst task of each variant against ``plain-all``. No context policy, no context guide.
Usage: python benchmarks/context_growth.py TASK.npz [...] [--sizes 8,16,32,64] [--queries 20]
  [--caps 4,8] [--selected 5] [--seed 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

import multiverseg_widget as mvw
from multiverseg_widget.common.overlap import dice

Pair = tuple[np.ndarray, np.ndarray]


def run_task(
    path: Path, sizes: list[int], queries: int, caps: list[int], selected: int, seed: int
) -> dict[str, dict[str, float]]:
    """{size: {variant: mean context-only Dice over the queries}}."""
    with np.load(path) as task:
        images, masks = task["images"], task["masks"] > 0
    order = np.random.default_rng(seed).permutation(len(images))
    sizes = [n for n in sizes if n + 2 <= len(images)]
    queries = min(queries, len(images) - max(sizes))
    held_out, pool = order[-queries:], order[:-queries]
    default = mvw.load_model(precision="fp32", adapt_to_context=True)
    plain = mvw.load_model(precision="fp32")
    pairs = [(images[i], masks[i]) for i in pool]
    out: dict[str, dict[str, float]] = {}
    adapting = 0.0
    for n in range(2, max(sizes) + 1):
        start = time.perf_counter()
        default.adapt_to(pairs[:n])
        adapting += time.perf_counter() - start
        if n not in sizes:
            continue
        cold = mvw.load_model(precision="fp32", adapt_to_context=True)
        row: dict[str, list[float]] = {}
        for q in held_out:
            image, gt = images[q], masks[q]
            for cap in caps:
                for name, model in ((f"warm-{cap}", default), (f"cold-{cap}", cold)):
                    mask = model.predict(image, context=pairs[:n], max_context=cap).mask
                    row.setdefault(name, []).append(dice(mask, gt))
                mask = plain.predict(image, context=pairs[:n], max_context=cap).mask
                row.setdefault(f"plain-{cap}", []).append(dice(mask, gt))
            mask = plain.predict(image, context=pairs[:n]).mask
            row.setdefault("plain-all", []).append(dice(mask, gt))
        for q in held_out[:selected]:
            row.setdefault("selected", []).append(
                _selected_dice(plain, pairs[:n], images[q], masks[q])
            )
        out[str(n)] = {name: statistics.mean(values) for name, values in row.items()}
        for name in ("warm-8", "cold-8", "plain-all"):  # on the queries 'selected' predicted
            if name in row and "selected" in row:
                out[str(n)][f"{name}@sel"] = statistics.mean(row[name][:selected])
        cells = "  ".join(f"{k} {v:.3f}" for k, v in out[str(n)].items())
        print(f"{path.stem:24s} N={n:3d}  {cells}  (warm adaptations so far {adapting:.0f} s)",
              flush=True)  # fmt: skip
    return out


def _selected_dice(
    plain: mvw.Predictor, pairs: list[Pair], image: np.ndarray, gt: np.ndarray
) -> float:
    """The previous default: adapt from scratch to the 8 items most like the image, predict."""
    used = plain.predict(image, context=pairs, max_context=8).context_used
    fresh = mvw.load_model(precision="fp32", adapt_to_context=True)
    return dice(fresh.predict(image, context=[pairs[i] for i in used]).mask, gt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", type=Path, help="npz files with images and masks")
    parser.add_argument("--sizes", default="8,16,32,64", help="accepted images, comma-separated")
    parser.add_argument("--queries", type=int, default=20, help="held-out query images per task")
    parser.add_argument("--caps", default="4,8", help="items per prediction, comma-separated")
    parser.add_argument("--selected", type=int, default=5, help="queries for 'selected' (slow)")
    parser.add_argument("--seed", type=int, default=0, help="the order images are accepted in")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    caps = [int(c) for c in args.caps.split(",")]
    results = {}
    for path in args.tasks:
        results[path.stem] = run_task(path, sizes, args.queries, caps, args.selected, args.seed)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    for n in map(str, sizes):
        rows = {t: r[n] for t, r in results.items() if n in r}
        if not rows:
            continue
        for name in next(iter(rows.values())):
            gaps = {t: r[name] - r["plain-all"] for t, r in rows.items() if name in r}
            worst = min(gaps, key=gaps.__getitem__)
            mean = statistics.mean(r[name] for r in rows.values() if name in r)
            print(
                f"N={n:3s} {name:10s} mean {mean:.3f}  vs plain-all "
                f"{statistics.mean(gaps.values()):+.3f} (worst {worst} {gaps[worst]:+.3f})"
            )


if __name__ == "__main__":
    main()
