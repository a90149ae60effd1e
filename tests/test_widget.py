"""SegmentWidget driven through its comm message handler, exactly as the browser drives it."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers

import multiverseg_widget as mvw
from multiverseg_widget import Session
from multiverseg_widget import data as mvw_data
from multiverseg_widget.annotation.image_status import STATUSES
from multiverseg_widget.model import Predictor, load_model
from multiverseg_widget.model.context_check import ContextPolicy
from multiverseg_widget.model.load import DEFAULT_CHECKPOINT
from multiverseg_widget.prompts import Stroke
from multiverseg_widget.prompts.vocabulary import MAX_BRUSH
from multiverseg_widget.widget.codec import decode_array
from multiverseg_widget.widget.display import PALETTE, displayable
from multiverseg_widget.widget.model_info import describe_model
from multiverseg_widget.widget.notices import adapting, checking
from multiverseg_widget.widget.traits import MIN_BRUSH, SLIDER_MAX_BRUSH, STATIC
from multiverseg_widget.widget.widget import SegmentWidget

_requests = itertools.count(1)


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    return mvw_data.demo_dataset("bbbc039_nuclei").images[:4]


@pytest.fixture()
def widget(images, small_predictor, tmp_path) -> SegmentWidget:
    return mvw.annotate(images, model=small_predictor, workdir=tmp_path / "work")


def deliver(widget: SegmentWidget, content: object) -> None:
    """A custom message from the front end, through ipywidgets' comm entry point."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


def send(widget: SegmentWidget, *actions: dict) -> int:
    """One request (a batch of actions) as the front end sends it; returns its id."""
    request = next(_requests)
    deliver(widget, {"type": "actions", "request": request, "actions": list(actions)})
    return request


def statuses(widget: SegmentWidget) -> list[str]:
    """Every image's status, as the strip reads the ``progress`` trait."""
    return [STATUSES[c] for c in decode_array(widget.progress)]


def click(x: float, y: float, positive: bool = True) -> dict:
    return {"kind": "click", "x": x, "y": y, "positive": positive}


def scribble(points: list, positive: bool = True, width: float = 3) -> dict:
    return {"kind": "scribble", "points": points, "positive": positive, "width": width}


def test_initial_state_is_sent_as_binary_buffers(widget, images):
    assert np.array_equal(decode_array(widget.image), images[0])
    assert not decode_array(widget.mask).any()
    assert statuses(widget) == ["todo"] * 4 and widget.index == 0 and widget.gallery == []
    state, _, buffers = _remove_buffers(widget.get_state())
    assert sum(len(b) for b in buffers) >= images[0].nbytes  # image and mask: raw bytes
    data_traits = {k: state[k] for k in ("image", "mask", "gallery", "interactions")}
    assert len(json.dumps(data_traits)) < 200  # no pixels in the JSON part


def test_click_box_scribble_reach_the_session_and_come_back(widget):
    request = send(widget, click(100, 120), {"kind": "box", "box": [60, 70, 160, 180]})
    send(widget, scribble([[20, 20], [40, 30]], positive=False))
    session = widget.session
    kinds = [e["kind"] for e in session.interactions]
    assert kinds == ["click", "box", "scribble"]
    assert widget.interactions == session.interactions
    assert np.array_equal(decode_array(widget.mask).astype(bool), session.mask)
    assert widget.ack == request + 1 and widget.error == ""
    assert statuses(widget)[0] == "in progress"
    assert widget.seconds == pytest.approx(session.prediction.seconds)


def test_bad_input_shows_in_the_status_line_and_changes_nothing(widget):
    send(widget, click(10, 10))
    before = widget.session.interactions
    request = send(widget, click(5000, 10), click(20, 20))  # the batch stops at the bad click
    assert "outside the image" in widget.error
    assert widget.session.interactions == before and widget.ack == request
    for bad in ({"kind": "teleport"}, {"kind": "click", "x": 1}, "click", {"kind": "box"}):
        send(widget, bad)
        assert widget.error, bad
    send(widget, click(40, 40), {"kind": "navigate", "index": None, "by": "1"})
    assert "navigate step must be an int" in widget.error  # a malformed batch changes nothing
    assert widget.session.interactions == before
    send(widget, click(30, 30))
    assert widget.error == "" and len(widget.session.interactions) == 2


def test_messages_of_other_types_are_ignored(widget):
    deliver(widget, {"type": "ping"})
    assert widget.ack == 0 and widget.error == ""
    deliver(widget, {"type": "actions", "actions": [click(1, 1)]})
    assert widget.ack == 0 and "request must be an int" in widget.error
    deliver(widget, {"type": "actions", "request": 7, "actions": 3})
    assert widget.ack == 7 and "must be a list" in widget.error  # answered: the browser waits
    assert widget.session.interactions == []


def test_undo_redo_clear(widget):
    send(widget, click(100, 120))
    send(widget, click(50, 50, positive=False))
    send(widget, {"kind": "undo"})
    assert len(widget.interactions) == 1
    send(widget, {"kind": "redo"})
    assert len(widget.interactions) == 2
    send(widget, {"kind": "clear"})
    assert widget.interactions == [] and not decode_array(widget.mask).any()
    send(widget, {"kind": "undo"})
    assert len(widget.interactions) == 2


def paint(points: list, positive: bool = True, width: float = 5) -> dict:
    return {"kind": "paint", "points": points, "positive": positive, "width": width}


def test_paint_adds_to_and_erases_from_the_mask_as_undoable_hand_edits(widget):
    send(widget, paint([[10, 10], [40, 10]]))
    painted = decode_array(widget.mask).astype(bool)
    assert painted[10, 10:41].all() and painted[8:13, 25].all() and not painted[20, 25]
    assert painted.sum() == widget.session.mask.sum()
    assert [e["kind"] for e in widget.interactions] == ["mask"]
    assert (widget.session.workdir / widget.interactions[0]["file"]).exists()  # like set_mask
    send(widget, paint([[25, 10]], positive=False, width=3))
    erased = decode_array(widget.mask).astype(bool)
    assert not erased[10, 25] and erased[10, 10] and erased.sum() < painted.sum()
    send(widget, {"kind": "undo"})
    assert np.array_equal(widget.session.mask, painted)
    send(widget, {"kind": "undo"})
    assert not widget.session.mask.any() and widget.interactions == []
    versions = widget.log_version
    send(widget, paint([[10, 10]], positive=False))  # erasing nothing: no step
    assert widget.interactions == [] and widget.log_version == versions and widget.error == ""


def test_paint_outside_the_image_is_refused(widget):
    height = widget.session.image.shape[0]
    send(widget, paint([[10, 10], [10, height + 5]]))
    assert "outside" in widget.error and widget.interactions == []


def test_a_burst_of_interactions_costs_one_prediction_and_one_undo_step(widget, monkeypatch):
    """Latest wins: what the user did while the model was busy arrives as one batch, and the
    kernel predicts once for its end state instead of working through a backlog."""
    model = widget.session.model
    calls = []
    real_predict = model.predict
    monkeypatch.setattr(model, "predict", lambda *a, **k: calls.append(1) or real_predict(*a, **k))
    send(widget, *[click(10 + 5 * k, 20 + 3 * k, positive=k % 2 == 0) for k in range(12)])
    assert len(calls) == 1 and len(widget.interactions) == 12
    send(widget, {"kind": "undo"})
    assert widget.interactions == []


def erase(widget: SegmentWidget, *positions: int) -> dict:
    """The eraser's action, as the front end sends it for the log it was sent last."""
    return {"kind": "erase", "positions": list(positions), "version": widget.log_version}


def test_eraser_removes_a_stroke_and_one_undo_brings_it_back(widget):
    send(widget, click(100, 120))
    send(widget, scribble([[10, 10], [30, 12]]))
    send(widget, click(200, 30, positive=False))
    stroke = widget.interactions[1]
    send(widget, erase(widget, 1))
    assert [e["kind"] for e in widget.session.interactions] == ["click", "click"]
    send(widget, {"kind": "undo"})
    assert widget.session.interactions[1] == stroke and len(widget.interactions) == 3
    send(widget, {"kind": "redo"})
    assert [e["kind"] for e in widget.interactions] == ["click", "click"]
    send(widget, {"kind": "undo"}, {"kind": "undo"})  # the erase, then the last click
    assert [e["kind"] for e in widget.interactions] == ["click", "scribble"]
    send(widget, erase(widget, 2))
    assert "not in the log" in widget.error and len(widget.interactions) == 2


def test_the_log_version_changes_with_the_log_the_browser_sees(widget):
    versions = [widget.log_version]
    send(widget, click(10, 10))
    send(widget, {"kind": "undo"})
    send(widget, {"kind": "redo"})
    send(widget, {"kind": "navigate", "index": 1, "by": 0})  # another image, also with no log
    versions += [widget.log_version]
    send(widget, {"kind": "navigate", "index": 1, "by": 0})
    send(widget, click(5000, 5000))  # refused: nothing changed
    assert widget.error
    assert versions == [versions[0], versions[0] + 4] and widget.log_version == versions[1]


def test_an_erase_for_a_changed_log_is_refused_and_changes_nothing(widget):
    send(widget, scribble([[10, 10], [30, 12]]), scribble([[50, 50], [60, 60]], positive=False))
    stale = erase(widget, 0)
    send(widget, {"kind": "undo"})
    send(widget, scribble([[90, 90], [99, 99]]))  # the log at position 0 is another stroke now
    before = widget.session.interactions
    send(widget, stale)
    assert "changed since the eraser saw them" in widget.error
    assert widget.session.interactions == before
    send(widget, erase(widget, 0), {"kind": "undo"}, {"kind": "redo"})
    assert widget.error == "" and len(widget.session.interactions) == 0
    send(widget, {"kind": "undo"})
    send(widget, click(1, 1), erase(widget, 0))  # a click appended first: positions still hold
    assert widget.error == "" and [e["kind"] for e in widget.interactions] == ["click"]
    send(widget, {"kind": "undo"}, erase(widget, 0))  # the undo changed the log it names
    assert "changed since the eraser saw them" in widget.error
    widget.session.undo()  # from Python, not yet shown: the browser's positions are stale
    send(widget, erase(widget, 0))
    assert "changed since the eraser saw them" in widget.error


def test_accept_fills_the_gallery_and_gallery_clicks_navigate(widget, images):
    send(widget, click(100, 120))
    accepted_mask = widget.session.mask
    send(widget, {"kind": "accept"})
    session = widget.session
    assert np.array_equal(session.accepted[0], accepted_mask)
    assert session.index == 1 and widget.index == 1
    assert np.array_equal(decode_array(widget.image), images[1])
    assert statuses(widget)[:2] == ["accepted", "todo"]
    assert [(g["index"], g["name"]) for g in widget.gallery] == [(0, session.names[0])]
    send(widget, {"kind": "thumbnails", "indices": [0]})  # the gallery's item scrolled into view
    (item,) = widget.thumbnails["items"]
    assert item["key"] == widget.gallery[0]["key"] and item["index"] == 0
    thumb, thumb_mask = decode_array(item["image"]), decode_array(item["mask"])
    assert thumb.shape == thumb_mask.shape == (64, 64) and thumb_mask.any() == accepted_mask.any()
    assert list(Path(session.workdir, "masks").iterdir())  # saved by the store
    send(widget, {"kind": "navigate", "index": 0, "by": 0})  # a thumbnail click
    assert widget.index == 0 and np.array_equal(decode_array(widget.image), images[0])
    send(widget, {"kind": "remove_context", "entry": 0})
    assert widget.gallery == [] and session.context_indices == [] and 0 in session.accepted
    assert widget.notice == "image 1 left the context set"  # the status line offers Undo


@pytest.mark.usefixtures("quick_adaptation")
def test_the_next_image_shows_at_once_and_its_adapted_prediction_follows(
    images, small_nets, tmp_path
):
    model = Predictor(*small_nets, adapt_to_context=True)
    widget = mvw.annotate(images, model=model, workdir=tmp_path / "work")
    seen = []  # what each state sent said, and whether the request was answered with it
    widget.observe(
        lambda change: seen.append((change["new"], widget.index, widget.ack)), names="notice"
    )
    first = send(widget, click(100, 120), {"kind": "accept"})
    assert seen == [] and widget.ack == first  # one context image: nothing to adapt
    second = send(widget, click(100, 120), {"kind": "accept"})
    assert seen == [(adapting(2).text, 2, first), ("", 2, first)]  # then the answer
    assert widget.ack == second and widget.session.prediction.adapted
    np.testing.assert_array_equal(decode_array(widget.mask), widget.session.prediction.mask)


def test_the_next_image_shows_at_once_and_its_context_check_follows(images, small_nets):
    model = Predictor(*small_nets, context_policy=ContextPolicy())
    widget = mvw.annotate(images, model=model)
    seen = []  # what each state sent said, the image, and the context note beside it
    widget.observe(
        lambda change: seen.append((change["new"], widget.index, widget.context_note)),
        names="notice",
    )
    send(widget, click(100, 120), {"kind": "accept"})
    assert seen == [] and widget.context_note == ""  # one context image: nothing to check
    send(widget, click(100, 120), {"kind": "accept"})
    assert [(notice, index) for notice, index, _ in seen] == [(checking().text, 2), ("", 2)]
    estimate = widget.session.context_estimate
    assert estimate is not None and estimate.n_checked == 2
    assert seen[0][2] == "" and seen[1][2] == widget.session.context_note != ""
    assert not widget.session.pending_check


def test_undo_puts_a_removed_image_back_into_the_context_set(widget):
    session = widget.session
    send(widget, click(100, 120), {"kind": "accept"}, click(100, 120), {"kind": "accept"})
    assert session.context_indices == [0, 1]
    send(widget, {"kind": "remove_context", "entry": 0})
    assert widget.notice == "image 1 left the context set" and session.context_indices == [1]
    assert widget.notices == [{"code": "context_removed", "args": {"index": 0}}]  # Undo's cue
    send(widget, {"kind": "add_context", "index": 0, "position": 0})  # Undo
    assert session.context_indices == [0, 1] and [g["index"] for g in widget.gallery] == [0, 1]
    assert widget.error == "" and widget.notice == "" and widget.notices == []
    for action, message in [
        ({"kind": "add_context", "index": 0}, "already in the context set"),
        ({"kind": "add_context", "index": 3}, "image 3 is not accepted"),
        ({"kind": "add_context", "index": 9}, "image index must be an int in [0, 4)"),
        ({"kind": "add_context", "index": "0"}, "context image index must be an int"),
    ]:
        send(widget, action)
        assert message in widget.error and session.context_indices == [0, 1]
    send(widget, {"kind": "remove_context", "entry": 1}, {"kind": "add_context", "index": 1})
    assert session.context_indices == [0, 1] and widget.error == ""


def test_an_empty_mask_is_accepted_only_once_the_user_confirmed_it(widget):
    assert not widget.session.mask.any()  # no prompt, no context: nothing predicted
    send(widget, {"kind": "accept"})
    assert "is empty" in widget.error and widget.session.accepted == {}
    send(widget, {"kind": "accept", "allow_empty": True})  # the widget asked, the user confirmed
    assert widget.error == "" and not widget.session.accepted[0].any() and widget.index == 1


def test_the_last_propagation_confidence_is_sent_per_image(widget):
    assert decode_array(widget.confidence).shape == (0,)  # no propagation yet
    send(widget, click(100, 120), {"kind": "accept"})
    result = widget.session.propagate(progress=False)
    widget.refresh()
    confidence = decode_array(widget.confidence)
    assert np.isnan(confidence[0])  # accepted: not propagated
    assert confidence[1:] == pytest.approx([result.confidence[i] for i in (1, 2, 3)])


def test_navigation_steps_stay_inside_the_dataset(widget):
    send(widget, {"kind": "navigate", "index": None, "by": 10})
    assert widget.index == 3
    send(widget, {"kind": "navigate", "index": 1, "by": -5})
    assert widget.index == 0
    send(widget, {"kind": "navigate", "index": 9, "by": 0})
    assert "image index" in widget.error and widget.index == 0


def test_suggest_opens_an_open_image_and_says_why(widget, monkeypatch):
    send(widget, {"kind": "suggest"})
    assert widget.index == 0 and "no context set yet" in widget.notice
    send(widget, click(100, 120), {"kind": "accept"}, {"kind": "suggest"})
    assert widget.error == "" and widget.index in (1, 2, 3)
    confidence = widget.session.propagated.confidence
    below = sum(confidence[i] < 0.8 for i in (1, 2, 3))
    expected = f"confidence {confidence[widget.index]:.0%}; {below} of 3 open images below 80%"
    assert widget.notice.endswith(expected)
    # the propagation of this context set is reused: a second suggestion predicts nothing
    with monkeypatch.context() as patch:
        patch.setattr(widget.session, "propagate", lambda *a, **k: pytest.fail("predicted"))
        send(widget, {"kind": "navigate", "index": 0, "by": 0}, {"kind": "suggest"})
    assert widget.notice.endswith(expected)
    send(widget, click(10, 10))
    assert widget.notice == ""  # said once, after the suggestion
    for _ in range(3):
        send(widget, {"kind": "suggest"}, {"kind": "accept"})
    send(widget, {"kind": "suggest"})
    assert "every image is accepted" in widget.error


def test_a_widget_resumed_from_its_folder_shows_the_view_it_was_left_with(widget, small_predictor):
    widget.brush, widget.opacity, widget.overlay_mode = 11, 0.8, "contour"  # as the browser sets
    widget.colors = ["#123456"]
    work = widget.session.workdir
    resumed = mvw.annotate(Session.resume(work, model=small_predictor))
    assert (resumed.brush, resumed.opacity, resumed.overlay_mode) == (11, 0.8, "contour")
    assert resumed.colors == ["#123456"]
    assert SegmentWidget(Session.resume(work, model=small_predictor), brush=4).brush == 4
    again = Session.resume(work, model=small_predictor)
    assert again.view["brush"] == 4  # given, and kept
    again.view = {**again.view, "brush": 999, "later": 1}  # not a brush: the default
    assert mvw.annotate(again).brush == SegmentWidget.brush.default_value


def test_the_brush_slider_reaches_only_widths_the_vocabulary_takes():
    assert 1 <= MIN_BRUSH < SLIDER_MAX_BRUSH <= MAX_BRUSH
    for width in (MIN_BRUSH, SLIDER_MAX_BRUSH):
        Stroke(((0, 0), (3, 4)), True, width)  # a valid scribble
    assert (SegmentWidget.brush.min, SegmentWidget.brush.max) == (MIN_BRUSH, SLIDER_MAX_BRUSH)


def test_refresh_shows_changes_made_from_python(widget):
    widget.session.goto(2)
    widget.session.click(40, 40)
    widget.refresh()
    assert widget.index == 2 and len(widget.interactions) == 1


def structure(name: str) -> dict:
    return {"kind": "structure", "name": name}


def test_structures_are_added_switched_and_renamed_from_the_browser(widget):
    s = widget.session
    assert widget.structures == ["object"] and widget.structure == "object"
    assert widget.colors == [PALETTE[0]] and widget.others == []
    send(widget, click(50, 60))
    version = widget.log_version
    send(widget, {"kind": "add_structure", "name": "nucleus"}, structure("nucleus"))
    assert s.structures == widget.structures == ["object", "nucleus"]
    assert s.structure == widget.structure == "nucleus" and widget.colors == list(PALETTE[:2])
    assert widget.interactions == [] and widget.log_version == version + 1  # the new one's log
    assert statuses(widget)[0] == "todo"  # the progress strip follows the structure
    send(widget, click(100, 120))
    nucleus = s.mask
    send(widget, {"kind": "accept"})
    assert widget.index == 1 and [g["index"] for g in widget.gallery] == [0]
    send(widget, {"kind": "navigate", "index": 0, "by": 0}, structure("object"))
    assert widget.structure == "object" and widget.gallery == []  # the gallery follows too
    assert statuses(widget)[0] == "in progress" and len(widget.interactions) == 1
    # the other structure's accepted mask of this image, as a binary buffer
    (other,) = widget.others
    assert other["name"] == "nucleus"
    assert np.array_equal(decode_array(other["mask"]).astype(bool), nucleus)
    state, _, _ = _remove_buffers(widget.get_state())
    assert len(json.dumps(state["others"])) < 200
    send(widget, {"kind": "rename_structure", "old": "nucleus", "new": "nuclei"})
    assert s.structures == widget.structures == ["object", "nuclei"]
    assert widget.others[0]["name"] == "nuclei" and widget.colors == list(PALETTE[:2])
    send(widget, structure("nuclei"))
    assert widget.others == [] and [g["index"] for g in widget.gallery] == [0]


def test_structure_colours_are_the_widgets_and_kept(widget):
    widget.set_state({"colors": ["#12AB34"]})  # as the browser's colour input sets it
    assert widget.colors == ["#12ab34"]
    widget.session.add_structure("cell")
    widget.session.rename_structure("object", "tissue")
    widget.refresh()
    assert widget.colors == ["#12ab34", PALETTE[1]]  # the renamed one keeps its colour
    with pytest.raises(traitlets.TraitError, match="structure colours are #rrggbb"):
        widget.set_state({"colors": ["red", "#000000"]})
    assert widget.colors == ["#12ab34", PALETTE[1]]


def test_structure_actions_with_bad_names_change_nothing(widget):
    send(widget, {"kind": "add_structure", "name": "a"}, structure("b"))
    assert "action 1: no structure named 'b'" in widget.error
    for bad, message in [
        ({"kind": "add_structure", "name": " "}, "a structure needs a non-empty name"),
        ({"kind": "add_structure", "name": "object"}, "already a structure named 'object'"),
        ({"kind": "rename_structure", "old": "nope", "new": "x"}, "no structure named 'nope'"),
        ({"kind": "rename_structure", "old": "object", "new": ""}, "non-empty name"),
        (structure(None), "a structure name must be a string, got None"),
        ({"kind": "rename_structure", "old": "object", "new": "BACKGROUND"}, "is reserved"),
    ]:
        send(widget, bad)
        assert message in widget.error, bad
    assert widget.session.structures == widget.structures == ["object"]
    send(
        widget,
        {"kind": "add_structure", "name": "a"},
        {"kind": "add_structure", "name": "Background"},
    )
    assert "action 1: 'Background' is reserved" in widget.error  # the whole batch refused
    assert widget.session.structures == widget.structures == ["object"]


def test_an_erase_after_a_switch_is_refused_even_where_the_logs_look_alike(widget):
    stroke = scribble([[10, 10], [30, 12]])
    send(widget, stroke, {"kind": "add_structure", "name": "b"}, structure("b"), stroke)
    send(widget, structure("object"), erase(widget, 0))
    assert "changed since the eraser saw them" in widget.error
    assert widget.structure == "object" and len(widget.session.interactions) == 1  # kept


def test_the_model_in_use_is_named_with_its_device_and_size(widget, small_nets):
    parameters = sum(p.numel() for p in widget.session.model.parameters())
    assert widget.model_info == {
        "name": "custom",
        "device": "cpu",
        "parameters": parameters,
        "adapts": False,
    }
    assert describe_model(load_model())["name"] == "built-in"
    assert describe_model(Predictor(*small_nets, adapt_to_context=True))["adapts"]
    named = {
        str(DEFAULT_CHECKPOINT): "built-in",
        "/cache/MultiverSeg_v1_nf256_res128.pt": "official v1",
        "/cache/MultiverSeg_v0_nf256_res128.pt": "official v0",
        "runs/mine/best.pt": "best.pt",
    }
    for source, name in named.items():
        assert describe_model(Predictor(*small_nets, metadata={"source": source}))["name"] == name


def test_annotate_takes_a_session_and_rejects_unknown_options(images, small_predictor):
    session = mvw.Session(images, model=small_predictor)
    assert mvw.annotate(session).session is session
    with pytest.raises(ValueError, match="pass the Session alone"):
        mvw.annotate(session, model=small_predictor)
    with pytest.raises(TypeError):
        SegmentWidget(session, colour="red")


def test_images_are_sent_with_their_own_values():
    u16 = np.arange(12, dtype=np.uint16).reshape(3, 4) * 1000
    assert displayable(u16).dtype == np.uint16
    assert displayable(u16.astype(np.float64)).dtype == np.float32
    assert displayable(np.ones((3, 4), bool)).max() == 255
    assert displayable(np.zeros((3, 4, 4), np.uint8)).shape == (3, 4, 3)
    assert displayable(np.zeros((3, 4, 1), np.int16)).shape == (3, 4)


def test_the_front_end_is_shipped_and_loads_nothing_from_a_network():
    source = (STATIC / "widget.js").read_text()
    assert "export default" in source and (STATIC / "widget.css").is_file()
    assert not re.search(r"https?://|import\s*\(|^import\s", source, re.MULTILINE)


def test_export_writes_the_accepted_masks_and_says_how_many_and_where(
    widget, tmp_path, monkeypatch
):
    send(widget, {"kind": "export", "format": "png", "folder": "masks/"})
    assert "nothing to export" in widget.error  # nothing accepted yet: the usual error line
    send(widget, click(100, 120), {"kind": "accept"}, click(60, 80), {"kind": "accept"})
    monkeypatch.chdir(tmp_path)  # a relative folder is the kernel's working directory's
    send(widget, {"kind": "export", "format": "png", "folder": "masks/"})
    assert widget.error == ""
    assert widget.notice == f"exported the masks of 2 images as png to {tmp_path / 'masks'}"
    assert len(list((tmp_path / "masks").glob("*.png"))) == 2
    send(widget, {"kind": "export", "format": "labelmap", "folder": str(tmp_path / "maps")})
    assert widget.notice == f"exported the masks of 2 images as labelmap to {tmp_path / 'maps'}"
    assert (tmp_path / "maps" / "labels.json").is_file()
    send(widget, {"kind": "export", "format": "npz", "folder": ""})
    assert "must be a non-empty path" in widget.error


def test_the_prompts_of_each_context_image_are_counted_in_the_order_they_joined(widget):
    assert widget.prompts_per_accept == []
    send(widget, click(100, 120), click(60, 80), click(30, 30, False), {"kind": "accept"})
    send(widget, click(100, 120), {"kind": "accept"})
    assert widget.prompts_per_accept == [3, 1]
    send(widget, {"kind": "accept", "allow_empty": True})  # image 3 as predicted: no prompt
    assert widget.prompts_per_accept == [3, 1, 0]
    send(widget, {"kind": "navigate", "index": 0, "by": 0}, click(10, 10), {"kind": "accept"})
    assert widget.prompts_per_accept == [4, 1, 0]  # accepted again: its place, its new count
    send(widget, {"kind": "add_structure", "name": "cell"}, {"kind": "structure", "name": "cell"})
    assert widget.prompts_per_accept == []  # the current structure's
    first = widget.session.structures[0]
    send(widget, {"kind": "rename_structure", "old": first, "new": "nuclei 2"})
    send(widget, {"kind": "structure", "name": "nuclei 2"})
    assert widget.prompts_per_accept == [4, 1, 0]  # a rename keeps them
    resumed = SegmentWidget(Session.resume(widget.session.workdir, model=widget.session.model))
    resumed.session.structure = "nuclei 2"
    resumed.refresh()
    assert resumed.prompts_per_accept == [4, 1, 0]  # and a resumed session knows them
