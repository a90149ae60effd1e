"""Simulated users: the clicks, boxes and scribbles a person would give, computed from the truth.

Why: the paper's evaluation protocol (``evaluate.py``) and the training loop (``train/``) both need
many realistic interactions without a person. Everything here works on boolean numpy masks at any
resolution, is deterministic for a ``numpy.random.Generator``, and costs about a millisecond at
128 x 128, so training can call it per sample.

Two layers:

- geometry, usable on its own: ``largest_component``, ``deepest_point``, ``error_regions``,
  ``largest_error``, ``background_band``, ``tight_box``, ``scribble_pixel_cap``, the scribble
  shapes ``centerline_scribble``, ``line_scribble``, ``contour_scribble``, and what they share:
  ``hand_drawn`` (warp, break, cap) and ``smooth_noise_at``;
- users, one class per kind, all with ``first(gt, rng) -> Interaction`` and
  ``correct(gt, pred_mask, rng) -> Interaction | None`` (None: the user has nothing more to give),
  and ``Prompts``, which accumulates interactions into ``Predictor.predict`` keyword arguments.

Coordinates follow the Predictor: clicks are (x, y, positive), boxes (x0, y0, x1, y1) end-exclusive.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import ndimage
from skimage.draw import line as draw_line
from skimage.morphology import skeletonize

from .model.predictor import Click

EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
SCRIBBLE_PIXELS_AT_128 = 128  # the paper's cap on one scribble at 128 x 128
WARP_AMPLITUDE = 0.02  # std of a stroke's smooth displacement, as a fraction of the image side
BAND_WIDTH = (0.03, 0.08)  # background band around the structure, fraction of the image side
BREAK_CELLS = 8  # grid of the noise that breaks strokes: about 8 pieces across the image
CONTOUR_DEPTH = 0.05  # how far inside its region a contour scribble may run, fraction of the side

ScribbleShape = Callable[..., np.ndarray]


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected component of ``mask`` (all False when the mask is empty)."""
    mask = np.asarray(mask, dtype=bool)
    labels, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if count <= 1:
        return mask.copy()
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def deepest_point(mask: np.ndarray) -> tuple[int, int]:
    """(x, y) of the pixel farthest from the mask's border; the image edge counts as border.

    This is where a person clicks "in the middle" of a region. When several pixels tie (a
    rectangle's ridge), the one nearest their mean wins, then the first in raster order: the
    middle of the ridge, deterministically. Raises ValueError for an empty mask.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise ValueError("deepest_point needs a non-empty mask")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    y0, x0 = rows[0], cols[0]
    crop = np.pad(mask[y0 : rows[-1] + 1, x0 : cols[-1] + 1], 1)
    depth = ndimage.distance_transform_edt(crop)[1:-1, 1:-1]
    ys, xs = np.nonzero(depth == depth.max())
    best = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
    return int(x0 + xs[best]), int(y0 + ys[best])


def error_regions(gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false_negative, false_positive): structure the prediction missed, background it took."""
    gt, pred = _same_shape_masks(gt, pred)
    return gt & ~pred, pred & ~gt


def largest_error(gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, bool] | None:
    """The largest connected error component and True if it is missed structure (a positive fix).

    None when the prediction equals the ground truth. A tie in size goes to the missed region.
    """
    missed, false = error_regions(gt, pred)
    best_missed, best_false = largest_component(missed), largest_component(false)
    n_missed, n_false = int(best_missed.sum()), int(best_false.sum())
    if n_missed == 0 and n_false == 0:
        return None
    return (best_missed, True) if n_missed >= n_false else (best_false, False)


def background_band(gt: np.ndarray, width: float) -> np.ndarray:
    """Background pixels within ``width`` pixels of the structure (the whole image if it is empty).

    The negative first scribble follows this band: a person outlines what is *not* the structure
    next to it, not the far corners of the image.
    """
    gt = np.asarray(gt, dtype=bool)
    if not gt.any():
        return np.ones_like(gt)
    return ~gt & (ndimage.distance_transform_edt(~gt) <= width)


def tight_box(
    mask: np.ndarray, rng: np.random.Generator | None = None, jitter: float = 0.0
) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), end-exclusive, around the mask; each side optionally pushed outward.

    jitter: each side moves out by up to this fraction of the box's extent (uniform, needs rng),
    clipped to the image, like a person dragging a slightly loose box.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise ValueError("tight_box needs a non-empty mask")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    x0, y0, x1, y1 = int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
    if jitter > 0:
        if rng is None:
            raise ValueError("tight_box with jitter needs an rng")
        dx, dy = jitter * (x1 - x0), jitter * (y1 - y0)
        ox0, oy0, ox1, oy1 = rng.uniform(0, 1, size=4) * (dx, dy, dx, dy)
        height, width = mask.shape
        x0, y0 = max(0, x0 - round(ox0)), max(0, y0 - round(oy0))
        x1, y1 = min(width, x1 + round(ox1)), min(height, y1 + round(oy1))
    return x0, y0, x1, y1


def scribble_pixel_cap(shape: tuple[int, ...]) -> int:
    """Most pixels one scribble may have: 128 at 128 x 128, growing with the side (strokes are
    lines, so their length scales with the image's side, not its area)."""
    return max(1, round(SCRIBBLE_PIXELS_AT_128 * math.sqrt(shape[0] * shape[1]) / 128))


def smooth_noise_at(
    ys: np.ndarray, xs: np.ndarray, shape: tuple[int, int], rng: np.random.Generator, cells: int
) -> np.ndarray:
    """Smooth random values at pixels (ys, xs) of an image of ``shape``: standard-normal noise on
    a ``cells`` x ``cells`` grid, cubic-spline interpolated. Only the asked pixels are computed,
    so the cost does not grow with the image (a per-pixel noise plus a blur would)."""
    coarse = rng.standard_normal((cells, cells))
    rows, cols = _spline_weights(shape[0], cells), _spline_weights(shape[1], cells)
    return ((rows[ys] @ coarse) * cols[xs]).sum(axis=1)


@functools.lru_cache(maxsize=64)
def _spline_weights(length: int, cells: int) -> np.ndarray:
    """length x cells: the linear map of cubic-spline interpolation from a grid of ``cells`` points
    spanning the axis to its ``length`` pixels (spline interpolation is separable per axis)."""
    positions = np.linspace(0, cells - 1, length)[None]
    unit = np.eye(cells)
    return np.stack(
        [
            ndimage.map_coordinates(unit[j], positions, order=3, mode="nearest")
            for j in range(cells)
        ],
        axis=1,
    )


def centerline_scribble(
    region: np.ndarray, rng: np.random.Generator, max_pixels: int | None = None
) -> np.ndarray:
    """A scribble along the region's skeleton (the paper's centerline scribble): warped, broken
    into pieces, capped at ``max_pixels`` (default ``scribble_pixel_cap``), inside ``region``."""
    region = np.asarray(region, dtype=bool)
    return hand_drawn(skeletonize(region), region, rng, max_pixels)


def line_scribble(
    region: np.ndarray, rng: np.random.Generator, max_pixels: int | None = None
) -> np.ndarray:
    """A straight stroke between two random points of the region's largest component, kept where
    it lies inside the region, then warped, broken and capped like every scribble."""
    region = np.asarray(region, dtype=bool)
    ys, xs = np.nonzero(largest_component(region))
    strokes = np.zeros_like(region)
    if len(ys):
        a, b = rng.integers(len(ys), size=2)
        rr, cc = draw_line(int(ys[a]), int(xs[a]), int(ys[b]), int(xs[b]))
        strokes[rr, cc] = True
    return hand_drawn(strokes & region, region, rng, max_pixels)


def contour_scribble(
    region: np.ndarray, rng: np.random.Generator, max_pixels: int | None = None
) -> np.ndarray:
    """A stroke tracing the region's outline a random small depth inside it, then warped, broken
    and capped: how people mark a boundary they can see."""
    region = np.asarray(region, dtype=bool)
    if not region.any():
        return np.zeros_like(region)
    depth_map = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    depth = min(1.0 + rng.uniform(0, CONTOUR_DEPTH) * max(region.shape), float(depth_map.max()))
    depth = float(np.floor(depth))
    return hand_drawn((depth_map >= depth) & (depth_map < depth + 1), region, rng, max_pixels)


def hand_drawn(
    strokes: np.ndarray,
    region: np.ndarray,
    rng: np.random.Generator,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Make ideal strokes look drawn by hand: smoothly warp them, break them into pieces, cap their
    length. The result stays inside ``region`` and is non-empty whenever ``strokes & region`` is."""
    region = np.asarray(region, dtype=bool)
    strokes = np.asarray(strokes, dtype=bool) & region
    cap = scribble_pixel_cap(region.shape) if max_pixels is None else max_pixels
    if not strokes.any():
        return strokes
    warped = _warp(strokes, rng) & region
    strokes = warped if warped.any() else strokes
    broken = _break(strokes, rng)
    strokes = broken if broken.any() else strokes
    return _cap(strokes, cap, rng)


def _warp(strokes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move every stroke pixel along a smooth random displacement field (a hand is not a
    skeleton); the field varies slowly, so a warped line stays nearly connected."""
    ys, xs = np.nonzero(strokes)
    height, width = strokes.shape
    amplitude = WARP_AMPLITUDE * max(height, width)
    dy = amplitude * smooth_noise_at(ys, xs, strokes.shape, rng, cells=4)
    dx = amplitude * smooth_noise_at(ys, xs, strokes.shape, rng, cells=4)
    out = np.zeros_like(strokes)
    out[
        np.clip(np.rint(ys + dy), 0, height - 1).astype(int),
        np.clip(np.rint(xs + dx), 0, width - 1).astype(int),
    ] = True
    return out


def _break(strokes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Drop the stroke pixels where smooth noise is lowest: gaps of random length, as when a pen
    lifts. Keeps 50-90 % of the pixels; gaps scale with the image, like the strokes."""
    ys, xs = np.nonzero(strokes)
    noise = smooth_noise_at(ys, xs, strokes.shape, rng, cells=BREAK_CELLS)
    keep = noise >= np.quantile(noise, 1.0 - rng.uniform(0.5, 0.9))
    out = np.zeros_like(strokes)
    out[ys[keep], xs[keep]] = True
    return out


def _cap(strokes: np.ndarray, max_pixels: int, rng: np.random.Generator) -> np.ndarray:
    """Keep the ``max_pixels`` stroke pixels nearest a random stroke pixel: one local stroke."""
    ys, xs = np.nonzero(strokes)
    if len(ys) <= max_pixels:
        return strokes
    seed = rng.integers(len(ys))
    distance = (ys - ys[seed]) ** 2 + (xs - xs[seed]) ** 2
    keep = np.argsort(distance, kind="stable")[:max_pixels]
    out = np.zeros_like(strokes)
    out[ys[keep], xs[keep]] = True
    return out


def _same_shape_masks(gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gt, pred = np.asarray(gt, dtype=bool), np.asarray(pred, dtype=bool)
    if gt.shape != pred.shape:
        raise ValueError(f"ground truth {gt.shape} and prediction {pred.shape} differ in shape")
    return gt, pred


def _random_pixel(mask: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    ys, xs = np.nonzero(mask)
    i = rng.integers(len(ys))
    return int(xs[i]), int(ys[i])


# --------------------------------------------------------------------------------------------
# Interactions and users
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # eq would compare arrays elementwise
class Interaction:
    """What a user does in one step: clicks, a box, and/or scribble masks (image resolution)."""

    clicks: tuple[Click, ...] = ()
    box: tuple[int, int, int, int] | None = None
    positive_scribble: np.ndarray | None = None
    negative_scribble: np.ndarray | None = None


class Prompts:
    """All interactions so far, as ``Predictor.predict`` keyword arguments: clicks and scribbles
    accumulate, a new box replaces the old one."""

    def __init__(self) -> None:
        self.clicks: list[Click] = []
        self.box: tuple[int, int, int, int] | None = None
        self.positive: np.ndarray | None = None
        self.negative: np.ndarray | None = None

    def add(self, interaction: Interaction) -> None:
        self.clicks.extend(interaction.clicks)
        if interaction.box is not None:
            self.box = interaction.box
        self.positive = _union(self.positive, interaction.positive_scribble)
        self.negative = _union(self.negative, interaction.negative_scribble)

    def kwargs(self) -> dict[str, Any]:
        """``clicks``, ``box`` and ``scribbles`` for ``Predictor.predict`` (None when absent)."""
        has_scribbles = self.positive is not None or self.negative is not None
        return {
            "clicks": list(self.clicks) or None,
            "box": self.box,
            "scribbles": (self.positive, self.negative) if has_scribbles else None,
        }


def _union(total: np.ndarray | None, new: np.ndarray | None) -> np.ndarray | None:
    if new is None:
        return total
    new = np.asarray(new, dtype=bool)
    return new.copy() if total is None else total | new


class User(Protocol):
    """A simulated user: a first interaction from the ground truth, then corrections."""

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Interaction: ...

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Interaction | None: ...


class CenterClickUser:
    """The paper's click user: always the middle of the biggest problem.

    First a positive click at the deepest point of the largest ground-truth component (a negative
    one in the deepest background when there is no structure); then one click at the deepest point
    of the largest error component, positive in a missed region, negative in a false one.
    """

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Interaction:
        gt = np.asarray(gt, dtype=bool)
        target, positive = (gt, True) if gt.any() else (~gt, False)
        x, y = deepest_point(largest_component(target))
        return Interaction(clicks=((x, y, positive),))

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Interaction | None:
        error = largest_error(gt, pred_mask)
        if error is None:
            return None
        region, positive = error
        x, y = deepest_point(region)
        return Interaction(clicks=((x, y, positive),))


class RandomClickUser:
    """Clicks uniformly at random: first in the ground truth, then in the whole error region
    (positive where the structure was missed, negative where background was taken)."""

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Interaction:
        gt = np.asarray(gt, dtype=bool)
        positive = bool(gt.any())
        x, y = _random_pixel(gt if positive else ~gt, rng)
        return Interaction(clicks=((x, y, positive),))

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Interaction | None:
        missed, false = error_regions(gt, pred_mask)
        errors = missed | false
        if not errors.any():
            return None
        x, y = _random_pixel(errors, rng)
        return Interaction(clicks=((x, y, bool(missed[y, x])),))


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

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Interaction:
        gt = np.asarray(gt, dtype=bool)
        positive = self.draw(gt, rng) if gt.any() else None
        width = rng.uniform(*BAND_WIDTH) * max(gt.shape)
        negative = self.draw(background_band(gt, max(width, 2.0)), rng)
        return Interaction(positive_scribble=positive, negative_scribble=negative)

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Interaction | None:
        missed, false = error_regions(gt, pred_mask)
        n_missed, n_false = int(missed.sum()), int(false.sum())
        if n_missed + n_false == 0:
            return None
        if rng.uniform() < n_missed / (n_missed + n_false):
            return Interaction(positive_scribble=self.draw(missed, rng))
        return Interaction(negative_scribble=self.draw(false, rng))


class BoxUser:
    """A tight box around the structure (each side optionally jittered outward by up to
    ``jitter`` of the box's extent), then center-click corrections."""

    def __init__(self, jitter: float = 0.0) -> None:
        self.jitter = jitter
        self.clicks = CenterClickUser()

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Interaction:
        gt = np.asarray(gt, dtype=bool)
        if not gt.any():
            return self.clicks.first(gt, rng)
        return Interaction(box=tight_box(gt, rng, self.jitter))

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Interaction | None:
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

    def first(self, gt: np.ndarray, rng: np.random.Generator) -> Interaction:
        self.next_annotator = 0
        interaction = self._replay(gt)
        assert interaction is not None  # the constructor checked there is an annotator
        return interaction

    def correct(
        self, gt: np.ndarray, pred_mask: np.ndarray, rng: np.random.Generator
    ) -> Interaction | None:
        return self._replay(gt)

    def _replay(self, gt: np.ndarray) -> Interaction | None:
        if self.next_annotator >= len(self.scribbles):
            return None
        positive, negative = self.scribbles[self.next_annotator]
        if positive.shape != np.shape(gt):
            raise ValueError(f"scribbles are {positive.shape}, the image is {np.shape(gt)}")
        self.next_annotator += 1
        return Interaction(positive_scribble=positive, negative_scribble=negative)
