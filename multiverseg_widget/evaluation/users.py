"""Simulated users: the clicks, boxes and scribbles a person would give, computed from the truth.

Why: the paper's evaluation protocol (``protocol.py``) and the training loop (``train/``) both
need many realistic interactions without a person. One class per kind, all with
``first(gt, rng) -> Prompts`` and ``correct(gt, pred_mask, rng) -> Prompts | None`` (None: the
user has nothing more to give); what they give adds to the image's ``Prompts``. The geometry
they use is in ``geometry.py``. Coordinates follow the prompt vocabulary: (x, y) pixels, boxes
end exclusive.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..prompts import Box, Click, Prompts, Stroke
from .geometry import (
    BAND_WIDTH,
    ScribbleShape,
    background_band,
    centerline_scribble,
    contour_scribble,
    deepest_point,
    error_regions,
    largest_component,
    largest_error,
    line_scribble,
    random_pixel,
    tight_box,
)


def scribbles(positive: np.ndarray | None, negative: np.ndarray | None) -> Prompts:
    """Scribble masks as strokes (their pixels as dots); empty or absent masks give nothing."""
    strokes = [
        Stroke.from_mask(mask, sign)
        for mask, sign in ((positive, True), (negative, False))
        if mask is not None
    ]
    return Prompts(tuple(s for s in strokes if s is not None))


class User(Protocol):
    """A simulated user: a first interaction from the ground truth, then corrections."""

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Prompts: ...

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Prompts | None: ...


class CenterClickUser:
    """The paper's click user: always the middle of the biggest problem.

    First a positive click at the deepest point of the largest ground-truth component (a negative
    one in the deepest background when there is no structure); then one click at the deepest point
    of the largest error component, positive in a missed region, negative in a false one.
    """

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Prompts:
        gt = np.asarray(gt, dtype=bool)
        target, positive = (gt, True) if gt.any() else (~gt, False)
        x, y = deepest_point(largest_component(target))
        return Prompts((Click(x, y, positive),))

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Prompts | None:
        error = largest_error(gt, pred_mask)
        if error is None:
            return None
        region, positive = error
        x, y = deepest_point(region)
        return Prompts((Click(x, y, positive),))


class RandomClickUser:
    """Clicks uniformly at random: first in the ground truth, then in the whole error region
    (positive where the structure was missed, negative where background was taken)."""

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Prompts:
        gt = np.asarray(gt, dtype=bool)
        positive = bool(gt.any())
        x, y = random_pixel(gt if positive else ~gt, rng)
        return Prompts((Click(x, y, positive),))

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Prompts | None:
        missed, false = error_regions(gt, pred_mask)
        errors = missed | false
        if not errors.any():
            return None
        x, y = random_pixel(errors, rng)
        return Prompts((Click(x, y, bool(missed[y, x])),))


SCRIBBLE_SHAPES: dict[str, ScribbleShape] = {
    "centerline": centerline_scribble,
    "line": line_scribble,
    "contour": contour_scribble,
}


class ScribbleUser:
    """The paper's scribble user (``shape="centerline"``), or line / contour strokes.

    First one positive scribble on the structure and one negative scribble in a background band
    around it; then one scribble per step in the false-negative or the false-positive region,
    picked with probability proportional to its area. Each scribble is capped at
    ``scribble_pixel_cap``; ``Prompts`` accumulates them.
    """

    def __init__(self, shape: str = "centerline") -> None:
        if shape not in SCRIBBLE_SHAPES:
            raise ValueError(f"shape must be one of {sorted(SCRIBBLE_SHAPES)}, got {shape!r}")
        self.shape = shape
        self.draw = SCRIBBLE_SHAPES[shape]

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Prompts:
        gt = np.asarray(gt, dtype=bool)
        positive = self.draw(gt, rng) if gt.any() else None
        width = rng.uniform(*BAND_WIDTH) * max(gt.shape)
        negative = self.draw(background_band(gt, max(width, 2.0)), rng)
        return scribbles(positive, negative)

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Prompts | None:
        missed, false = error_regions(gt, pred_mask)
        n_missed, n_false = int(missed.sum()), int(false.sum())
        if n_missed + n_false == 0:
            return None
        if rng.uniform() < n_missed / (n_missed + n_false):
            return scribbles(self.draw(missed, rng), None)
        return scribbles(None, self.draw(false, rng))


class BoxUser:
    """A tight box around the structure (each side optionally jittered outward by up to
    ``jitter`` of the box's extent), then center-click corrections."""

    def __init__(self, jitter: float = 0.0) -> None:
        self.jitter = jitter
        self.clicks = CenterClickUser()

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Prompts:
        gt = np.asarray(gt, dtype=bool)
        if not gt.any():
            return self.clicks.first(gt, rng)
        return Prompts((Box(*tight_box(gt, rng, self.jitter)),))

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Prompts | None:
        return self.clicks.correct(gt, pred_mask, rng)


class HumanScribbleUser:
    """Replays real scribbles (MedScribble's ``scribbles`` of one image: annotators x 2 (positive,
    negative) x H x W), one annotator per step, in order; it runs out after the last annotator.

    It ignores the prediction, as the recorded annotators did not see ours. One user per image:
    ``first`` restarts the replay.
    """

    def __init__(self, scribbles: np.ndarray) -> None:
        scribbles = np.asarray(scribbles)
        if scribbles.ndim != 4 or scribbles.shape[1] != 2 or len(scribbles) == 0:
            raise ValueError(
                f"scribbles must be annotators x 2 (positive, negative) x H x W, "
                f"got shape {scribbles.shape}"
            )
        self.scribbles = scribbles > 0
        self.next_annotator = 0

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Prompts:
        self.next_annotator = 0
        interaction = self._replay(gt)
        assert interaction is not None  # the constructor checked there is an annotator
        return interaction

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Prompts | None:
        return self._replay(gt)

    def _replay(self, gt: np.ndarray) -> Prompts | None:
        if self.next_annotator >= len(self.scribbles):
            return None
        positive, negative = self.scribbles[self.next_annotator]
        if positive.shape != np.shape(gt):
            raise ValueError(f"scribbles are {positive.shape}, the image is {np.shape(gt)}")
        self.next_annotator += 1
        return scribbles(positive, negative)
