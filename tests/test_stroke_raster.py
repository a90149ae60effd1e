"""The browser draws scribbles with js/strokes.js: the pixels must be the ones the session feeds
the model (``prompts.rasterise``), or the user sees one stroke and the network gets another."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from multiverseg_widget.prompts import Stroke, rasterise

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
@pytest.mark.parametrize(
    ("shape", "sizes"),
    [
        ((37, 53), [(1, 1), (1, 4.5), (2, 3), (5, 2.2), (9, 7)]),
        # long segments at every angle: the session tests a band along each, the browser its box
        ((310, 420), [(2, 1), (2, 3), (12, 1.5), (30, 4), (30, 9.5), (6, 40)]),
    ],
)
def test_js_rasterisation_matches_the_session(shape, sizes):
    rng = np.random.default_rng(0)
    scale = [shape[1] - 1, shape[0] - 1]
    strokes = [
        {"points": (rng.uniform(0, 1, (n, 2)) * scale).round(2).tolist(), "width": float(w)}
        for n, w in sizes
    ]
    script = f"""
import {{ rasteriseStroke }} from "{(ROOT / "js" / "strokes.js").as_uri()}";
const strokes = {json.dumps(strokes)};
const out = strokes.map((s) => Array.from(rasteriseStroke(new Uint8Array({shape[0] * shape[1]}),
  {shape[1]}, {shape[0]}, s.points, s.width)));
console.log(JSON.stringify(out));
"""
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    for stroke, js in zip(strokes, json.loads(result.stdout)):
        got = np.array(js, dtype=bool).reshape(shape)
        assert got.any() and np.array_equal(
            got, rasterise([Stroke(stroke["points"], True, stroke["width"])], shape)
        ), stroke
