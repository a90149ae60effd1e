"""What the protocol records per image, and the figures the paper reports from those records
(per task and context mode, then averaged over tasks), with their terminal tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

DICE_AT = (0, 1, 3, 5, 10, 20)
DICE_THRESHOLDS = (0.8, 0.85, 0.9)


@dataclass
class ImageResult:
    """One image's interactive session within an ordering."""

    image: int  # index in the task
    context_size: int
    dice: list[float] = field(default_factory=list)  # after each interaction
    seconds: list[float] = field(default_factory=list)  # per prediction, context-only first
    context_dice: float | None = None  # the context-only prediction (step 0), with context only
    guess_dice: float | None = None  # the context-only guess, also where the policy withheld it
    context_estimate: float | None = None  # the context set's leave-one-out Dice, before it
    reached: bool = False

    @property
    def steps(self) -> int:
        return len(self.dice)

    def dice_after(self, k: int) -> float | None:
        """Dice after k interactions; past the last step the user stopped, so the mask stays."""
        if k == 0 or not self.dice:
            return self.context_dice
        return self.dice[min(k, len(self.dice)) - 1]

    def interactions_to(self, threshold: float, cap: int) -> int:
        """Interactions until Dice >= threshold (0 from context alone); ``cap`` if never."""
        if self.context_dice is not None and self.context_dice >= threshold:
            return 0
        return next((k for k, d in enumerate(self.dice, 1) if d >= threshold), cap)

    def to_json(self) -> dict[str, Any]:
        return {"steps": self.steps, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageResult:
        return cls(**{k: v for k, v in data.items() if k != "steps"})


def summarize(
    orderings: Sequence[Sequence[ImageResult]], cap: int, target_dice: float
) -> dict[str, Any]:
    """The figures the paper reports, from one task and context mode's orderings."""
    images = [r for o in orderings for r in o]
    if not images:
        return {}
    context = [r.context_dice for r in images if r.context_dice is not None]
    longest = max(len(o) for o in orderings)
    return {
        "mean_steps": _mean([r.interactions_to(target_dice, cap) for r in images]),
        "reached_fraction": _mean([r.reached for r in images]),
        "mean_dice_after_1": _mean_present([r.dice_after(1) for r in images]),
        "mean_context_only_dice": _mean(context) if context else None,
        "dice_after": {str(k): _mean_present([r.dice_after(k) for r in images]) for k in DICE_AT},
        "interactions_to": {
            str(t): _mean([r.interactions_to(t, cap) for r in images]) for t in DICE_THRESHOLDS
        },
        "dice_curve": [_mean_present([r.dice_after(k) for r in images]) for k in range(cap + 1)],
        "steps_by_position": [
            _mean([o[n].interactions_to(target_dice, cap) for o in orderings if len(o) > n])
            for n in range(longest)
        ],
        "total_steps": _mean(
            [sum(r.interactions_to(target_dice, cap) for r in o) for o in orderings]
        ),
        "mean_seconds_per_prediction": _mean([s for r in images for s in r.seconds]),
    }


def mean_summary(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Average task summaries key by key (lists position by position), skipping missing values."""
    out: dict[str, Any] = {"n_tasks": len(summaries)}
    for key, value in summaries[0].items():
        values = [s[key] for s in summaries]
        if isinstance(value, dict):
            out[key] = {k: _mean_present([v[k] for v in values]) for k in value}
        elif isinstance(value, list):
            longest = max(len(v) for v in values)
            out[key] = [_mean_present([v[n] for v in values if len(v) > n]) for n in range(longest)]
        else:
            out[key] = _mean_present(values)
    return out


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values))


def _mean_present(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def format_summary(results: dict[str, Any]) -> str:
    """One line per task and context mode: the main figures, for the terminal."""
    header = (
        f"{'task':<28} {'context':<11} {'steps/img':>9} {'reached':>8} {'dice@0':>7} "
        f"{'dice@1':>7} {'dice@3':>7} {'to80%':>6} {'to85%':>6} {'to90%':>6} {'s/pred':>7}"
    )
    lines = [header]
    rows = [(name, entry["modes"]) for name, entry in results["tasks"].items()]
    if len(rows) > 1:
        rows.append(("MEAN over tasks", {m: {"summary": s} for m, s in results["summary"].items()}))
    for name, modes in rows:
        for mode, entry in modes.items():
            s = entry["summary"]
            if not s:
                continue
            lines.append(
                f"{name:<28} {mode:<11} {s['mean_steps']:>9.2f} {s['reached_fraction']:>8.0%} "
                f"{_fmt(s['dice_after']['0']):>7} {_fmt(s['dice_after']['1']):>7} "
                f"{_fmt(s['dice_after']['3']):>7} {s['interactions_to']['0.8']:>6.2f} "
                f"{s['interactions_to']['0.85']:>6.2f} {s['interactions_to']['0.9']:>6.2f} "
                f"{s['mean_seconds_per_prediction']:>7.3f}"
            )
    return "\n".join(lines)


def format_comparison(
    results: dict[str, Any], baseline: str = "none", ours: str = "growing"
) -> str:
    """The paper's headline: total interactions with a growing context against none, per task."""
    lines = [
        f"{'task':<28} {'total ' + baseline:>14} {'total ' + ours:>14} {'reduction':>10}",
    ]
    totals: dict[str, list[float]] = {baseline: [], ours: []}
    for name, entry in results["tasks"].items():
        summaries = [entry["modes"].get(m, {}).get("summary") for m in (baseline, ours)]
        if not all(summaries):
            continue
        a, b = (s["total_steps"] for s in summaries)
        totals[baseline].append(a)
        totals[ours].append(b)
        lines.append(f"{name:<28} {a:>14.2f} {b:>14.2f} {_reduction(a, b):>10}")
    if len(totals[ours]) > 1:
        a, b = sum(totals[baseline]), sum(totals[ours])
        lines.append(f"{'ALL TASKS':<28} {a:>14.2f} {b:>14.2f} {_reduction(a, b):>10}")
    return "\n".join(lines)


def _reduction(before: float, after: float) -> str:
    """Relative reduction of total interactions, 1 - after / before."""
    return "n/a" if before == 0 else f"{1 - after / before:.1%}"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
