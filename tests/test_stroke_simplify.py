"""Strokes are simplified where they enter (prompts/simplify.py): what is logged and rasterised
is a polyline through a few of the drawn points, within a twentieth of a pixel of them, and its
pixels are the drawn stroke's but for a few on its edge. Measured on strokes drawn along real
cell outlines (tests/data/wbc1_cell.npz) as the browser sends them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from skimage.measure import find_contours

from multiverseg_widget.prompts import Stroke, rasterise
from multiverseg_widget.prompts.simplify import DECIMALS, TOLERANCE, simplify_stroke

from .conftest import DATA

ROOT = Path(__file__).resolve().parents[1]
MOVE = 3  # screen pixels between two pointer moves of a steady hand


def pointer_strokes() -> list[tuple[str, np.ndarray, tuple[int, int]]]:
    """Each cell's outline traced with the pointer, as the paint tool sends it: a point per move
    on the screen's pixel grid, zoomed in (half an image pixel per screen pixel) and out (2)."""
    with np.load(DATA / "wbc1_cell.npz") as f:
        masks = f["masks"] > 0
    strokes = []
    for k, mask in enumerate(masks):
        outline = max(find_contours(mask.astype(float), 0.5), key=len)  # (row, column)
        along = np.r_[0, np.cumsum(np.hypot(*np.diff(outline, axis=0).T))]
        for zoom in (0.5, 2.0):  # image pixels per screen pixel
            at = np.arange(0, along[-1], MOVE * zoom)
            xy = np.c_[np.interp(at, along, outline[:, 1]), np.interp(at, along, outline[:, 0])]
            strokes.append((f"cell {k} at {zoom}", np.round(xy / zoom) * zoom, mask.shape))
    return strokes


def smoothed(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """What the scribble tool sends of them: js/strokes.js smoothStroke, run by node."""
    script = f"""
import {{ smoothStroke }} from "{(ROOT / "js" / "strokes.js").as_uri()}";
const strokes = {json.dumps([s.tolist() for s in strokes])};
console.log(JSON.stringify(strokes.map((s) => smoothStroke(s))));
"""
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    return [np.array(s) for s in json.loads(out.stdout)]


def edge_pixels(mask: np.ndarray) -> np.ndarray:
    """Pixels with both a pixel of ``mask`` and one outside it among themselves and their 8
    neighbours."""
    square = np.ones((3, 3), dtype=bool)
    return ndimage.binary_dilation(mask, square) & ~ndimage.binary_erosion(mask, square)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (the scribble's smoothing)")
@pytest.mark.parametrize("width", [1, 3, 8])
def test_a_simplified_stroke_covers_the_drawn_strokes_pixels_but_a_few_on_its_edge(width):
    drawn = pointer_strokes()
    cases = [(f"paint {n}", xy, shape) for n, xy, shape in drawn]
    smooth = smoothed([xy for _, xy, _ in drawn])
    cases += [(f"scribble {n}", xy, shape) for (n, _, shape), xy in zip(drawn, smooth)]
    kept = total = 0
    for name, xy, shape in cases:
        raw = Stroke(xy.tolist(), True, width)
        simple = simplify_stroke(raw)
        kept, total = kept + len(simple.points), total + len(raw.points)
        before, after = rasterise([raw], shape), rasterise([simple], shape)
        changed = before ^ after
        assert changed.sum() <= 2, (name, changed.sum(), before.sum())
        assert not (changed & ~edge_pixels(before)).any(), name
    assert kept < 0.8 * total  # what the log holds


def test_a_straight_run_of_many_points_becomes_its_two_ends():
    stroke = Stroke([(3 + k * 0.01, 4 + k * 0.02) for k in range(10_000)], False, 5)
    assert simplify_stroke(stroke) == Stroke(((3, 4), (102.99, 203.98)), False, 5)
    dots = Stroke([(1.234567, 2), (1.235, 2), (7, 8)], True, 1, joined=False)
    assert simplify_stroke(dots).points == ((1.23, 2), (1.24, 2), (7, 8))  # dots: rounded only
    assert simplify_stroke(Stroke([(5, 5)])).points == ((5, 5),)


POINTS = st.lists(
    st.tuples(st.floats(0, 200, allow_nan=False), st.floats(0, 200, allow_nan=False)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None, database=None)
@given(points=POINTS, width=st.floats(1, 20), tolerance=st.sampled_from([TOLERANCE, 0.5, 2.0]))
def test_dropped_points_lie_within_the_tolerance_and_simplifying_again_changes_nothing(
    points, width, tolerance
):
    stroke = Stroke(points, True, width)
    simple = simplify_stroke(stroke, tolerance)
    rounded = np.round(np.array(points), DECIMALS)
    kept = np.array(simple.points)
    assert tuple(kept[0]) == tuple(rounded[0]) and tuple(kept[-1]) == tuple(rounded[-1])
    assert set(map(tuple, kept)) <= set(map(tuple, rounded))
    for p in rounded:
        assert distance_to_polyline(p, kept) <= tolerance + 1e-9
    assert simplify_stroke(simple, tolerance) == simple
    assert (simple.width, simple.positive, simple.joined) == (width, True, True)


def distance_to_polyline(p: np.ndarray, polyline: np.ndarray) -> float:
    if len(polyline) == 1:
        return float(np.hypot(*(p - polyline[0])))
    best = np.inf
    for a, b in zip(polyline, polyline[1:]):
        d = b - a
        t = 0.0 if not d.any() else float(np.clip((p - a) @ d / (d @ d), 0, 1))
        best = min(best, float(np.hypot(*(p - a - t * d))))
    return best
