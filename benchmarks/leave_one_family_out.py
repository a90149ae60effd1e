"""Choose a default that changes predictions on data it was not tuned on: leave one task family
out.

Reads `multiverseg-widget evaluate` results (JSON), one file per candidate setting, each with
the growing context, and one with no context (the shared baseline: without a context set the
settings predict alike). For every family, the setting is chosen on the other families (the
largest mean reduction of interactions against no context) and reported on the family left
out; the table gives every setting's figure beside it, the mean over families and the worst.

    python benchmarks/leave_one_family_out.py --none plain.json \\
        --setting plain=plain.json --setting adapted=adapted.json \\
        --family wbc1=wbc1_cell,wbc1_cytoplasm,wbc1_nucleus
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from statistics import mean
from typing import Any

from multiverseg_widget.evaluation.results import ImageResult


def interactions(results: dict[str, Any], task: str, mode: str) -> tuple[int, float]:
    """Total interactions of ``task`` in context ``mode`` over its orderings, and the mean Dice
    after the first interaction (what the user sees after one click)."""
    orderings = results["tasks"][task]["modes"][mode]["orderings"]
    images = [ImageResult.from_json(image) for o in orderings for image in o["images"]]
    first = [image.dice_after(1) for image in images]
    return sum(image.steps for image in images), mean(d for d in first if d is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--none", type=Path, required=True, help="results with context none")
    parser.add_argument(
        "--setting", action="append", required=True, metavar="NAME=FILE",
        help="a candidate's results with the growing context (repeat for each)",
    )  # fmt: skip
    parser.add_argument(
        "--family", action="append", default=[], metavar="NAME=TASK,TASK",
        help="tasks that form one family (default: each task is its own)",
    )  # fmt: skip
    args = parser.parse_args()
    baseline = json.loads(args.none.read_text())
    settings = {}
    for entry in args.setting:
        name, _, file = entry.partition("=")
        settings[name] = json.loads(Path(file).read_text())
    tasks = sorted(set.intersection(*(set(r["tasks"]) for r in (baseline, *settings.values()))))
    family_of = {task: task for task in tasks}
    for entry in args.family:
        name, _, members = entry.partition("=")
        family_of.update({task: name for task in members.split(",")})
    families: dict[str, list[str]] = {}
    for task in tasks:
        families.setdefault(family_of[task], []).append(task)

    # reduction of interactions by each setting, per family (mean over its tasks)
    reduction: dict[str, dict[str, float]] = {name: {} for name in settings}
    first_dice: dict[str, dict[str, float]] = {name: {} for name in settings}
    for family, members in families.items():
        for name, results in settings.items():
            cuts, dices = [], []
            for task in members:
                none_total, none_first = interactions(baseline, task, "none")
                total, first = interactions(results, task, "growing")
                cuts.append(1 - total / none_total)
                dices.append(first - none_first)
            reduction[name][family] = mean(cuts)
            first_dice[name][family] = mean(dices)

    names = list(settings)
    header = f"{'family left out':24} {'chosen':>10} {'its cut':>8} " + " ".join(
        f"{n + ' cut':>14} {n + ' dDice@1':>16}" for n in names
    )
    print(header)
    chosen_cuts = []
    for family in families:
        others = [f for f in families if f != family]
        chosen = max(names, key=lambda n: mean(reduction[n][f] for f in others))
        chosen_cuts.append((reduction[chosen][family], family))
        row = " ".join(
            f"{reduction[n][family]:>14.1%} {first_dice[n][family]:>+16.3f}" for n in names
        )
        print(f"{family:24} {chosen:>10} {reduction[chosen][family]:>8.1%} {row}")
    worst, worst_family = min(chosen_cuts)
    print(
        f"\nleft-out families, the setting chosen without each: mean reduction "
        f"{mean(c for c, _ in chosen_cuts):.1%}, worst {worst:.1%} ({worst_family})"
    )
    for n in names:
        cuts = list(reduction[n].values())
        print(f"{n} everywhere: mean reduction {mean(cuts):.1%}, worst {min(cuts):.1%}")


if __name__ == "__main__":
    main()
