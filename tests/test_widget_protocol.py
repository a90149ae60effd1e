"""The widget's message boundary: protocol.py's parsing, and thousands of random, malformed and
valid action batches (prompts, steps, navigation, and adding, renaming and switching structures)
sent to SegmentWidget's message handler on a small real session. Every batch ends with a clear
error in the status line or a valid change of state, never an internal error, and the session
and the widget's traits stay consistent."""

from __future__ import annotations

import contextlib
import itertools
import re
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import multiverseg_widget as mvw
from multiverseg_widget.annotation.image_status import STATUSES
from multiverseg_widget.model import Predictor
from multiverseg_widget.prompts import INTERACTION_KINDS as INTERACTIONS
from multiverseg_widget.prompts import Box, Click, Prompts, Stroke
from multiverseg_widget.prompts.vocabulary import MAX_STROKE_POINTS
from multiverseg_widget.widget.actions import (
    STEPS,
    Accept,
    AddContext,
    AddStructure,
    Erase,
    Export,
    Interact,
    Jump,
    Navigate,
    Paint,
    RemoveContext,
    RenameStructure,
    Step,
    SwitchStructure,
    ThumbnailRequest,
)
from multiverseg_widget.widget.codec import decode_array
from multiverseg_widget.widget.fields import (
    EXPORT_FORMATS,
    MAX_ACTIONS,
    MAX_INT,
    MAX_MESSAGE,
    message_size,
)
from multiverseg_widget.widget.protocol import parse_batch, request_id
from multiverseg_widget.widget.widget import SegmentWidget

from .session_helpers import single_torch_thread

ROOT = Path(__file__).resolve().parents[1]
STRUCTURE_ACTIONS = [*SwitchStructure.KINDS, *AddStructure.KINDS, *RenameStructure.KINDS]
KINDS = [*INTERACTIONS, "paint", "erase", "navigate", "remove_context", "add_context", "accept"]
KINDS += [*STEPS, *STRUCTURE_ACTIONS, "mask", "export", "jump", "thumbnails"]
# logs that grow, images and structures that change: erase, undo, navigation and the other
# structures' masks meet states worth meeting
WEIGHTED_KINDS = [*KINDS, *INTERACTIONS, *INTERACTIONS, "erase", "erase", "navigate", "accept"]
WEIGHTED_KINDS += ["paint", "paint"]
WEIGHTED_KINDS += ["structure", "structure"]
NAMES = ["liver"]  # the structures of the session the parsing tests check names against
_requests = itertools.count(1)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)


def batch(*actions: Any, request: Any = 1) -> dict:
    return {"type": "actions", "request": request, "actions": list(actions)}


# ---- protocol.py ---------------------------------------------------------------------------------


# Actions as the front end sends them and as they parse, a group for each test below; all of
# them in one batch, in this order, for test_a_batch_keeps_its_request_and_its_actions_in_order.
Sent = tuple[list[dict], tuple]

RUNS: Sent = (
    [
        {"kind": "click", "x": 1, "y": 2, "positive": True},
        {"kind": "box", "box": [5, 6, 1, 2]},
        {"kind": "undo"},
        {"kind": "scribble", "points": [[0, 0], [3, 4]], "positive": False, "width": 2},
    ],
    (
        Interact((Click(1, 2, True), Box(1, 2, 5, 6))),
        Step("undo"),
        Interact((Stroke(((0, 0), (3, 4)), False, 2),)),
    ),
)


def test_consecutive_interactions_parse_into_one_run_that_another_action_ends():
    sent, parsed = RUNS
    assert parse_batch(batch(*sent), NAMES).actions == parsed


EDITS: Sent = (
    [
        {"kind": "erase", "positions": [2, 0], "version": 7},
        {"kind": "paint", "points": [[1, 1], [4, 1]], "positive": True, "width": 5},
    ],
    (Erase((2, 0), 7), Paint(Stroke(((1, 1), (4, 1)), True, 5))),
)


def test_erase_and_paint_parse_into_actions_of_their_own():
    sent, parsed = EDITS
    assert parse_batch(batch(*sent), NAMES).actions == parsed


MOVES: Sent = (
    [{"kind": "navigate", "index": None, "by": -2}, {"kind": "navigate", "index": 3, "by": 0}],
    (Navigate(None, -2), Navigate(3, 0)),
)


def test_navigation_parses_into_a_step_or_an_index():
    sent, parsed = MOVES
    assert parse_batch(batch(*sent), NAMES).actions == parsed


CONTEXT_CHANGES: Sent = (
    [
        {"kind": "remove_context", "entry": 1},
        {"kind": "add_context", "index": 4},
        {"kind": "add_context", "index": 4, "position": 0},
        {"kind": "add_context", "index": 4, "position": None},
    ],
    (RemoveContext(1), AddContext(4), AddContext(4, 0), AddContext(4)),
)


def test_context_changes_parse_with_a_position_that_may_be_left_out():
    sent, parsed = CONTEXT_CHANGES
    assert parse_batch(batch(*sent), NAMES).actions == parsed


ACCEPTS: Sent = (
    [{"kind": "suggest"}, {"kind": "accept"}, {"kind": "accept", "allow_empty": True}],
    (Step("suggest"), Accept(False), Accept(True)),
)


def test_suggest_is_a_step_and_accept_allows_an_empty_mask_only_when_asked():
    sent, parsed = ACCEPTS
    assert parse_batch(batch(*sent), NAMES).actions == parsed


STRUCTURE_CHANGES: Sent = (
    [
        {"kind": "add_structure", "name": "kidney"},
        {"kind": "structure", "name": "kidney"},
        {"kind": "rename_structure", "old": "liver", "new": "liver 2"},
        {"kind": "structure", "name": "liver 2"},
    ],
    (
        AddStructure("kidney"),
        SwitchStructure("kidney"),
        RenameStructure("liver", "liver 2"),
        SwitchStructure("liver 2"),
    ),
)


def test_structure_names_are_checked_as_the_batch_adds_and_renames_them():
    sent, parsed = STRUCTURE_CHANGES
    assert parse_batch(batch(*sent), NAMES).actions == parsed


EXPORTS: Sent = (
    [
        {"kind": "export", "format": "nifti", "folder": "masks/"},
        {"kind": "export", "format": "labelmap", "folder": "/tmp/out"},
        {"kind": "export", "format": "png", "folder": "out", "overwrite": True},
    ],
    (
        Export("nifti", "masks/"),
        Export("labelmap", "/tmp/out"),
        Export("png", "out", overwrite=True),
    ),
)


def test_exports_parse_with_their_folder_as_given_and_overwrite_only_when_asked():
    sent, parsed = EXPORTS
    assert parse_batch(batch(*sent), NAMES).actions == parsed


LOOKUPS: Sent = (
    [{"kind": "jump", "to": " cell_07.png "}, {"kind": "thumbnails", "indices": [3, 0, 3]}],
    (Jump("cell_07.png"), ThumbnailRequest((3, 0, 3))),
)


def test_a_jump_target_is_stripped_and_thumbnail_indices_are_kept_as_asked():
    sent, parsed = LOOKUPS
    assert parse_batch(batch(*sent), NAMES).actions == parsed


def test_a_batch_keeps_its_request_and_its_actions_in_order():
    groups = [RUNS, EDITS, MOVES, CONTEXT_CHANGES, ACCEPTS, STRUCTURE_CHANGES, EXPORTS, LOOKUPS]
    parsed = parse_batch(batch(*[a for sent, _ in groups for a in sent], request=42), NAMES)
    assert parsed.request == 42
    assert parsed.actions == tuple(a for _, actions in groups for a in actions)


def test_an_empty_batch_parses_into_no_actions():
    assert parse_batch(batch(), []).actions == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({**batch(), "type": "ping"}, "not a batch of actions: type 'ping'"),
        (batch(request=None), "request must be an int"),
        (batch(request=-1), "request must not be negative"),
        (batch(request=MAX_INT + 1), "request 9007199254740992 is out of range"),
        ({"type": "actions", "request": 1, "actions": {}}, "actions must be a list"),
        ({**batch(), "extra": 1}, "unknown fields ['extra']"),
        (batch("undo"), "action 0: unknown action 'undo'"),
        (batch({"kind": "mask"}), "unknown action {'kind': 'mask'}"),
        (batch({"kind": "undo"}, {"kind": "undo", "steps": 2}), "action 1: undo has unknown fie"),
        (batch({"kind": "erase", "positions": [1]}), "erase lacks ['version']"),
        (batch({"kind": "accept", "allow_empty": 1}), "accept allow_empty must be a bool, got 1"),
        (batch({"kind": "undo", "allow_empty": True}), "undo has unknown fields ['allow_empty']"),
        (batch({"kind": "erase", "positions": [], "version": 1}), "must be a non-empty list"),
        (batch({"kind": "erase", "positions": 3, "version": 1}), "must be a non-empty list"),
        (batch({"kind": "erase", "positions": [1, 1], "version": 1}), "erase positions repeat"),
        (batch({"kind": "erase", "positions": [1.0], "version": 1}), "position must be an int"),
        (batch({"kind": "erase", "positions": [0], "version": True}), "version must be an int"),
        (batch({"kind": "navigate", "index": -1, "by": 0}), "index must not be negative"),
        (batch({"kind": "navigate", "index": None, "by": 2**60}), "step 1152921504606846976 is"),
        (batch({"kind": "remove_context", "entry": "0"}), "context entry must be an int"),
        (batch({"kind": "add_context"}), "add_context lacks ['index']"),
        (batch({"kind": "add_context", "index": 1.0}), "context image index must be an int"),
        (batch({"kind": "add_context", "index": 1, "position": -1}), "position must not be neg"),
        (batch({"kind": "add_context", "index": 1, "entry": 0}), "unknown fields ['entry']"),
        (batch({"kind": "click", "x": 1, "y": 2}), "click lacks ['positive']"),
        (batch({"kind": "click", "x": 10**400, "y": 2, "positive": True}), "out of range"),
        (batch({"kind": "box", "box": [1, 1, 1, 5]}), "zero area"),
        (batch({"kind": "scribble", "points": [], "positive": True, "width": 3}), "at least one"),
        (batch({"kind": "paint", "points": [[1, 1]], "positive": True}), "paint lacks ['width']"),
        (
            batch({"kind": "paint", "points": [[1, 1]], "positive": True, "width": 3, "joined": 0}),
            "paint has unknown fields ['joined']",
        ),
        (batch({"kind": "paint", "points": [], "positive": True, "width": 3}), "at least one"),
        (batch({"kind": "structure"}), "structure lacks ['name']"),
        (batch({"kind": "structure", "name": "lung"}), "no structure named 'lung'; the struct"),
        (batch({"kind": "structure", "name": 3}), "a structure name must be a string, got 3"),
        (batch({"kind": "add_structure", "name": " "}), "a structure needs a non-empty name"),
        (batch({"kind": "add_structure", "name": "x" * 101}), "at most 100 characters, got 101"),
        (batch({"kind": "add_structure", "name": "liver"}), "already a structure named 'liver'"),
        (
            batch(*[{"kind": "add_structure", "name": "kidney"}] * 2),
            "action 1: there is already a structure named 'kidney'",
        ),
        (batch({"kind": "rename_structure", "old": "liver"}), "rename_structure lacks ['new']"),
        (batch({"kind": "rename_structure", "old": "lung", "new": "x"}), "no structure named 'l"),
        (batch({"kind": "rename_structure", "old": "liver", "new": ""}), "a non-empty name"),
        (
            batch(
                {"kind": "rename_structure", "old": "liver", "new": "x"},
                {"kind": "structure", "name": "liver"},
            ),
            "action 1: no structure named 'liver'; the structures are ['x']",
        ),
        (batch({"kind": "export", "format": "png"}), "export lacks ['folder']"),
        (batch({"kind": "export", "format": "jpg", "folder": "m"}), "format 'jpg' is not one of"),
        (batch({"kind": "export", "format": "png", "folder": ""}), "must be a non-empty path"),
        (batch({"kind": "export", "format": "png", "folder": " "}), "must be a non-empty path"),
        (batch({"kind": "export", "format": "png", "folder": 3}), "must be a non-empty path"),
        (batch({"kind": "export", "format": "png", "folder": "a\0b"}), "at most 4096 characters"),
        (
            batch({"kind": "export", "format": "png", "folder": "m", "overwrite": 1}),
            "export overwrite must be a bool, got 1",
        ),
        (batch({"kind": "jump"}), "jump lacks ['to']"),
        (batch({"kind": "jump", "to": "  "}), "jump to: give an image's name or number, got '  '"),
        (batch({"kind": "jump", "to": 7}), "jump to: give an image's name or number, got 7"),
        (batch({"kind": "jump", "to": "x" * 1001}), "jump to: at most 1000 characters, got 1001"),
        (batch({"kind": "thumbnails", "indices": []}), "indices must be a list of 1 to 64, got []"),
        (batch({"kind": "thumbnails", "indices": list(range(65))}), "a list of 1 to 64"),
        (batch({"kind": "thumbnails", "indices": [0, -1]}), "thumbnail index must not be neg"),
        (batch({"kind": "thumbnails", "indices": ["0"]}), "thumbnail index must be an int"),
    ],
)
def test_malformed_batches_are_refused_with_what_is_wrong(content, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_batch(content, NAMES)


def test_the_request_is_acknowledged_whenever_it_is_a_valid_id():
    assert request_id({"request": 5, "actions": "not a list"}) == 5
    assert [request_id({"request": r}) for r in (None, True, -1, 1.0, MAX_INT + 1)] == [None] * 5


def test_consecutive_interactions_form_one_run():
    clicks = [{"kind": "click", "x": k, "y": 0, "positive": True} for k in range(3)]
    (run,) = parse_batch(batch(*clicks), NAMES).actions
    assert [p.x for p in run.prompts] == [0, 1, 2]


def test_the_js_protocol_names_the_same_action_kinds():
    """js/protocol.js with the module generated from the kernel's actions (the front end's
    types) and protocol.py describe one protocol."""
    source = (ROOT / "js" / "protocol.js").read_text()
    source += (ROOT / "js" / "generated" / "protocol.js").read_text()
    unions = re.findall(r'kind: ("[a-z_]+"(?: \| "[a-z_]+")*)', source)
    kinds = {kind for union in unions for kind in re.findall(r'"([a-z_]+)"', union)}
    others = {"paint", "erase", "navigate", "remove_context", "add_context", "accept", "mask"}
    others |= {"export", "jump", "thumbnails"}
    assert kinds == {*INTERACTIONS, *STEPS, *STRUCTURE_ACTIONS, *others}


def test_the_export_bar_offers_the_formats_the_kernel_takes():
    assert (
        'import { EXPORT_FORMATS } from "./generated/protocol.js";'
        in (ROOT / "js" / "exportbar.js").read_text()
    )
    generated = (ROOT / "js" / "generated" / "protocol.js").read_text()
    (offered,) = re.findall(r"const EXPORT_FORMATS = \[([^\]]*)\]", generated)
    (typed,) = re.findall(r"@typedef \{([^}]*)\} ExportFormat", generated)
    for listing in (offered, typed):
        assert tuple(re.findall(r'"([a-z-]+)"', listing)) == EXPORT_FORMATS


# Actions of every kind with fields of any JSON type; and whole batches of anything.
FIELDS = ["x", "y", "positive", "box", "points", "width", "joined", "positions", "version"]
FIELDS += ["index", "by", "entry", "file", "sha256", "name", "old", "new", "allow_empty"]
FIELDS += ["format", "folder", "overwrite", "position", "to", "indices"]
ACTION_LIKE = st.builds(
    lambda kind, fields: {"kind": kind, **fields},
    st.sampled_from(KINDS),
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4),
)
CONTENT = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"type": st.just("actions"), "request": st.integers(-1, 9) | JSON},
        optional={"actions": st.lists(ACTION_LIKE | JSON, max_size=4) | JSON, "more": JSON},
    ),
)


@settings(max_examples=2000, deadline=None, database=None)
@given(content=CONTENT)
def test_parsing_anything_gives_typed_actions_or_a_value_error(content):
    if not isinstance(content, dict):
        return
    try:
        parsed = parse_batch(content, NAMES)
    except ValueError as error:
        assert str(error)
        return
    assert parsed.request == content["request"] == request_id(content)
    kinds = (Interact, Paint, Erase, Step, Accept, Navigate, RemoveContext, AddContext, Export)
    kinds += (Jump, ThumbnailRequest)
    for action in parsed.actions:
        assert isinstance(action, (*kinds, SwitchStructure, AddStructure, RenameStructure))


# Sizes: strokes around MAX_STROKE_POINTS, batches around MAX_ACTIONS, messages around
# MAX_MESSAGE. Hypothesis draws the sizes and a seed, numpy the points (drawing 10^4 points one by
# one would take hypothesis longer than the parsing it tests).
def stroke_of(n: int, seed: int, shape: str, kind: str, side: int = 30) -> dict:
    """A stroke of ``n`` points inside ``side`` x ``side`` pixels: a hand's random walk, a
    straight line (simplified to its ends), or points scattered at random (nothing to simplify)."""
    rng = np.random.default_rng(seed)
    if shape == "walk":
        points = np.abs(np.cumsum(rng.uniform(-1, 1, (n, 2)), axis=0)) % (side - 1)
    elif shape == "line":
        points = np.c_[np.linspace(0, side - 1, n), np.full(n, side / 2)]
    else:
        points = rng.uniform(0, side - 1, (n, 2))
    return {"kind": kind, "points": points.tolist(), "positive": True, "width": 3}


def strokes(side: int = 30, most: int = 3 * MAX_STROKE_POINTS) -> st.SearchStrategy:
    near = [MAX_STROKE_POINTS - 1, MAX_STROKE_POINTS, MAX_STROKE_POINTS + 1]
    return st.builds(
        stroke_of,
        st.sampled_from([1, *near]) | st.integers(1, most),
        st.integers(0, 2**32 - 1),
        st.sampled_from(["walk", "line", "scatter"]),
        st.sampled_from(["scribble", "paint"]),
        st.just(side),
    )


ACTION_COUNTS = st.sampled_from([MAX_ACTIONS, MAX_ACTIONS + 1]) | st.integers(0, 3 * MAX_ACTIONS)
SMALL_ACTIONS = st.sampled_from(
    [
        {"kind": "undo"},
        {"kind": "click", "x": 3, "y": 4, "positive": True},
        {"kind": "scribble", "points": [[1, 1], [5, 3]], "positive": False, "width": 2},
        {"kind": "erase", "positions": list(range(200)), "version": 1},
    ]
)


@st.composite
def sized_batches(draw: st.DrawFn) -> dict:
    """One long stroke; a long batch of small actions; or many long strokes in one message."""
    how = draw(st.sampled_from(["long stroke", "long batch", "big message"]))
    if how == "long stroke":
        return batch(draw(strokes()))
    if how == "long batch":
        return batch(*[draw(SMALL_ACTIONS)] * draw(ACTION_COUNTS))
    return batch(*[draw(strokes())] * draw(st.integers(1, 80)))


def beyond_a_limit(content: dict) -> bool:
    actions = content["actions"]
    return (
        len(actions) > MAX_ACTIONS
        or message_size(content, limit=10**9) > MAX_MESSAGE
        or any(len(a.get("points", ())) > MAX_STROKE_POINTS for a in actions)
    )


# a deadline per example, not a sleep: a message that hangs the parser fails the test
@settings(
    max_examples=80,
    deadline=timedelta(seconds=10),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(content=sized_batches())
def test_sized_batches_parse_within_the_limits_or_are_refused_clearly(content):
    actions = content["actions"]
    event("one action" if len(actions) == 1 else "at most the limit" if len(actions) <= MAX_ACTIONS
          else "more than the limit")  # fmt: skip
    try:
        parsed = parse_batch(content, NAMES)
    except ValueError as error:
        assert re.search(r"at most [\d,]+ (points|actions|characters of JSON)", str(error)), error
        assert beyond_a_limit(content)
        event("refused")
        return
    event("parsed")
    assert not beyond_a_limit(content)
    for action in parsed.actions:
        prompts = action.prompts if isinstance(action, Interact) else ()
        stroke = action.stroke if isinstance(action, Paint) else None
        for item in (*prompts, stroke):
            if isinstance(item, Stroke):
                assert 1 <= len(item.points) <= MAX_STROKE_POINTS


# ---- the widget, batch after batch ---------------------------------------------------------------

SHAPES = [(24, 32), (24, 32), (20, 28)]  # two sizes: opening another image moves the bounds
IMAGES = [
    np.random.default_rng(i).integers(0, 256, shape, np.uint8) for i, shape in enumerate(SHAPES)
]


def number(limit: int) -> st.SearchStrategy:
    """A coordinate, mostly inside [0, limit), sometimes just outside."""
    return st.integers(-1, limit) | st.floats(-1.5, limit + 0.5)


def well_formed(w: SegmentWidget, kind: str, out: str) -> st.SearchStrategy:
    """The fields of a well-formed action of this kind for the widget as it is (some out of
    range: past the image's border, the log's end, the dataset's end, or a stale version).
    Exports go to folders under ``out``, a temporary folder (or are refused)."""
    height, width = w.session.image.shape[:2]
    point = st.tuples(number(width), number(height)).map(list)
    version = w.log_version
    # structure names: mostly the session's (to switch to, rename) or new ones (to add)
    names = w.session.structures
    known = st.sampled_from([*names, *names, *names, "cell", " "])
    new = st.sampled_from(["cell", "nucleus", "cell 2", names[0], ""])
    fields = {
        "click": {"x": number(width), "y": number(height), "positive": st.booleans()},
        "box": {"box": st.tuples(number(width), number(height), number(width), number(height))},
        "scribble": {
            "points": st.lists(point, min_size=1, max_size=5),
            "positive": st.booleans(),
            "width": st.integers(1, 64) | st.floats(0.5, 300),
        },
        "paint": {
            "points": st.lists(point, min_size=1, max_size=5),
            "positive": st.booleans(),
            "width": st.integers(1, 64) | st.floats(0.5, 300),
        },
        "erase": {
            "positions": st.lists(st.integers(-1, len(w.interactions)), min_size=1, max_size=3),
            "version": st.sampled_from([version, version, version, version - 1, version + 1]),
        },
        "navigate": {"index": st.none() | st.integers(-1, len(SHAPES)), "by": st.integers(-3, 3)},
        "remove_context": {"entry": st.integers(-1, len(w.session.context_indices))},
        "add_context": {"index": st.integers(-1, len(SHAPES))},
        "structure": {"name": known},
        "add_structure": {"name": new},
        "rename_structure": {"old": known, "new": new},
        "export": {
            "format": st.sampled_from([*EXPORT_FORMATS, "jpeg"]),
            "folder": st.sampled_from([f"{out}/masks", f"{out}/a/b/", "", " "]),
        },
        "jump": {"to": st.sampled_from(["1", "#3", "4", "0", "image_0001", "image_9", " ", ""])},
        "thumbnails": {"indices": st.lists(st.integers(-1, len(SHAPES)), max_size=3)},
    }.get(kind, {})
    entries = len(w.session.context_indices)
    optional = {  # allow_empty: confirmed in the browser; position: where Undo puts it back
        "accept": {"allow_empty": st.booleans()},
        "add_context": {"position": st.none() | st.integers(-1, entries + 1)},
        "export": {"overwrite": st.booleans()},  # yes to the widget's question
    }.get(kind, {})
    return st.fixed_dictionaries(fields, optional=optional).map(
        lambda f: {k: _json(v) for k, v in f.items()}
    )


def _json(value: Any) -> Any:
    """As the comm delivers it: JSON has lists, not tuples."""
    return [_json(v) for v in value] if isinstance(value, (list, tuple)) else value


@st.composite
def actions(draw: st.DrawFn, w: SegmentWidget, mutate: bool, out: str) -> Any:
    """An action of any kind, well formed, or (``mutate``) perhaps with a field of a wrong type,
    a field missing or an unknown field, or any JSON value at all."""
    how = draw(st.sampled_from(["as is"] * 6 + ["wrong type", "missing", "unknown", "any"]))
    if not mutate:
        how = "as is"
    if how == "any":
        return draw(JSON)
    kind = draw(st.sampled_from(WEIGHTED_KINDS))
    fields = draw(well_formed(w, kind, out))
    if how == "wrong type" and fields:
        fields[draw(st.sampled_from(sorted(fields)))] = draw(JSON)
    elif how == "missing" and fields:
        del fields[draw(st.sampled_from(sorted(fields)))]
    elif how == "unknown":
        fields[draw(st.text(min_size=1, max_size=5))] = draw(JSON)
    return {"kind": kind, **fields}


@st.composite
def messages(draw: st.DrawFn, w: SegmentWidget, out: str) -> Any:
    """A batch of well-formed actions; of actions some of them malformed; or one with a broken
    request, actions list or fields, or another message altogether; or one at the sizes of the
    limits (a long stroke inside the image, a long batch). Exports go under ``out``."""
    how = draw(st.sampled_from(["well formed"] * 5 + ["mixed"] * 3 + ["request", "actions"]
                               + ["field", "type", "any", "sized"]))  # fmt: skip
    if how == "sized":
        side = min(w.session.image.shape[:2])
        long_stroke = batch(draw(strokes(side, 2 * MAX_STROKE_POINTS)), request=next(_requests))
        steps = st.sampled_from([{"kind": "undo"}, {"kind": "redo"}])
        long_batch = batch(*[draw(steps)] * draw(ACTION_COUNTS), request=next(_requests))
        content = draw(st.sampled_from([long_stroke, long_batch]))
        event("a long stroke" if content is long_stroke else "a long batch")
        return content
    mixed = how != "well formed"
    content = batch(
        *draw(st.lists(actions(w, mixed, out), min_size=1, max_size=5)), request=next(_requests)
    )
    if how in ("request", "actions", "type"):
        content[how] = draw(JSON)
    elif how == "field":
        content[draw(st.text(min_size=1, max_size=5))] = draw(JSON)
    elif how == "any":
        content = draw(JSON)
    return content


@pytest.fixture(scope="module")
def new_predictor(small_nets) -> Callable[[], Predictor]:
    """A fresh Predictor (empty context cache) on the small networks, one per example."""
    return lambda: Predictor(*small_nets)


def state_of(w: SegmentWidget) -> tuple:
    """The session's state: first what the log version counts (image, structure, log)."""
    s = w.session
    return (
        s.index, s.structure, s.interactions, s.structures, sorted(s.accepted),
        s.context_indices, w.log_version,
    )  # fmt: skip


def check_consistent(w: SegmentWidget) -> None:
    s = w.session
    assert 0 <= s.index < len(s) == len(SHAPES) and w.index == s.index
    Prompts.from_json(s.interactions)  # a list of valid prompt JSON
    assert w.interactions == s.interactions
    assert s.mask.dtype == bool and s.mask.shape == SHAPES[s.index]
    assert decode_array(w.mask).shape == SHAPES[s.index]
    for i, mask in s.accepted.items():
        assert mask.dtype == bool and mask.shape == SHAPES[i]
    assert set(s.context_indices) <= set(s.accepted)
    assert [item["index"] for item in w.gallery] == s.context_indices
    assert [STATUSES[c] for c in decode_array(w.progress)] == [s.status(i) for i in range(len(s))]
    assert w.structures == s.structures and len(set(s.structures)) == len(s.structures)
    assert w.structure == s.structure and s.structure in s.structures
    assert len(w.colors) >= len(s.structures)
    # the others: every other structure with an accepted mask of this image, as it is accepted
    others = {item["name"]: decode_array(item["mask"]) for item in w.others}
    expected = {
        name: mask
        for name, mask in s.accepted_masks(s.index).items()
        if name != s.structure and mask.any()
    }
    assert others.keys() == expected.keys()
    for name, mask in others.items():
        assert np.array_equal(mask.astype(bool), expected[name])


def deliver(w: SegmentWidget, content: Any) -> None:
    """One message through the widget's handler; nothing may escape it."""
    is_batch = isinstance(content, dict) and content.get("type") == "actions"
    malformed = False
    if is_batch:
        try:
            parse_batch(content, w.session.structures)
        except ValueError:
            malformed = True
    before, ack, error, colors = state_of(w), w.ack, w.error, w.colors
    w._on_msg(w, content, [])
    after = state_of(w)
    assert "internal error" not in w.error
    if not is_batch:  # not ours: ignored
        assert (after, w.ack, w.error) == (before, ack, error)
        return
    event("malformed" if malformed else "refused" if w.error else "applied")
    if malformed:
        assert w.error and after == before
    assert w.ack == (ack if request_id(content) is None else content["request"])
    log_changed = after[:3] != before[:3]  # (image, structure, log): what the version counts
    assert (after[-1] != before[-1]) == log_changed
    assert w.colors[: len(colors)] == colors  # a structure keeps its colour (renamed: too)
    check_consistent(w)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_any_batch_ends_in_a_clear_error_or_a_valid_change(new_predictor, data):
    with (
        tempfile.TemporaryDirectory() as work,
        tempfile.TemporaryDirectory() as out,
        contextlib.chdir(out),  # a folder of a wrong type that is a string: a relative path
        single_torch_thread(),
    ):
        # a work folder in some examples (every commit fsyncs: slow)
        workdir = data.draw(st.sampled_from([None, None, None, work]), label="workdir")
        structures = data.draw(st.sampled_from([None, ["a", "b"]]), label="structures")
        w = mvw.annotate(IMAGES, model=new_predictor(), workdir=workdir, structures=structures)
        for _ in range(data.draw(st.integers(0, 2), label="accepted first")):
            deliver(
                w, batch({"kind": "click", "x": 9, "y": 9, "positive": True}, {"kind": "accept"})
            )
        if structures and data.draw(st.booleans(), label="the other structure, on image 0"):
            other = {"kind": "structure", "name": "b"}
            deliver(w, batch(other, {"kind": "navigate", "index": 0, "by": 0}, request=0))
        for _ in range(data.draw(st.integers(1, 8), label="batches")):
            deliver(w, data.draw(messages(w, out)))
        # whatever happened, undo and redo still work
        log, mask = w.session.interactions, w.session.mask
        deliver(w, batch({"kind": "undo"}, request=next(_requests)))
        assert w.error == ""
        if w.session.interactions != log:
            deliver(w, batch({"kind": "redo"}, request=next(_requests)))
            assert w.error == "" and w.session.interactions == log
            assert np.array_equal(w.session.mask, mask)
