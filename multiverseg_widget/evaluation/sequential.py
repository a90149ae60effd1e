"""The protocol's inner loops (``protocol.py`` describes the protocol): one image segmented by a
simulated user until Dice reaches the target (``run_image``), and one seeded ordering of a
task's images segmented one after another, the context growing as the mode says
(``run_ordering``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..common.overlap import dice
from ..model.prediction import Prediction
from ..model.predictor import Predictor
from ..prompts import Prompts
from .results import ImageResult
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
    summary: str  # what the user does, for ``evaluate --help``
    corrects_context: bool = True  # the first interaction corrects a context-only prediction


def _human_user(task: Task, index: int) -> User:
    if task.scribbles is None:
        raise ValueError(f"task {task.name} has no 'scribbles': human-scribbles needs MedScribble")
    return HumanScribbleUser(task.scribbles[index])


PROTOCOLS = {
    spec.name: spec
    for spec in (
        ProtocolSpec(
            "clicks",
            20,
            lambda task, i: CenterClickUser(),
            "a click at the middle of the biggest error",
        ),
        ProtocolSpec(
            "scribbles",
            10,
            lambda task, i: ScribbleUser("centerline"),
            "a centerline scribble in the biggest error",
        ),
        ProtocolSpec(
            "box",
            20,
            lambda task, i: BoxUser(),
            "a box around the structure, then clicks",
            corrects_context=False,
        ),
        # MedScribble has three annotators per image: the replay cannot go further
        ProtocolSpec(
            "human-scribbles",
            3,
            _human_user,
            "the task's recorded scribbles, one annotator per step",
            corrects_context=False,
        ),
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
    """Segment one image as the protocol's user would: the context-only prediction first (with
    context), then the user's interactions until Dice reaches ``target_dice`` or ``max_steps``.

    Args:
        model: the Predictor, or a baseline with its ``predict``.
        image: H x W (x C) image.
        gt: H x W ground-truth mask (nonzero is the structure).
        index: the image's index in its task, for the record.
        user: the simulated user (``users.py``).
        rng: the user's randomness.
        context: (H' x W' image, H' x W' mask) pairs already segmented.
        target_dice: the Dice at which the user stops.
        max_steps: the most interactions.
        corrects_context: the first interaction corrects the context-only prediction (else
            the user starts afresh, as with a box).

    Returns:
        (the image's record, the final H x W bool mask: the one the user accepts).
    """
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
        interaction: Prompts | None
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
    on_image: Callable[[], object] | None = None,
) -> list[ImageResult]:
    """Segment the task's images in ``order``, growing the context as ``mode`` says.

    Args:
        model: the Predictor, or a baseline with its ``predict``.
        task: the task's images and ground truth.
        order: indices into the task's images (``ordering``).
        protocol: the kind of simulated user and its step cap (``PROTOCOLS``).
        mode: a context mode of ``CONTEXT_MODES``.
        target_dice: the Dice at which the user stops on each image.
        seed, k: the run's seed and the ordering's number: the users' randomness.
        on_image: called after each image (a progress bar); its result is ignored.

    Returns:
        One record per image, in ``order``.
    """
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
