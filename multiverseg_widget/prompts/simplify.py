"""Hand-drawn strokes made compact where they enter: a polyline through fewer points that stays
within a fraction of a pixel of the drawn one, with its coordinates rounded.

Why: the browser sends a point per pointer move, most of them on a straight run of the stroke.
The session logs every stroke (session.json, the browser's copy of the log) and rasterises it
segment by segment, so a stroke of thousands of points costs on every later click. Removed
points lie within ``TOLERANCE`` of the kept polyline, so the brush covers the same pixels but
for a few on its edge (tests/test_limits.py measures it on real outlines).
"""

from __future__ import annotations

import numpy as np

from .raster import squared_distance
from .vocabulary import Stroke

TOLERANCE = 0.05  # pixels: how far a dropped point may lie from the simplified polyline
DECIMALS = 2  # coordinates are kept to 1/100 of a pixel (the brush is at least one pixel wide)


def simplify_stroke(stroke: Stroke, tolerance: float = TOLERANCE) -> Stroke:
    """``stroke`` through fewer points (Ramer-Douglas-Peucker on its coordinates rounded to
    ``DECIMALS``), every dropped point within ``tolerance`` pixels of the kept polyline. A stroke
    of dots (``joined=False``) is a set of pixels, not a path: only its coordinates are rounded.
    Simplifying twice gives the same stroke.

    Args:
        stroke: the stroke as drawn, N points.
        tolerance: pixels, > 0.

    Returns:
        The same brush, sign and kind of stroke through M <= N of the rounded points.
    """
    points = np.round(np.asarray(stroke.points, dtype=float), DECIMALS)
    if stroke.joined:
        points = points[_kept(points, tolerance)]
    pairs = tuple((float(x), float(y)) for x, y in points)
    return Stroke(pairs, stroke.positive, stroke.width, stroke.joined)


def _kept(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Which of N x 2 ``points`` the Ramer-Douglas-Peucker polyline keeps (a boolean mask): each
    run between two kept points is split at its farthest point while that lies beyond
    ``tolerance`` from the chord. Iterative, each split one vectorised pass over its run."""
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    runs = [(0, len(points) - 1)]
    while runs:
        first, last = runs.pop()
        if last - first < 2:
            continue
        inner = points[first + 1 : last]
        distance2 = squared_distance(inner[:, 0], inner[:, 1], points[first], points[last])
        farthest = int(np.argmax(distance2))
        if distance2[farthest] > tolerance**2:
            split = first + 1 + farthest
            keep[split] = True
            runs += [(first, split), (split, last)]
    return keep
