"""Bounded inputs (issue 31): the points of one stroke, the actions of one batch and the size of
one message are limited, each refused with an error that says the limit and what was sent, and
a refused message changes nothing. The front end (js/) holds the same limits."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import multiverseg_widget as mvw
from multiverseg_widget.prompts import Stroke, prompt_from_json
from multiverseg_widget.prompts.vocabulary import MAX_STROKE_POINTS
from multiverseg_widget.widget.actions import Paint, Step
from multiverseg_widget.widget.fields import MAX_ACTIONS, MAX_MESSAGE, message_size
from multiverseg_widget.widget.protocol import parse_batch

from .session_helpers import folder_snapshot, single_torch_thread

ROOT = Path(__file__).resolve().parents[1]


def batch(*actions: dict, request: int = 1) -> dict:
    return {"type": "actions", "request": request, "actions": list(actions)}


def line(n: int, y: float = 5.0) -> list[list[float]]:
    """A stroke of ``n`` points along a row, a hundredth of a pixel apart."""
    return [[10 + k / 100, y] for k in range(n)]


@pytest.mark.parametrize("kind", ["scribble", "paint"])
def test_a_stroke_of_more_points_than_the_limit_is_refused_with_both_numbers(kind):
    stroke = {"kind": kind, "points": line(MAX_STROKE_POINTS + 1), "positive": True, "width": 3}
    message = f"a stroke has at most {MAX_STROKE_POINTS:,} points, got {MAX_STROKE_POINTS + 1:,}"
    with pytest.raises(ValueError, match=re.escape(f"action 0: {message}")):
        parse_batch(batch(stroke), ["a"])
    with pytest.raises(ValueError, match=re.escape(message)):
        Stroke(line(MAX_STROKE_POINTS + 1))
    parse_batch(batch({**stroke, "points": line(MAX_STROKE_POINTS)}), ["a"])  # at the limit


def test_a_batch_of_more_actions_than_the_limit_is_refused_and_one_at_the_limit_parses():
    with pytest.raises(ValueError, match=re.escape(f"at most {MAX_ACTIONS:,} actions, got 10,000")):
        parse_batch(batch(*[{"kind": "undo"}] * 10_000), ["a"])
    assert parse_batch(batch(*[{"kind": "undo"}] * MAX_ACTIONS), ["a"]).actions == (
        (Step("undo"),) * MAX_ACTIONS
    )


def test_a_message_longer_than_the_limit_is_refused_before_its_actions_are_read():
    # each stroke is within the points limit; together they are a flood
    strokes = [{"kind": "scribble", "points": line(2000), "positive": True, "width": 3}] * 200
    content = batch(*strokes)
    assert message_size(content, limit=10**9) > MAX_MESSAGE
    with pytest.raises(ValueError, match=f"at most {MAX_MESSAGE:,} characters of JSON; this is m"):
        parse_batch(content, ["a"])
    # a stroke of 10^6 points (issue 31: 78 s, then 100 s a click) is refused by its size
    flood = batch({"kind": "paint", "points": line(10**6), "positive": True, "width": 3})
    with pytest.raises(ValueError, match="characters of JSON"):
        parse_batch(flood, ["a"])


@pytest.mark.parametrize(
    "value",
    [
        {"type": "actions", "request": 1, "actions": [{"kind": "undo"}]},
        [1, -2.5, True, False, None, "ab\u00e9", {"k": [0.1, 1e-7, 10**20]}],
        {"points": line(50), "width": 3.25},
    ],
)
def test_message_size_is_about_the_json_length(value):
    import json

    exact = len(json.dumps(value, separators=(",", ":")))
    assert exact * 0.8 <= message_size(value) <= exact * 1.25 + 4


def test_message_size_counts_past_the_limit_only_as_far_as_it_needs():
    assert message_size([[k] for k in range(10**6)], limit=100) > 100
    assert message_size(10**5000) > 5000  # huge integers are counted, not converted


def test_a_refused_batch_changes_nothing_in_the_widget_or_the_work_folder(tmp_path, small_nets):
    images = [np.random.default_rng(i).integers(0, 256, (40, 50), np.uint8) for i in range(2)]
    with single_torch_thread():
        w = mvw.annotate(images, model=mvw.model.Predictor(*small_nets), workdir=tmp_path / "w")
        w._on_msg(w, batch({"kind": "click", "x": 9, "y": 9, "positive": True}), [])
        before = (w.session.interactions, w.session.mask.copy(), folder_snapshot(tmp_path / "w"))
        for content in (
            batch({"kind": "click", "x": 3, "y": 3, "positive": False}, *[{"kind": "undo"}] * 1000),
            batch({"kind": "paint", "points": line(10**6), "positive": True, "width": 3}),
            batch({"kind": "scribble", "points": line(10_001), "positive": True, "width": 3}),
        ):
            w._on_msg(w, content, [])
            assert re.search(r"at most [\d,]+ (actions|characters|points)", w.error), w.error
            after = (w.session.interactions, w.session.mask, folder_snapshot(tmp_path / "w"))
            assert after[0] == before[0] and np.array_equal(after[1], before[1])
            assert after[2] == before[2]
            assert w.ack == content["request"]  # answered: the browser's queue goes on


def test_the_front_end_holds_the_kernels_limits():
    """js/ splits a long queue and a long drag by these numbers (tests/js/ shows how), which it
    imports from the module generated from the kernel's (js/generated/protocol.js)."""
    generated = (ROOT / "js" / "generated" / "protocol.js").read_text()
    queue = (ROOT / "js" / "queue.js").read_text()
    tool = (ROOT / "js" / "tools" / "tool.js").read_text()

    def constant(source: str, name: str) -> int:
        (value,) = re.findall(rf"export const {name} = ([\d_]+);", source)
        return int(value.replace("_", ""))

    def imports(source: str, name: str) -> bool:
        named = rf"import {{[^}}]*\b{name}\b[^}}]*}} from \"[./]+/generated/protocol.js\";"
        return re.search(named, source) is not None

    assert constant(generated, "MAX_STROKE_POINTS") == MAX_STROKE_POINTS
    assert imports(tool, "MAX_STROKE_POINTS")
    assert constant(generated, "MAX_ACTIONS") == MAX_ACTIONS and imports(queue, "MAX_ACTIONS")
    assert constant(generated, "MAX_MESSAGE") == MAX_MESSAGE and imports(queue, "MAX_MESSAGE")
    assert "export const MAX_MESSAGE = KERNEL_MAX_MESSAGE / 2;" in queue  # half of it per batch


def test_a_paint_stroke_of_a_minute_of_pointer_moves_fits_and_is_simplified():
    """The browser sends a point per pointer move: a minute of dragging along a row at 120
    moves a second is within the limit, and reaches the session as a handful of points."""
    points = [[5 + k * 0.05, 7.0] for k in range(60 * 120)]
    (paint,) = parse_batch(
        batch({"kind": "paint", "points": points, "positive": True, "width": 3}), ["a"]
    ).actions
    assert isinstance(paint, Paint) and paint.stroke.points == ((5.0, 7.0), (364.95, 7.0))
    assert prompt_from_json(paint.stroke.to_json()) == paint.stroke
