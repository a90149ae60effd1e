"""The paper's sequential evaluation protocol: how many interactions does each new image need?

The simulated users are in ``users.py``, the tasks in ``tasks.py``, the per-image records and
their summaries in ``results.py``; this file runs the protocol and keeps its JSON.

For each task, several seeded orderings of its images are segmented one after another. Image n
gets a context of the n-1 finished images: with the masks the simulated user accepted
(``growing``), with their ground truth (``growing-gt``), or no context (``none``). With context,
the context-only prediction comes first (step 0: no interaction, and none needed if it already
reaches the target). Then the user interacts, every prediction fed the previous logits, until
Dice reaches the target or the protocol's step cap. A click or scribble user looking at a
context-only prediction corrects its largest error straight away, as a person would (and as the
model is trained); with no prediction yet it starts from the ground truth. A box user always
draws the box first, and human scribbles replay in their recorded order. The same seed
gives the same orderings and the same user randomness in every context mode, so the modes are
paired.

Results are a JSON-able dict, written atomically after every finished ordering so that a run
can be interrupted and resumed::

    {"settings": {...},
     "tasks": {name: {"path", "n_images",
                      "modes": {mode: {"orderings": [{"ordering", "order",
                                                      "images": [ImageResult.to_json()]}],
                                       "summary": {...}}}}},
     "summary": {mode: {...}}}      # the mean over tasks of each task's summary

A summary holds ``mean_steps`` (interactions to the target per image, the cap where it was not
reached), ``reached_fraction``, ``mean_dice_after_1``, ``mean_context_only_dice``,
``dice_after`` (k = 0, 1, 3, 5, 10, 20), ``interactions_to`` (80, 85, 90 % Dice), ``dice_curve``
(mean Dice after k = 0..cap interactions), ``steps_by_position`` (interactions for image n,
averaged over orderings), ``total_steps`` (per ordering, averaged) and
``mean_seconds_per_prediction``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from ..common.atomic import atomic_write_json
from .results import ImageResult, mean_summary, summarize
from .sequential import (
    CONTEXT_MODES,
    PROTOCOLS,
    Model,
    ProtocolSpec,
    ordering,
    run_image,
    run_ordering,
)
from .tasks import Task

# the inner loops live in sequential.py; their names are importable from here as before
__all__ = [
    "CONTEXT_MODES",
    "PROTOCOLS",
    "Model",
    "ProtocolSpec",
    "Settings",
    "load_results",
    "ordering",
    "run_evaluation",
    "run_image",
    "run_ordering",
]


@dataclass(frozen=True)
class Settings:
    """What makes two runs comparable; a resumed run must match the JSON's settings exactly.

    The number of orderings, the context modes and the tasks are not settings: a resumed run may
    add more of them.
    """

    protocol: str
    target_dice: float = 0.9
    max_images: int = 20
    seed: int = 0
    model: str = "default"
    checkpoint: str | None = None
    context_guide: bool = False  # the network's context-only predictions start from the guide
    adapt_context: bool = False  # the network is fine-tuned on each context set first
    # the context policy's thresholds (ContextPolicy fields: context_check.py), None without one
    context_policy: dict[str, float] | None = None

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {sorted(PROTOCOLS)}, got {self.protocol!r}")

    @property
    def spec(self) -> ProtocolSpec:
        return PROTOCOLS[self.protocol]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "max_steps": self.spec.max_steps}


def run_evaluation(
    model: Model,
    tasks: Sequence[Task],
    settings: Settings,
    modes: Sequence[str],
    orderings: int,
    json_path: str | Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run (or resume from ``json_path``) the protocol for every task and context mode.

    Args:
        model: the Predictor, or a baseline with its ``predict``.
        tasks: the tasks (``tasks.load_task``).
        settings: what makes runs comparable; a resumed run must match them.
        modes: context modes among ``CONTEXT_MODES``.
        orderings: seeded orderings per task and mode (those in ``json_path`` are kept).
        json_path: the results file, written after every ordering; None keeps them in memory.
        progress: show a progress bar per task and mode.

    Returns:
        The results: the JSON-able dict this module's docstring lays out.
    """
    unknown = [m for m in modes if m not in CONTEXT_MODES]
    if unknown:
        raise ValueError(f"context modes must be among {CONTEXT_MODES}, got {unknown}")
    results = load_results(json_path, settings)
    for task in tasks:
        task_entry = results["tasks"].setdefault(
            task.name, {"path": task.path, "n_images": len(task.masks), "modes": {}}
        )
        if task_entry["n_images"] != len(task.masks):
            raise ValueError(
                f"{json_path} holds task {task.name} with {task_entry['n_images']} images, the "
                f"file now has {len(task.masks)}: use another --json path"
            )
        for mode in modes:
            mode_entry = task_entry["modes"].setdefault(mode, {"orderings": []})
            done = {o["ordering"] for o in mode_entry["orderings"]}
            todo = [k for k in range(orderings) if k not in done]
            n = min(settings.max_images, len(task.masks))
            with tqdm(total=len(todo) * n, desc=f"{task.name} {mode}", disable=not progress) as bar:
                for k in todo:
                    order = ordering(len(task.masks), settings.max_images, settings.seed, k)
                    images = run_ordering(
                        model, task, order, settings.spec, mode, settings.target_dice,
                        settings.seed, k, on_image=lambda: bar.update(1),
                    )  # fmt: skip
                    mode_entry["orderings"].append(
                        {"ordering": k, "order": order, "images": [r.to_json() for r in images]}
                    )
                    mode_entry["orderings"].sort(key=lambda o: o["ordering"])
                    _update_summaries(results, settings)
                    if json_path is not None:
                        atomic_write_json(json_path, results)
    _update_summaries(results, settings)
    return results


def load_results(json_path: str | Path | None, settings: Settings) -> dict[str, Any]:
    """The results so far in ``json_path`` (to resume), or a fresh skeleton; a file written with
    other settings is an error rather than silently mixed or overwritten."""
    fresh = {"settings": settings.to_json(), "tasks": {}, "summary": {}}
    if json_path is None or not Path(json_path).is_file():
        return fresh
    with open(json_path) as f:
        results: dict[str, Any] = json.load(f)
    saved = results.get("settings", {})
    differ = sorted(k for k in fresh["settings"] if saved.get(k) != fresh["settings"][k])
    if differ:
        details = ", ".join(
            f"{k}: {saved.get(k)!r} there, {fresh['settings'][k]!r} now" for k in differ
        )
        raise ValueError(
            f"{json_path} was written with other settings ({details}); pass another --json path "
            "or delete the file to start over"
        )
    return results


def _update_summaries(results: dict[str, Any], settings: Settings) -> None:
    """Recompute every task's and every mode's summary from the stored per-image records."""
    cap, target = settings.spec.max_steps, settings.target_dice
    per_mode: dict[str, list[dict[str, Any]]] = {}
    for task_entry in results["tasks"].values():
        for mode, mode_entry in task_entry["modes"].items():
            orderings = [
                [ImageResult.from_json(r) for r in o["images"]] for o in mode_entry["orderings"]
            ]
            mode_entry["summary"] = summarize(orderings, cap, target)
            if mode_entry["summary"]:
                per_mode.setdefault(mode, []).append(mode_entry["summary"])
    results["summary"] = {mode: mean_summary(s) for mode, s in per_mode.items()}
