"""The context path against a classical yardstick, and what one negative click does.

Per task in --eval-dir: the first --context images of a seeded ordering are the context set with
their ground truth; every further image (up to --max-images) is predicted from that context
alone (with --rotate, every image of the ordering is, each from the --context images after it,
cyclically: a task of 5 images gives 5 predictions instead of 1, so its figures rest on more
than one image) by
- the network (built-in weights, or --checkpoint; with --context-guide, given the context
  guide's logits as its first guess; with --adapt-context, first fine-tuned on the context; with
  --self-check, under the Session's context policy, which shows no guess from a context set
  that predicts its own images badly: such images have no false positive to click),
- the context forest (a random forest on multi-scale features, trained on the context),
- the context guide's forest (``model/context_guide.py``: a cheaper one),
and the network's context-only prediction then gets one negative click at the deepest point of
its largest (8-connected) false-positive component: the share of that component removed, and
the change of Dice outside it (the component's pixels excluded), are reported; and, instead of
the click, one negative line scribble on background at least 8% of the side away from the
structure and the prediction (already right: it should change nothing), with the change of Dice
and the share of images where it lowers Dice by more than 0.02 (harmed).
Prints one row per task and the macro mean.
Usage: python benchmarks/context_yardstick.py --eval-dir PATH [--checkpoint CKPT] [--context 4]
  [--rotate] [--context-guide] [--adapt-context] [--self-check]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
from eval_data import add_eval_dir, eval_files

from multiverseg_widget.common.overlap import dice
from multiverseg_widget.evaluation.context_forest import ContextForest
from multiverseg_widget.evaluation.geometry import deepest_point, largest_component, stray_stroke
from multiverseg_widget.evaluation.protocol import ordering
from multiverseg_widget.evaluation.tasks import load_task
from multiverseg_widget.evaluation.users import scribbles
from multiverseg_widget.model import load_model
from multiverseg_widget.model.context_check import ContextPolicy
from multiverseg_widget.model.context_guide import GUIDE_SETTINGS
from multiverseg_widget.prompts import Click, Prompts
from multiverseg_widget.train.validate import HARMED

COLUMNS = (
    "network", "forest", "guide forest", "FP removed", "dDice outside",
    "dDice stray", "stray harmed",
)  # fmt: skip


def negative_click(model, image, truth, context, pred) -> tuple[float, float] | None:
    """(share of the largest false-positive component removed, Dice change outside it) after a
    negative click at its deepest point; None when the prediction has no false positive."""
    component = largest_component(pred.mask & ~truth)
    if not component.any():
        return None
    x, y = deepest_point(component)
    after = model.predict(image, Prompts((Click(x, y, False),)), pred.logits, context)
    removed = 1.0 - (after.mask & component).sum() / component.sum()
    outside = ~component
    change = dice(after.mask & outside, truth & outside) - dice(
        pred.mask & outside, truth & outside
    )
    return float(removed), float(change)


def stray_scribble(model, image, truth, context, pred, rng) -> float | None:
    """Dice change made by a negative line scribble on background far from the structure and the
    prediction; None when there is no such background."""
    stroke = stray_stroke(truth, pred.mask, rng)
    if not stroke.any():
        return None
    after = model.predict(image, scribbles(None, stroke), pred.logits, context)
    return dice(after.mask, truth) - dice(pred.mask, truth)


def predictions(order: list[int], size: int, rotate: bool) -> list[tuple[int, list[int]]]:
    """(image, its context images) to predict: the images after the first ``size`` from those,
    or with ``rotate`` every image from the ``size`` after it (none when the task is too small)."""
    if len(order) <= size:
        return []
    if not rotate:
        return [(i, order[:size]) for i in order[size:]]
    n = len(order)
    return [(i, [order[(k + 1 + j) % n] for j in range(size)]) for k, i in enumerate(order)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, help="weights (default: the built-in ones)")
    parser.add_argument("--context", type=int, default=4, help="ground-truth context images")
    parser.add_argument("--max-images", type=int, default=10)
    parser.add_argument("--rotate", action="store_true", help="predict every image in turn")
    parser.add_argument("--context-guide", action="store_true", help="start from the guide")
    parser.add_argument("--adapt-context", action="store_true", help="fine-tune on the context")
    parser.add_argument("--self-check", action="store_true", help="the Session's context policy")
    add_eval_dir(parser)
    args = parser.parse_args()
    model = load_model(
        args.checkpoint,
        context_guide=args.context_guide,
        adapt_to_context=args.adapt_context,
        context_policy=ContextPolicy() if args.self_check else None,
    )
    forest, guide = ContextForest(), ContextForest(**GUIDE_SETTINGS)
    rows = {}
    for path in eval_files(parser, args.eval_dir):
        task = load_task(path)
        order = ordering(len(task.masks), args.max_images, 0, 0)
        scores: dict[str, list[float]] = {column: [] for column in COLUMNS}
        rng = np.random.default_rng(0)  # seeded: strokes differ only where predictions do
        for i, others in predictions(order, args.context, args.rotate):
            image, truth = task.images[i], task.masks[i]
            context = [(task.images[j], task.masks[j]) for j in others]
            net = model.predict(image, context=context)
            scores["forest"].append(dice(forest.predict(image, context=context).mask, truth))
            scores["guide forest"].append(dice(guide.predict(image, context=context).mask, truth))
            scores["network"].append(dice(net.mask, truth))
            clicked = negative_click(model, image, truth, context, net)
            if clicked is not None:
                scores["FP removed"].append(clicked[0])
                scores["dDice outside"].append(clicked[1])
            stray = stray_scribble(model, image, truth, context, net, rng)
            if stray is not None:
                scores["dDice stray"].append(stray)
                scores["stray harmed"].append(float(stray < HARMED))
        if not scores["network"]:
            print(f"{task.name}: {len(task.masks)} images, none left beside the context: skipped")
            continue
        rows[task.name] = {c: statistics.fmean(v) if v else float("nan") for c, v in scores.items()}
    print(f"{len(rows)} tasks, {args.context} ground-truth context images"
          f"{', every image in turn' if args.rotate else ''}, "
          f"weights: {args.checkpoint or 'built-in'}"
          f"{', context guide' if args.context_guide else ''}"
          f"{', adapted to the context' if args.adapt_context else ''}"
          f"{', context policy' if args.self_check else ''}")  # fmt: skip
    print(f"{'task':<28}" + "".join(f"{c:>18}" for c in COLUMNS))
    for name, row in rows.items():
        print(f"{name:<28}" + "".join(f"{row[c]:>18.3f}" for c in COLUMNS))
    mean = {c: float(np.nanmean([row[c] for row in rows.values()])) for c in COLUMNS}
    print(f"{'MEAN over tasks':<28}" + "".join(f"{mean[c]:>18.3f}" for c in COLUMNS))


if __name__ == "__main__":
    main()
