"""Honest messages (issue 31): a volume slice with NaN pixels is named by its file and slice and
changes nothing, and the widget names an OSError by what it is (read-only, disk full,
permission), with the file it concerns. Loading and checkpoint messages: test_io.py and
test_checkpoint.py; propagate and suggest_next over such a slice: test_propagation.py."""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

import multiverseg_widget as mvw
from multiverseg_widget import Session
from multiverseg_widget import data as mvw_data
from multiverseg_widget.widget.errors import error_message

from .session_helpers import folder_snapshot, single_torch_thread
from .test_widget import click, send

BAD_SLICE = 3  # the slice of ``nan_slice_volume`` with a NaN pixel


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with single_torch_thread():
        yield


def nan_slice_volume(folder: Path, nuclei: dict, suffix: str = ".npy") -> Path:
    """A real 6-slice volume (the first BBBC039 images, float32) with one NaN pixel in slice
    ``BAD_SLICE``, as a memory-mapped file (.npy, or an uncompressed NIfTI): its slices are
    read, and checked, only when they are used."""
    volume = nuclei["images"][:6].astype(np.float32)
    volume[BAD_SLICE, 40, 50] = np.nan
    path = folder / f"ct{suffix}"
    if suffix == ".npy":
        np.save(path, volume)
    else:  # NIfTI slices along its last axis
        nib.save(nib.Nifti1Image(np.moveaxis(volume, 0, -1), np.eye(4)), path)
    return path


@pytest.mark.parametrize("suffix", [".npy", ".nii"])
def test_a_nan_slice_is_named_by_file_and_slice_and_opening_it_changes_nothing(
    tmp_path, nuclei, small_predictor, suffix
):
    path = nan_slice_volume(tmp_path, nuclei, suffix)
    axis = 0 if suffix == ".npy" else 2
    session = Session(path, model=small_predictor, workdir=tmp_path / "work")
    named = rf"slice {BAD_SLICE} \(axis {axis}\) of {path}.* contains NaN or infinite pixels"
    before = folder_snapshot(tmp_path / "work")
    with pytest.raises(mvw_data.UnreadableFileError, match=named):
        session.goto(BAD_SLICE)
    assert session.index == 0 and folder_snapshot(tmp_path / "work") == before
    with pytest.raises(mvw_data.UnreadableFileError, match=named):
        mvw_data.load(path).images[BAD_SLICE]


def test_accept_does_not_open_a_nan_slice_next(tmp_path, nuclei, small_predictor):
    path = nan_slice_volume(tmp_path, nuclei)
    session = Session(path, model=small_predictor, workdir=tmp_path / "work")
    session.goto(BAD_SLICE - 1)
    session.set_mask(nuclei["masks"][BAD_SLICE - 1])
    session.accept()
    assert session.index == BAD_SLICE + 1 and session.mask.shape == (256, 256)
    resumed = Session.resume(tmp_path / "work", model=small_predictor)
    assert resumed.index == BAD_SLICE + 1 and list(resumed.accepted) == [BAD_SLICE - 1]


def test_a_click_on_a_nan_slice_in_the_widget_names_it(tmp_path, nuclei, small_predictor):
    path = nan_slice_volume(tmp_path, nuclei)
    widget = mvw.annotate(path, model=small_predictor, workdir=tmp_path / "work")
    send(widget, {"kind": "navigate", "index": BAD_SLICE, "by": 0})
    assert widget.error.startswith(f"slice {BAD_SLICE} (axis 0) of {path}")
    assert "NaN" in widget.error and widget.session.index == 0


def _full_disk(fd: int) -> None:
    """What a full disk does to a write: ENOSPC, naming no file."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _read_only(*args: object, dir: str, **kwargs: object) -> tuple[int, str]:
    """What a read-only file system does to the creation of a file: EROFS, naming it."""
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.join(dir, ".x.abc.tmp"))


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (("os.fsync", _full_disk), "the disk is full"),
        (("tempfile.mkstemp", _read_only), "the file system is read-only"),
    ],
)
def test_the_widget_names_a_failed_write_by_what_it_is(
    tmp_path, nuclei, small_predictor, monkeypatch, fault, said
):
    work = tmp_path / "work"
    widget = mvw.annotate(nuclei["images"][:4], model=small_predictor, workdir=work)
    before = folder_snapshot(work)
    monkeypatch.setattr(*fault)
    send(widget, click(100, 100))
    monkeypatch.undo()
    # the file whose write failed: the prompt log (logs/<structure>/0.0.jsonl) or session.json
    named = r"(logs/[0-9a-f]+/0\.0\.jsonl|session\.json)"
    assert re.fullmatch(rf"cannot write {re.escape(str(work))}/{named}: {said}", widget.error)
    committed = {k: v for k, v in folder_snapshot(work).items() if not k.startswith("logs/")}
    assert committed == before and not widget.session.image_prompts(0)  # no log named yet


def test_os_errors_are_called_what_they_are():
    path = str(Path(tempfile.gettempdir()) / "work" / "session.json")
    said = {
        errno.EROFS: f"cannot write {path}: the file system is read-only",
        errno.ENOSPC: f"cannot write {path}: the disk is full",
        errno.EDQUOT: f"cannot write {path}: the disk quota is used up",
        errno.EACCES: f"cannot use {path}: permission denied",
        errno.EPERM: f"cannot use {path}: permission denied (the operation is not permitted)",
        errno.EIO: f"cannot use {path}: {os.strerror(errno.EIO)}",
    }
    for code, message in said.items():
        assert error_message(OSError(code, os.strerror(code), path)) == message
    assert error_message(KeyError(3)).startswith("internal error (KeyError: 3)")
