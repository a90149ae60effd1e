"""Geometry of simulated users: where a person would click or scribble, from the truth.

Everything here works on boolean numpy masks at any resolution, is deterministic for a
``numpy.random.Generator``, and costs about a millisecond at 128 x 128, so training can call it
per sample: ``largest_component``, ``deepest_point``, ``error_regions``, ``largest_error``,
``background_band``, ``distant_background``, ``stray_stroke``, ``tight_box``,
``scribble_pixel_cap``, the scribble shapes ``centerline_scribble``, ``line_scribble``,
``contour_scribble``, and what they share: ``hand_drawn`` (warp, break, cap) and
``smooth_noise_at``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from scipy import ndimage
from skimage.draw import line as draw_line
from skimage.morphology import skeletonize

EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
SCRIBBLE_PIXELS_AT_128 = 128  # the paper's cap on one scribble at 128 x 128
WARP_AMPLITUDE = 0.02  # std of a stroke's smooth displacement, as a fraction of the image side
BAND_WIDTH = (0.03, 0.08)  # background band around the structure, fraction of the image side
# A stray negative scribble lies at least this far (fraction of the side) from the structure and
# the prediction: the widest background band a first negative scribble is drawn in.
STRAY_MARGIN = BAND_WIDTH[1]
BREAK_CELLS = 8  # grid of the noise that breaks strokes: about 8 pieces across the image
CONTOUR_DEPTH = 0.05  # how far inside its region a contour scribble may run, fraction of the side

ScribbleShape = Callable[..., np.ndarray]


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected component of ``mask`` (all False when the mask is empty)."""
    mask = np.asarray(mask, dtype=bool)
    labels, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    largest: np.ndarray
    if count <= 1:
        largest = mask.copy()
        return largest
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    largest = labels == int(np.argmax(sizes))
    return largest


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


def distant_background(gt: np.ndarray, pred: np.ndarray, margin: float) -> np.ndarray:
    """Pixels more than ``margin`` pixels from both the structure and the prediction: background
    the prediction already gets right, where a stray negative scribble should change nothing."""
    gt, pred = _same_shape_masks(gt, pred)
    taken = gt | pred
    if not taken.any():
        return np.ones_like(taken)
    return ndimage.distance_transform_edt(~taken) > margin


def stray_stroke(gt: np.ndarray, pred: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A line stroke on background more than ``STRAY_MARGIN`` of the side from both the structure
    and the prediction: a person marking background that was already right, as a negative
    scribble that should change nothing. Empty when there is no such background."""
    return line_scribble(distant_background(gt, pred, STRAY_MARGIN * max(gt.shape)), rng)


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
    values: np.ndarray = ((rows[ys] @ coarse) * cols[xs]).sum(axis=1)
    return values


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


def random_pixel(mask: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    ys, xs = np.nonzero(mask)
    i = rng.integers(len(ys))
    return int(xs[i]), int(ys[i])
