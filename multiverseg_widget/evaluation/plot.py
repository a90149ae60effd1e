"""The evaluation figure: interactions per image against its position n (the paper's main
figure), and Dice against the number of interactions, one line per context mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure  # not pyplot: picks no backend, so a notebook keeps its own
from matplotlib.ticker import MaxNLocator

MODE_STYLES = {
    "none": {"color": "tab:gray", "marker": "o", "label": "no context (interactive only)"},
    "growing": {"color": "tab:blue", "marker": "s", "label": "growing context"},
    "growing-gt": {"color": "tab:green", "marker": "^", "label": "growing context, true masks"},
}


def plot_results(results: dict[str, Any], path: str | Path) -> None:
    """Write the two-panel figure for the results of ``protocol.run_evaluation`` to ``path``
    (its suffix, png, pdf or svg, chooses the format)."""
    settings = results["settings"]
    fig = Figure(figsize=(11, 4.2))  # drawn by the Agg canvas: works without a display
    left, right = fig.subplots(1, 2)
    for mode, summary in results["summary"].items():
        style = MODE_STYLES.get(mode, {"label": mode})
        steps = summary["steps_by_position"]
        left.plot(range(1, len(steps) + 1), steps, **style)
        curve = [(k, d) for k, d in enumerate(summary["dice_curve"]) if d is not None]
        right.plot(*zip(*curve), **style)
    target = settings["target_dice"]
    left.set(
        xlabel="image n in the sequence",
        ylabel=f"interactions to {target:.0%} Dice",
        title=f"{settings['protocol']}: interactions per image",
    )
    right.axhline(target, color="black", linestyle=":", linewidth=1)
    right.set(
        xlabel="interactions (0 = context only)",
        ylabel="Dice",
        ylim=(0, 1),
        title="Dice against interactions",
    )
    for axis in (left, right):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    n_tasks = len(results["tasks"])
    model = Path(settings["checkpoint"]).name if settings["checkpoint"] else settings["model"]
    fig.suptitle(
        f"model {model}, {n_tasks} task{'s' * (n_tasks != 1)}, mean over orderings", fontsize=10
    )
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
