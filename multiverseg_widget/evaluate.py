"""The paper's sequential evaluation protocol: how many interactions does each new image need?

DESIGN.md puts the protocol in ``simulate.py``; it lives here instead so that each file holds one
concept: ``simulate.py`` the simulated users, this file the protocol and its bookkeeping.

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
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

from .model.predictor import Prediction
from .simulate import (
    BoxUser,
    CenterClickUser,
    HumanScribbleUser,
    Prompts,
    ScribbleUser,
    User,
)

CONTEXT_MODES = ("none", "growing", "growing-gt")
DICE_AT = (0, 1, 3, 5, 10, 20)
DICE_THRESHOLDS = (0.8, 0.85, 0.9)


class Model(Protocol):
    """What the protocol needs: the Predictor's ``predict`` (baselines implement it too)."""

    def predict(
        self,
        image: np.ndarray,
        clicks: Any = None,
        box: Any = None,
        scribbles: Any = None,
        prev_logits: np.ndarray | None = None,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> Prediction: ...


@dataclass(frozen=True, eq=False)  # eq would compare arrays elementwise
class Task:
    """One segmentation task: the same structure in related images (one npz file)."""

    name: str
    images: np.ndarray  # N x H x W (x C)
    masks: np.ndarray  # N x H x W, bool
    scribbles: np.ndarray | None = None  # N x annotators x 2 x H x W (MedScribble)
    path: str = ""


def load_task(path: str | Path) -> Task:
    """Read a task file: npz with ``images`` (N x H x W), ``masks`` and optional ``scribbles``."""
    path = Path(path)
    with np.load(path, allow_pickle=False) as data:
        missing = {"images", "masks"} - set(data.files)
        if missing:
            raise ValueError(f"{path} lacks the key(s) {sorted(missing)}; it has {data.files}")
        images, masks = data["images"], data["masks"]
        scribbles = data["scribbles"] if "scribbles" in data.files else None
    if masks.ndim != 3 or images.shape[:3] != masks.shape:
        raise ValueError(
            f"{path}: masks must be N x H x W matching images, got images {images.shape} and "
            f"masks {masks.shape}"
        )
    if scribbles is not None and (scribbles.shape[0] != len(masks) or scribbles.ndim != 5):
        raise ValueError(f"{path}: scribbles must be N x annotators x 2 x H x W")
    return Task(path.stem, images, masks > 0, scribbles, str(path))


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


def dice(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice overlap of two boolean masks; 1.0 when both are empty (nothing to find, none found)."""
    pred, gt = np.asarray(pred, dtype=bool), np.asarray(gt, dtype=bool)
    total = int(pred.sum()) + int(gt.sum())
    return 1.0 if total == 0 else 2.0 * int((pred & gt).sum()) / total


@dataclass
class ImageResult:
    """One image's interactive session within an ordering."""

    image: int  # index in the task
    context_size: int
    dice: list[float] = field(default_factory=list)  # after each interaction
    seconds: list[float] = field(default_factory=list)  # per prediction, context-only first
    context_dice: float | None = None  # the context-only prediction (step 0), with context only
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
        pred = _timed_predict(model, result, image, context=list(context))
        mask, prev_logits = pred.mask, pred.logits
        result.context_dice = dice(mask, gt)
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
        prompts.add(interaction)
        pred = _timed_predict(
            model,
            result,
            image,
            **prompts.kwargs(),
            prev_logits=prev_logits,
            context=list(context) or None,
        )
        mask, prev_logits = pred.mask, pred.logits
        result.dice.append(dice(mask, gt))
        result.reached = result.dice[-1] >= target_dice
    return result, mask


def _timed_predict(model: Model, result: ImageResult, image: np.ndarray, **kwargs) -> Prediction:
    start = time.perf_counter()
    pred = model.predict(image, **kwargs)
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
                        write_json_atomic(json_path, results)
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


def write_json_atomic(path: str | Path, data: dict[str, Any]) -> None:
    """Write JSON so that a crash leaves either the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summarize(orderings: Sequence[Sequence[ImageResult]], cap: int, target_dice: float) -> dict:
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
    results["summary"] = {mode: _mean_summary(s) for mode, s in per_mode.items()}


def _mean_summary(summaries: list[dict]) -> dict:
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
    totals = {baseline: [], ours: []}
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
