"""Classical interactive segmenters to compare against, with the Predictor's ``predict`` signature.

Why: a figure of "interactions to 90 % Dice" means little without a floor. The protocol in
``protocol.py`` takes any object with ``predict(image, prompts, prev_logits=, context=)``, so
these need no special case there. Both ignore the context set and the previous
logits: they are interactive-only by nature.

- ``RandomWalkerModel``: skimage's random walker at 128 x 128, seeded by the clicks (positive and
  negative) and the scribbles; the outside of the box, or without a box the image border, is
  background; with a box but no positive seed the box centre is foreground.
- ``DiskModel``: a disk around each positive click or scribble pixel (an ellipse filling the box)
  minus disks around the negative ones.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch.nn.functional as F
from scipy import ndimage
from skimage.segmentation import random_walker

from ..model.context_guide import probability_logits
from ..model.inputs import encode_inputs
from ..model.prediction import Prediction, upsample_logits
from ..model.preprocessing import MODEL_SIZE, resize_image, to_gray_unit
from ..prompts import Box, Prompts, scribble_masks

Scribbles = tuple[np.ndarray | None, np.ndarray | None]


class ClassicalSegmenter:
    """``Predictor.predict``'s signature over ``segment``: image, prompts and context ->
    (probabilities at the image's size, at 128 x 128). The previous logits are ignored."""

    name = "classical"

    def predict(
        self,
        image: np.ndarray,
        prompts: Prompts | None = None,
        prev_logits: np.ndarray | None = None,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> Prediction:
        start = time.perf_counter()
        prob, prob_small = self.segment(image, prompts or Prompts(), list(context or []))
        return Prediction(
            mask=prob > 0.5,
            logits=probability_logits(prob_small),
            network=self.name,
            seconds=time.perf_counter() - start,
            known_prob=prob.astype(np.float32),
        )

    def segment(
        self, image: np.ndarray, prompts: Prompts, context: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class RandomWalkerModel(ClassicalSegmenter):
    """Random-walker segmentation (Grady 2006) from the prompts; ``mode="bf"`` (a direct sparse
    solve) because the iterative ``cg_j`` took seconds per call at 128 x 128."""

    name = "random-walker"

    def __init__(self, beta: float = 130.0) -> None:
        self.beta = beta

    def segment(
        self, image: np.ndarray, prompts: Prompts, context: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interactive only: the context is ignored."""
        # The 128 x 128 encoding the network gets (image, box, positive, negative seeds), with
        # clicks grown to 3 x 3 so that a single pixel carries some weight.
        box, strokes = prompts.box, tuple(prompts.strokes)
        x = encode_inputs(image, Prompts(((box,) if box else ()) + strokes))[0]
        small = x[0].double().numpy()
        seeds = x[2:4] > 0
        if prompts.clicks:
            clicked = encode_inputs(image, Prompts(tuple(prompts.clicks)))[0, 2:4]
            seeds |= F.max_pool2d(clicked[None], 3, stride=1, padding=1)[0] > 0
        positive, negative = seeds[0].numpy(), seeds[1].numpy()
        if box is None:
            negative |= _border(MODEL_SIZE)
        else:
            inside = x[1].numpy() > 0
            negative |= ~inside
            if not positive.any():
                ys, xs = np.nonzero(inside)
                positive[int(ys.mean()), int(xs.mean())] = True
        negative &= ~positive
        if not positive.any():
            prob_small = np.zeros(MODEL_SIZE)
        else:
            labels = positive.astype(np.int32) + 2 * negative.astype(np.int32)
            prob_small = random_walker(
                small, labels, beta=self.beta, mode="bf", return_full_prob=True
            )[0]
        return upsample_logits(prob_small, np.shape(image)[:2]), prob_small


class DiskModel(ClassicalSegmenter):
    """Disks of ``radius`` (a fraction of the image's shorter side) around positive prompts,
    minus disks around negative ones: what a click means with no image understanding at all."""

    name = "disk"

    def __init__(self, radius: float = 0.1) -> None:
        self.radius = radius

    def segment(
        self, image: np.ndarray, prompts: Prompts, context: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interactive only: the context is ignored."""
        shape = to_gray_unit(image).shape
        prompts.check_inside(*shape)
        positive, negative = _stroke_masks(shape, scribble_masks(prompts, shape))
        for click in prompts.clicks:
            (positive if click.positive else negative)[int(click.y), int(click.x)] = True
        radius = self.radius * min(shape)
        mask = _near(positive, radius) & ~_near(negative, radius)
        if prompts.box is not None:
            mask |= _ellipse_in_box(shape, prompts.box) & ~_near(negative, radius)
        prob = mask.astype(np.float32)
        return prob, resize_image(prob)[0, 0].numpy()


def _stroke_masks(
    shape: tuple[int, int], scribbles: Scribbles | None
) -> tuple[np.ndarray, np.ndarray]:
    positive, negative = scribbles if scribbles is not None else (None, None)
    return (
        np.zeros(shape, bool) if positive is None else np.asarray(positive) > 0,
        np.zeros(shape, bool) if negative is None else np.asarray(negative) > 0,
    )


def _ellipse_in_box(shape: tuple[int, int], box: Box) -> np.ndarray:
    x0, y0, x1, y1 = box.corners
    ys, xs = np.ogrid[: shape[0], : shape[1]]
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0) / 2, abs(y1 - y0) / 2
    return ((xs + 0.5 - cx) / rx) ** 2 + ((ys + 0.5 - cy) / ry) ** 2 <= 1


def _near(seeds: np.ndarray, radius: float) -> np.ndarray:
    """Pixels within ``radius`` of a seed (a union of disks)."""
    if not seeds.any():
        return np.zeros_like(seeds)
    return ndimage.distance_transform_edt(~seeds) <= radius


def _border(shape: tuple[int, int]) -> np.ndarray:
    frame = np.ones(shape, bool)
    frame[1:-1, 1:-1] = False
    return frame
