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
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

from ..common.atomic import atomic_write_json
from ..common.overlap import dice
from ..model.prediction import Prediction
from ..model.predictor import Predictor
from ..prompts import Prompts
from .results import ImageResult, mean_summary, summarize
from .tasks import Task
from .users import (
    BoxUser,
    CenterClickUser,
    HumanScribbleUser,
    ScribbleUser,
    User,
)

CONTEXT_MODES = ("none", "growing", "growing-gt")


class Model(Protocol):
    """What the protocol needs: the Predictor's ``predict`` (baselines implement it too)."""

    def predict(
        self,
        image: np.ndarray,
        prompts: Prompts | None = None,
        prev_logits: np.ndarray | None = None,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> Prediction: ...


@dataclass(frozen=True)
class ProtocolSpec:
    """A kind of simulated user and its step cap."""

    name: str
    max_steps: int
    make_user: Callable[[Task, int], User]  # (task, image index) -> a fresh user
    corrects_context: bool = True  # the first interaction corrects a context-only prediction


def _human_user(task: Task, index: int) -> User:
    if task.scribbles is None:
        raise ValueError(f"task {task.name} has no 'scribbles': human-scribbles needs MedScribble")
    return HumanScribbleUser(task.scribbles[index])


PROTOCOLS = {
    spec.name: spec
    for spec in (
        ProtocolSpec("clicks", 20, lambda task, i: CenterClickUser()),
        ProtocolSpec("scribbles", 10, lambda task, i: ScribbleUser("centerline")),
        ProtocolSpec("box", 20, lambda task, i: BoxUser(), corrects_context=False),
        # MedScribble has three annotators per image: the replay cannot go further
        ProtocolSpec("human-scribbles", 3, _human_user, corrects_context=False),
    )
}


def run_image(
    model: Model,
    image: np.ndarray,
    gt: np.ndarray,
    index: int,
    user: User,
    rng: np.random.Generator,
    context: Sequence[tuple[np.ndarray, np.ndarray]],
    target_dice: float,
    max_steps: int,
    corrects_context: bool = True,
) -> tuple[ImageResult, np.ndarray]:
    """Segment one image (``index`` in its task, for the record) as the protocol's user would;
    return its record and the final mask, the one the user accepts."""
    gt = np.asarray(gt, dtype=bool)
    result = ImageResult(image=int(index), context_size=len(context))
    mask, prev_logits = np.zeros_like(gt), None
    if context:
        if isinstance(model, Predictor):  # before the prediction, which may use it
            estimate = model.context_estimate(list(context))
            result.context_estimate = None if estimate is None else estimate.dice
        pred = _timed_predict(model, result, image, context=list(context))
        mask, prev_logits = pred.mask, pred.logits
        result.context_dice = dice(mask, gt)
        result.guess_dice = dice((pred.withheld or pred).mask, gt)
        result.reached = result.context_dice >= target_dice
    prompts = Prompts()
    correcting = bool(context) and corrects_context
    while not result.reached and result.steps < max_steps:
        if result.steps == 0 and not correcting:
            interaction = user.first(gt, rng)
        else:
            interaction = user.correct(gt, mask, rng)
        if interaction is None:
            break
        prompts = prompts + interaction
        pred = _timed_predict(
            model,
            result,
            image,
            prompts,
            prev_logits=prev_logits,
            context=list(context) or None,
        )
        mask, prev_logits = pred.mask, pred.logits
        result.dice.append(dice(mask, gt))
        result.reached = result.dice[-1] >= target_dice
    return result, mask


def _timed_predict(
    model: Model, result: ImageResult, image: np.ndarray, *args: Any, **kwargs: Any
) -> Prediction:
    start = time.perf_counter()
    pred = model.predict(image, *args, **kwargs)
    result.seconds.append(time.perf_counter() - start)
    return pred


def ordering(n_images: int, max_images: int, seed: int, k: int) -> list[int]:
    """The k-th seeded ordering: a random permutation of the task's images, first max_images."""
    return [int(i) for i in np.random.default_rng([seed, k]).permutation(n_images)[:max_images]]


def run_ordering(
    model: Model,
    task: Task,
    order: Sequence[int],
    protocol: ProtocolSpec,
    mode: str,
    target_dice: float,
    seed: int,
    k: int,
    on_image: Callable[[], None] | None = None,
) -> list[ImageResult]:
    """Segment the task's images in ``order``, growing the context as ``mode`` says."""
    if mode not in CONTEXT_MODES:
        raise ValueError(f"context mode must be one of {CONTEXT_MODES}, got {mode!r}")
    context: list[tuple[np.ndarray, np.ndarray]] = []
    results = []
    for position, index in enumerate(order):
        rng = np.random.default_rng([seed, k, position])
        user = protocol.make_user(task, index)
        gt = task.masks[index]
        result, accepted = run_image(
            model,
            task.images[index],
            gt,
            index,
            user,
            rng,
            context if mode != "none" else [],
            target_dice,
            protocol.max_steps,
            protocol.corrects_context,
        )
        results.append(result)
        context.append((task.images[index], gt if mode == "growing-gt" else accepted))
        if on_image is not None:
            on_image()
    return results


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
    """Run (or resume from ``json_path``) the protocol for every task and context mode."""
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
        results = json.load(f)
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
    per_mode: dict[str, list[dict]] = {}
    for task_entry in results["tasks"].values():
        for mode, mode_entry in task_entry["modes"].items():
            orderings = [
                [ImageResult.from_json(r) for r in o["images"]] for o in mode_entry["orderings"]
            ]
            mode_entry["summary"] = summarize(orderings, cap, target)
            if mode_entry["summary"]:
                per_mode.setdefault(mode, []).append(mode_entry["summary"])
    results["summary"] = {mode: mean_summary(s) for mode, s in per_mode.items()}
