"""Strokes to pixels: the one rasteriser, used for the model's scribble channels, by the
baselines and wherever a scribble must become a mask."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .vocabulary import Prompts, Stroke


def rasterise(strokes: Sequence[Stroke], shape: tuple[int, int]) -> np.ndarray | None:
    """Strokes -> a mask at image resolution: every pixel within width / 2 of a stroke (of its
    polyline, or of its dots). Pixel (x, y) is the point (x, y), as for clicks; a round brush,
    so ends and joints are round.

    Args:
        strokes: the strokes, in image pixels.
        shape: (H, W) of the image.

    Returns:
        An H x W bool mask, or None when there are no strokes.
    """
    if not strokes:
        return None
    mask = np.zeros(shape, dtype=bool)
    for stroke in strokes:
        points = np.asarray(stroke.points, dtype=float)
        if not stroke.joined and stroke.width <= 1:
            _dots(mask, points)
            continue
        segments: Iterable[tuple[np.ndarray, np.ndarray]]
        if stroke.joined and len(points) > 1:
            segments = zip(points, points[1:])
        else:
            segments = ((p, p) for p in points)
        for a, b in segments:
            _segment(mask, a, b, stroke.width / 2.0)
    return mask


def scribble_masks(
    prompts: Prompts, shape: tuple[int, int]
) -> tuple[np.ndarray | None, np.ndarray | None] | None:
    """The scribble masks of ``prompts``' strokes (``rasterise``), positive and negative apart.

    Args:
        prompts: one image's prompts.
        shape: (H, W) of the image.

    Returns:
        (positive, negative): each an H x W bool mask, or None where there is no stroke of that
        sign; None when ``prompts`` has no strokes at all.
    """
    strokes = prompts.strokes
    if not strokes:
        return None
    return (
        rasterise([s for s in strokes if s.positive], shape),
        rasterise([s for s in strokes if not s.positive], shape),
    )


def _dots(mask: np.ndarray, points: np.ndarray) -> None:
    """One-pixel dots: the pixel each point falls in (the fast path for scribble masks)."""
    cols, rows = np.rint(points[:, 0]).astype(int), np.rint(points[:, 1]).astype(int)
    inside = (rows >= 0) & (rows < mask.shape[0]) & (cols >= 0) & (cols < mask.shape[1])
    mask[rows[inside], cols[inside]] = True


def _segment(mask: np.ndarray, a: np.ndarray, b: np.ndarray, radius: float) -> None:
    """Pixels within ``radius`` of the segment a-b. Only pixels that can be are tested: those of
    a band along the segment, ``radius`` (1 + its slope) + 1 to each side of its centre line
    in each row (or column, for a segment nearer the horizontal), or of its bounding box where
    that is not much wider. A long diagonal segment costs its length times the brush, not the square
    of its length (a stroke across a large image no longer allocates its whole bounding box)."""
    lo = np.maximum(np.floor(np.minimum(a, b) - radius), 0).astype(int)
    hi = np.minimum(np.ceil(np.maximum(a, b) + radius) + 1, mask.shape[::-1]).astype(int)
    d = b - a
    major = 1 if abs(d[1]) >= abs(d[0]) else 0  # 1: the band runs along the rows
    minor = 1 - major
    slope = d[minor] / d[major] if d[major] else 0.0
    half = radius * (1 + abs(slope)) + 1
    width = int(np.ceil(2 * half)) + 2
    if 2 * width >= hi[minor] - lo[minor]:  # a band costs more per pixel than a box
        ys, xs = np.mgrid[lo[1] : hi[1], lo[0] : hi[0]]
        mask[lo[1] : hi[1], lo[0] : hi[0]] |= squared_distance(xs, ys, a, b) <= radius**2
        return
    along = np.arange(lo[major], hi[major])
    # where the centre line crosses each row (column), held at the segment's ends
    ends = sorted((a[major], b[major]))
    crossing = a[minor] + (np.clip(along, *ends) - a[major]) * slope
    across = np.floor(crossing - half).astype(int)[:, None] + np.arange(width)
    along = np.broadcast_to(along[:, None], across.shape)
    xs, ys = (across, along) if major == 1 else (along, across)
    inside = (across >= lo[minor]) & (across < hi[minor])
    near = inside & (squared_distance(xs, ys, a, b) <= radius**2)
    mask[ys[near], xs[near]] = True


def squared_distance(xs: np.ndarray, ys: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared distances of the points (xs, ys) to the segment a-b (to a when a == b), computed
    as js/strokes.js computes them, so that both draw the same pixels.

    Args:
        xs, ys: coordinates, arrays of one shape.
        a, b: the segment's ends, (x, y).

    Returns:
        An array of that shape.
    """
    d = b - a
    length2 = float(d @ d)
    t = 0.0 if length2 == 0 else np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length2, 0, 1)
    squared: np.ndarray = (xs - a[0] - t * d[0]) ** 2 + (ys - a[1] - t * d[1]) ** 2
    return squared
