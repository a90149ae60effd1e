"""How well the context set's own estimate (leave-one-out Dice over its items, ``Predictor.
context_estimate``) predicts the context-only Dice of the image that comes next.

Reads `multiverseg-widget evaluate` results (JSON) with the growing context: each image with 2
or more context images recorded the estimate before it and the Dice of the context-only guess
(``guess_dice``, also where the policy withheld it). Prints, per task and pooled over tasks:
the images, the correlation (Pearson), the mean error (estimate minus true) and the mean
absolute error.

    python benchmarks/context_estimate_agreement.py results.json [more.json ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def pairs(results: dict) -> dict[str, list[tuple[float, float]]]:
    """Per task: (estimate, true context-only Dice) of every image that has both."""
    found: dict[str, list[tuple[float, float]]] = {}
    for task, entry in results["tasks"].items():
        for ordering in entry["modes"].get("growing", {}).get("orderings", []):
            for image in ordering["images"]:
                if (
                    image.get("context_estimate") is not None
                    and image.get("guess_dice") is not None
                ):
                    found.setdefault(task, []).append(
                        (image["context_estimate"], image["guess_dice"])
                    )
    return found


def agreement(points: list[tuple[float, float]]) -> str:
    estimate, true = np.array(points).T
    r = np.corrcoef(estimate, true)[0, 1] if estimate.std() > 0 and true.std() > 0 else float("nan")
    error = estimate - true
    return (
        f"{len(points):>7} {r:>7.2f} {error.mean():>+11.3f} {np.abs(error).mean():>10.3f} "
        f"{estimate.mean():>9.3f} {true.mean():>6.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, nargs="+", help="evaluate --json files")
    args = parser.parse_args()
    columns = ("images", 7), ("r", 7), ("mean error", 11), ("mean |err|", 10), ("estimate", 9)
    print(f"{'task':28} " + " ".join(f"{name:>{width}}" for name, width in columns) + "   true")
    pooled = []
    for path in args.results:
        for task, points in pairs(json.loads(path.read_text())).items():
            pooled += points
            print(f"{task:28} {agreement(points)}")
    print(f"{'all tasks':28} {agreement(pooled)}")


if __name__ == "__main__":
    main()
