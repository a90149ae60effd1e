"""The widget at 100,000 images: what a click sends and costs does not grow with the dataset
(the progress arrays go only when they change, no Python pass over the images), the jump box
finds images by name or number, and the gallery's thumbnails come only when asked for."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

import numpy as np
import pytest

import multiverseg_widget as mvw
from multiverseg_widget.annotation.image_status import STATUSES
from multiverseg_widget.annotation.propagation import Propagation
from multiverseg_widget.model import Predictor
from multiverseg_widget.widget.codec import decode_array
from multiverseg_widget.widget.display import Thumbnails
from multiverseg_widget.widget.widget import SegmentWidget

COUNT = 100_000
_requests = itertools.count(1)


@pytest.fixture(scope="module")
def big(small_nets) -> SegmentWidget:
    """One widget on 100,000 tiny images (built once: the tests below leave it as they found
    it, or say what they changed)."""
    images = np.random.default_rng(0).random((COUNT, 16, 16), dtype=np.float32)
    return mvw.annotate(images, model=Predictor(*small_nets))


def send(widget: SegmentWidget, *actions: dict) -> None:
    widget._on_msg(
        widget, {"type": "actions", "request": next(_requests), "actions": list(actions)}, []
    )


class CountingConfidence(Mapping[int, float]):
    """A propagation's confidence that counts the passes over it (a lazily read one may come)."""

    def __init__(self, values: dict[int, float]) -> None:
        self.values, self.passes = values, 0

    def __getitem__(self, i: int) -> float:
        return self.values[i]

    def __iter__(self) -> Iterator[int]:
        self.passes += 1
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def sent(widget: SegmentWidget, *actions: dict) -> set[str]:
    """The traits that changed (and so were sent) while the widget handled these actions."""
    changed: set[str] = set()
    handler = lambda change: changed.add(change["name"])  # noqa: E731
    widget.observe(handler)
    try:
        send(widget, *actions)
    finally:
        widget.unobserve(handler)
    return changed


def test_a_click_sends_the_progress_only_when_a_status_changed(big):
    s = big.session
    s.goto(7)
    first = sent(big, {"kind": "click", "x": 8, "y": 8, "positive": True})
    assert big.error == "" and "progress" in first  # image 7: todo -> in progress
    codes = decode_array(big.progress)
    assert codes.shape == (COUNT,) and codes.dtype == np.uint8
    assert STATUSES[codes[7]] == "in progress" and np.count_nonzero(codes) == 1
    again = sent(big, {"kind": "click", "x": 3, "y": 3, "positive": False})
    assert "progress" not in again and "confidence" not in again and "gallery" not in again
    assert "mask" in again or "interactions" in again
    send(big, {"kind": "clear"})
    assert np.count_nonzero(decode_array(big.progress)) == 0


def test_the_confidence_array_is_built_once_per_propagation_not_per_click(big):
    s = big.session
    confidence = CountingConfidence({i: i / COUNT for i in range(0, COUNT, 3)})
    s.propagated = Propagation({}, confidence)
    try:
        big.refresh()
        dense = decode_array(big.confidence)
        assert dense.shape == (COUNT,) and dense[3] == pytest.approx(3 / COUNT)
        assert np.isnan(dense[1]) and np.count_nonzero(~np.isnan(dense)) == len(confidence)
        passes = confidence.passes
        changed = sent(big, {"kind": "click", "x": 8, "y": 8, "positive": True}, {"kind": "clear"})
        assert confidence.passes == passes and "confidence" not in changed
    finally:
        s.propagated = None
        big.refresh()
    assert decode_array(big.confidence).shape == (0,)


def test_the_jump_box_opens_an_image_by_name_or_number(big):
    s = big.session
    send(big, {"kind": "jump", "to": s.names[54_321]})
    assert big.error == "" and big.index == s.index == 54_321
    send(big, {"kind": "jump", "to": "100000"})
    assert big.error == "" and big.index == COUNT - 1
    send(big, {"kind": "jump", "to": "#12"})
    assert big.error == "" and big.index == 11
    for text, message in [
        ("no such image", "no image is named 'no such image': type an image's name or a number"),
        ("100001", "there is no image 100001: the images are 1 to 100000"),
        ("0", "there is no image 0"),
    ]:
        send(big, {"kind": "jump", "to": text})
        assert message in big.error and big.index == s.index == 11  # nothing changed
    send(big, {"kind": "jump", "to": "1"})
    assert big.error == "" and big.index == 0


def test_the_gallery_lists_no_pixels_and_thumbnails_come_when_asked(big):
    s = big.session
    for i in (5, 6, 7):
        s.goto(i)
        s.accept(allow_empty=True)
    try:
        big.refresh()
        assert [(g["index"], g["name"]) for g in big.gallery] == [
            (i, s.names[i]) for i in (5, 6, 7)
        ]
        assert all(set(g) == {"index", "name", "key"} for g in big.gallery)
        keys = {g["index"]: g["key"] for g in big.gallery}
        serial = big.thumbnails.get("serial", 0)
        send(big, {"kind": "thumbnails", "indices": [7, 5, 999]})  # 999 is not in the context
        assert big.error == "" and big.thumbnails["serial"] == serial + 1
        items = big.thumbnails["items"]
        assert [(t["index"], t["key"]) for t in items] == [(7, keys[7]), (5, keys[5])]
        assert decode_array(items[0]["image"]).shape == (64, 64)
        send(big, {"kind": "thumbnails", "indices": [7, 5, 999]})  # the same answer, sent again
        assert big.thumbnails["serial"] == serial + 2
        send(big, {"kind": "thumbnails", "indices": [COUNT]})
        assert "there are 100000 images" in big.error
        # a request for thumbnails alone leaves what the status and error lines say
        send(big, {"kind": "jump", "to": "nowhere"})
        error = big.error
        send(big, {"kind": "thumbnails", "indices": [5]})
        assert big.error == error and "nowhere" in error
        send(big, {"kind": "remove_context", "entry": 2})
        assert big.notice == "image 8 left the context set"
        send(big, {"kind": "thumbnails", "indices": [5]})
        assert big.notice == "image 8 left the context set" and big.error == ""
        s.add_to_context(7)
    finally:
        for _ in range(3):
            s.remove_context(0)


def test_a_thumbnail_keeps_its_key_until_its_mask_changes_and_the_cache_is_bounded(small_nets):
    images = np.random.default_rng(1).random((6, 16, 16), dtype=np.float32)
    s = mvw.Session(images, model=Predictor(*small_nets))
    for i in range(5):
        s.goto(i)
        s.accept(allow_empty=True)
    thumbnails = Thumbnails(size=3)
    first = thumbnails(s, [0, 1, 2, 3, 4])
    assert [t["index"] for t in first] == [0, 1, 2, 3, 4]
    assert len(thumbnails._made) == 3  # the least recently used went
    key = thumbnails.key(s, 4)
    assert thumbnails(s, [4])[0] is first[4]  # cached
    s.goto(4)
    s.set_mask(np.ones((16, 16), bool))
    s.accept()
    assert thumbnails.key(s, 4) != key and decode_array(thumbnails(s, [4])[0]["mask"]).all()


def test_a_click_reads_no_accepted_mask_back_for_the_gallery(tmp_path, small_nets, monkeypatch):
    """With a work folder, accepted masks beyond the cache are read back from disk when asked
    for: the gallery's keys must not ask for them (nor change) on every click."""
    from multiverseg_widget.annotation import accepted_masks
    from multiverseg_widget.annotation.store import WorkFolder

    monkeypatch.setattr(accepted_masks, "CACHE", 2)
    images = np.random.default_rng(1).random((6, 16, 16), dtype=np.float32)
    session = mvw.Session(images, model=Predictor(*small_nets), workdir=tmp_path / "work")
    session.import_masks({i: np.eye(16, dtype=bool) for i in range(4)}, structure=session.structure)
    widget = mvw.annotate(session)
    keys = [item["key"] for item in widget.gallery]
    send(widget, {"kind": "click", "x": 8, "y": 8, "positive": True})  # prepares the context
    reads = []
    read_mask = WorkFolder.read_mask
    monkeypatch.setattr(WorkFolder, "read_mask", lambda *a: reads.append(1) or read_mask(*a))
    send(widget, {"kind": "click", "x": 4, "y": 4, "positive": False})
    assert [item["key"] for item in widget.gallery] == keys and not widget.error
    assert reads == []
