"""Choose a default that changes predictions on data it was not tuned on: leave one task family
out.

Reads `multiverseg-widget evaluate` results (JSON). ``--none``: results with no context (the
shared baseline: without a context set the settings predict alike). ``--setting``: a candidate's
results with the growing context (of accepted masks, else of ground truth). ``--policies
PLAIN,ADAPTED``: candidates replayed from two growing-context runs that recorded the context
set's estimate (every run of the built-in network does): for thresholds ``trust`` and ``adapt``
of ``ContextPolicy``, each image takes the record of no context where the estimate before it is
below ``trust``, of the adapted run where it is at least ``adapt``, else of the plain run (a
replay: the context sets that follow are those of the runs, not of the policy; check the chosen
one with a real run).

For every family, the candidate is chosen on the other families, and reported on the family
left out: among the candidates that need no more interactions than no context on every other
family, the one with the largest mean reduction (without one, the one whose worst family does
best; ties within half a percentage point go to the best change of Dice after the first
interaction, and ties there to the most cautious policy, the highest ``trust`` then ``adapt``).
The table gives the mean over families and the worst.

    python benchmarks/leave_one_family_out.py --none plain.json \\
        --setting plain=plain.json --setting adapted=adapted.json \\
        --policies plain.json,adapted.json --family wbc1=wbc1_cell,wbc1_cytoplasm,wbc1_nucleus
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from statistics import mean
from typing import Any

from multiverseg_widget.evaluation.results import ImageResult

TRUST = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
ADAPT = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)  # 1.01: never adapt
TIE = 0.005  # mean reductions (or Dice changes) closer than this are a tie

Run = dict[str, list[list[ImageResult]]]  # task -> orderings -> images in order


def records(results: dict[str, Any], mode: str) -> Run:
    """Every task's image records in context ``mode``, ordering by ordering."""
    return {
        task: [
            [ImageResult.from_json(r) for r in o["images"]]
            for o in entry["modes"][mode]["orderings"]
        ]
        for task, entry in results["tasks"].items()
        if mode in entry["modes"]
    }


def replay(none: Run, plain: Run, adapted: Run, trust: float, adapt: float) -> Run:
    """The records a ``ContextPolicy(trust, adapt)`` would pick, image by image."""
    run: Run = {}
    for task in plain:
        run[task] = []
        for k, ordering in enumerate(plain[task]):
            picked = []
            for n, image in enumerate(ordering):
                estimate = image.context_estimate
                if estimate is not None and estimate < trust:
                    picked.append(none[task][k][n])
                elif estimate is not None and estimate >= adapt:
                    picked.append(adapted[task][k][n])
                else:
                    picked.append(image)
            run[task].append(picked)
    return run


def family_figures(
    none: Run, run: Run, families: dict[str, list[str]]
) -> dict[str, tuple[float, float]]:
    """Per family: the mean over its tasks of the reduction of interactions against no context,
    and of the change of Dice after the first interaction."""
    figures = {}
    for family, members in families.items():
        cuts, dices = [], []
        for task in members:
            base = [image for o in none[task] for image in o]
            mine = [image for o in run[task] for image in o]
            cuts.append(1 - sum(i.steps for i in mine) / sum(i.steps for i in base))
            dices.append(_first_dice(mine) - _first_dice(base))
        figures[family] = (mean(cuts), mean(dices))
    return figures


def _first_dice(images: list[ImageResult]) -> float:
    return mean(d for d in (image.dice_after(1) for image in images) if d is not None)


def choose(candidates: dict[str, dict[str, tuple[float, float]]], families: list[str]) -> str:
    """The candidate for ``families``: no family worse than no context, then the best mean
    reduction; among those within TIE of the best, the best mean change of Dice after the first
    interaction (what the user sees: on tasks that no candidate brings to the target in the
    allowed interactions, the reduction cannot tell them apart); among those within TIE of
    that, the most cautious (``caution``): the one that trusts and adapts to fewer sets."""

    def worst(name: str) -> float:
        return min(candidates[name][f][0] for f in families)

    def score(name: str, figure: int) -> float:
        return mean(candidates[name][f][figure] for f in families)

    harmless = [name for name in candidates if worst(name) >= 0]
    if not harmless:
        return max(candidates, key=worst)
    for figure in (0, 1):
        best = max(score(name, figure) for name in harmless)
        harmless = [name for name in harmless if score(name, figure) >= best - TIE]
    return max(harmless, key=caution)


def caution(name: str) -> tuple[float, float]:
    """(trust, adapt) of a replayed policy; a run given by --setting counts as least cautious."""
    if not name.startswith("trust="):
        return (-1.0, -1.0)
    trust, adapt = (float(part.split("=")[1]) for part in name.split(","))
    return (trust, adapt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--none", type=Path, required=True, help="results with context none")
    parser.add_argument(
        "--setting", action="append", default=[], metavar="NAME=FILE",
        help="a candidate's results with the growing context (repeat for each)",
    )  # fmt: skip
    parser.add_argument(
        "--policies", metavar="PLAIN,ADAPTED",
        help="replay ContextPolicy thresholds from a plain and an adapted growing run",
    )  # fmt: skip
    parser.add_argument(
        "--family", action="append", default=[], metavar="NAME=TASK,TASK",
        help="tasks that form one family (default: each task is its own)",
    )  # fmt: skip
    args = parser.parse_args()
    none = records(json.loads(args.none.read_text()), "none")
    runs = {}
    for entry in args.setting:
        name, _, file = entry.partition("=")
        results = json.loads(Path(file).read_text())
        runs[name] = records(results, "growing") or records(results, "growing-gt")
    if args.policies:
        plain_file, adapted_file = args.policies.split(",")
        plain = records(json.loads(Path(plain_file).read_text()), "growing")
        adapted = records(json.loads(Path(adapted_file).read_text()), "growing")
        for trust in TRUST:
            for adapt in (a for a in ADAPT if a >= trust):
                runs[f"trust={trust:g},adapt={adapt:g}"] = replay(
                    none, plain, adapted, trust, adapt
                )
    tasks = sorted(set(none).intersection(*runs.values()))
    family_of = {task: task for task in tasks}
    for entry in args.family:
        name, _, members = entry.partition("=")
        family_of.update({task: name for task in members.split(",")})
    families: dict[str, list[str]] = {}
    for task in tasks:
        families.setdefault(family_of[task], []).append(task)
    figures = {name: family_figures(none, run, families) for name, run in runs.items()}

    print(f"{'family left out':22} {'chosen without it':>28} {'cut':>7} {'dDice@1':>8}")
    chosen_cuts = []
    for family in families:
        chosen = choose(figures, [f for f in families if f != family])
        cut, first = figures[chosen][family]
        chosen_cuts.append((cut, family))
        print(f"{family:22} {chosen:>28} {cut:>7.1%} {first:>+8.3f}")
    worst, worst_family = min(chosen_cuts)
    print(
        f"\nleft-out families, the candidate chosen without each: mean reduction "
        f"{mean(c for c, _ in chosen_cuts):.1%}, worst {worst:.1%} ({worst_family})"
    )
    chosen_on_all = choose(figures, list(families))
    print(f"chosen on every family: {chosen_on_all}\n")
    print(f"{'candidate on every family':28} " + " ".join(f"{f[:12]:>12}" for f in families))
    for name, by_family in figures.items():
        cuts = [by_family[f][0] for f in families]
        row = " ".join(f"{c:>12.1%}" for c in cuts)
        print(f"{name:28} {row}  mean {mean(cuts):.1%}, worst {min(cuts):.1%}")


if __name__ == "__main__":
    main()
