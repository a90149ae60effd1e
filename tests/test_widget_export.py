"""The widget's export bar through the kernel side, as the browser drives it: a folder per
format beside the work folder, the question before an overwrite and the confirmation, the
refusals on the error line, and the folder the status line names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import multiverseg_widget as mvw
from multiverseg_widget.widget.fields import EXPORT_FORMATS
from multiverseg_widget.widget.widget import SegmentWidget

from .session_helpers import folder_snapshot
from .test_widget import click, send


@pytest.fixture()
def widget(nuclei, small_predictor, tmp_path, monkeypatch) -> SegmentWidget:
    """Two images accepted; the kernel's working directory is tmp_path."""
    monkeypatch.chdir(tmp_path)
    w = mvw.annotate(list(nuclei["images"][:4]), model=small_predictor, workdir="project/work")
    send(w, click(100, 120), {"kind": "accept"}, click(60, 80), {"kind": "accept"})
    assert sorted(w.session.accepted) == [0, 1]
    return w


def export(format: str, folder: str, **more: bool) -> dict:
    return {"kind": "export", "format": format, "folder": folder, **more}


def test_each_format_has_its_folder_beside_the_work_folder(widget, tmp_path):
    folders = widget.export_bar["folders"]
    assert folders == {f: str(Path("project") / "exports" / f) for f in EXPORT_FORMATS}
    send(widget, export("png", folders["png"]))
    send(widget, export("labelmap", folders["labelmap"]))  # on main: over the PNG masks
    assert widget.error == "" and "question" not in widget.export_bar
    assert widget.notice == (
        f"exported the masks of 2 images as labelmap to {tmp_path / folders['labelmap']}"
    )  # labels.json and the manifest are files, not masks
    for format in ("png", "labelmap"):
        assert (tmp_path / folders[format] / "export-manifest.json").is_file()
    assert not list((tmp_path / "project" / "work").rglob("export-manifest.json"))


def test_every_format_the_session_writes_is_offered(widget, tmp_path):
    """labelmap-tiff too: the bar's formats are Session.export's, not a list of its own."""
    folder = widget.export_bar["folders"]["labelmap-tiff"]
    send(widget, export("labelmap-tiff", folder))
    assert widget.error == ""
    assert widget.notice == (
        f"exported the masks of 2 images as labelmap-tiff to {tmp_path / folder}"
    )
    args = {"images": 2, "format": "labelmap-tiff", "folder": str(tmp_path / folder)}
    assert widget.notices == [{"code": "exported", "args": args}]
    assert len(list((tmp_path / folder).glob("*.tif"))) == 2


def test_an_overwrite_is_asked_first_and_done_once_confirmed(widget, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "image_0000.png").write_bytes(b"the user's own file")  # the first image's name
    send(widget, export("png", "out"))
    assert widget.error == ""
    assert folder_snapshot(out) == {"image_0000.png": b"the user's own file"}  # nothing written
    text = f"1 existing file (image_0000.png) in {out} would be overwritten"
    assert widget.export_bar["question"] == {
        "serial": 1, "format": "png", "folder": "out", "text": text
    }  # fmt: skip
    assert widget.notice == f"not exported: {text}"
    send(widget, export("png", "out", overwrite=True))  # the user said yes
    assert widget.notice == f"exported the masks of 2 images as png to {out}"
    assert (out / "image_0000.png").read_bytes() != b"the user's own file"
    assert widget.export_bar["question"]["serial"] == 1  # no new question
    send(widget, export("png", "out"))  # again: the widget's own files are asked about too
    question = widget.export_bar["question"]
    assert question["serial"] == 2 and question["text"].startswith("3 existing files")


def test_refused_targets_say_why_on_the_error_line(widget, tmp_path):
    work = tmp_path / "project" / "work"
    before = folder_snapshot(work)
    send(widget, export("png", "project/work/propagation/x"))
    assert "would write into the session's work folder" in widget.error
    assert "question" not in widget.export_bar and folder_snapshot(work) == before


def test_a_home_folder_is_named_as_written(widget, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    send(widget, export("npz", "~/x"))
    home = tmp_path / "home" / "x"  # on main: ./~/x
    assert widget.notice == f"exported the masks of 2 images as npz to {home}"  # in one file
    with np.load(tmp_path / "home" / "x" / "masks.npz") as masks:
        assert sorted(masks.files) == ["image_0000", "image_0001"]
    assert not (tmp_path / "~").exists()
