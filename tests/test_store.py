"""The work folder: atomic writes, resume, and refusing damaged or foreign folders."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from multiverseg_widget import Session
from multiverseg_widget.annotation import store
from multiverseg_widget.annotation.prompt_logs import read_log
from multiverseg_widget.annotation.store import WorkFolderError
from multiverseg_widget.common.atomic import atomic_write
from multiverseg_widget.data.writers import png_mask
from multiverseg_widget.evaluation.geometry import deepest_point

from .session_helpers import folder_snapshot, real_task, single_torch_thread


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with single_torch_thread():
        yield


@pytest.fixture(scope="module")
def task() -> dict[str, np.ndarray]:
    return real_task("medscribble_HipXRay")


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "state.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def _images(task) -> list:
    """The task's images, the second one cropped: images of several sizes."""
    return [task["images"][0], task["images"][1][:200, :180], *task["images"][2:]]


def _annotated(task, model, workdir) -> Session:
    """Two accepted images, a third in progress with a click, a scribble and a hand edit."""
    session = Session(_images(task), model=model, workdir=workdir, structure="femur")
    session.click(*deepest_point(task["masks"][0]))
    session.accept()
    session.set_mask(task["masks"][1][:200, :180])
    session.accept()
    session.click(*deepest_point(task["masks"][2]))
    session.scribble([(10, 10), (40, 12)], positive=False, width=4)
    edited = session.mask.copy()
    edited[:5] = True
    session.set_mask(edited)
    return session


def test_resume_in_memory_images(tmp_path, task, small_predictor):
    session = _annotated(task, small_predictor, tmp_path / "work")
    assert sorted(p.name for p in (tmp_path / "work" / "images").iterdir()) == [
        f"{i:05d}.npy" for i in range(5)
    ]
    session.undo()
    undone = session.mask.copy()
    session.redo()
    resumed = Session.resume(tmp_path / "work", model=small_predictor)  # takes the folder over
    assert resumed.structure == "femur" and resumed.names == session.names
    assert resumed.index == 2 and resumed.context_indices == [0, 1]
    assert resumed.interactions == session.interactions
    for i in (0, 1):
        np.testing.assert_array_equal(resumed.accepted[i], session.accepted[i])
        np.testing.assert_array_equal(resumed.context[i][0], session.context[i][0])
    np.testing.assert_array_equal(resumed.mask, session.mask)  # the hand edit came back
    # the log was replayed: same prediction, and the steps can be undone
    np.testing.assert_array_equal(resumed.prediction.logits, session.prediction.logits)
    resumed.undo()
    np.testing.assert_array_equal(resumed.mask, undone)
    assert len(resumed.interactions) == 2


def test_view_settings_are_kept_and_files_without_them_load(tmp_path, task, small_predictor):
    work = tmp_path / "work"
    session = Session(_images(task), model=small_predictor, workdir=work)
    assert session.view == {}
    session.view = {"brush": 9, "colors": ["#00ff00"]}
    assert json.loads((work / "session.json").read_text())["view"]["brush"] == 9
    session.click(30, 30)  # later commits keep it
    assert Session.resume(work, model=small_predictor).view == {"brush": 9, "colors": ["#00ff00"]}
    with pytest.raises(ValueError, match="plain JSON"):
        session.view = {"brush": float("nan")}
    with pytest.raises(ValueError, match="str keys"):
        session.view = {1: 2}
    assert Session.resume(work, model=small_predictor).view["brush"] == 9  # refused: unchanged
    state = json.loads((work / "session.json").read_text())
    del state["view"]  # a file from before the view settings
    (work / "session.json").write_text(json.dumps(state))
    assert Session.resume(work, model=small_predictor).view == {}


def test_resume_from_files_and_refuse_changed_ones(tmp_path, task, small_predictor):
    folder = tmp_path / "pngs"
    folder.mkdir()
    for k in range(3):
        Image.fromarray(task["images"][k]).save(folder / f"hip{k}.png")
    session = Session(folder, model=small_predictor, workdir=tmp_path / "work")
    session.set_mask(task["masks"][0])
    session.accept()
    session.goto(2)
    assert not (tmp_path / "work" / "images").exists()  # files are re-read, not copied
    resumed = Session.resume(tmp_path / "work", model=small_predictor)
    assert resumed.index == 2 and resumed.names == ["hip0", "hip1", "hip2"]
    np.testing.assert_array_equal(resumed.accepted[0], task["masks"][0])

    before = folder_snapshot(tmp_path / "work")
    Image.fromarray(task["images"][4]).save(folder / "hip1.png")
    with pytest.raises(WorkFolderError, match="different dataset"):
        Session.resume(tmp_path / "work", model=small_predictor)
    (folder / "hip1.png").unlink()
    with pytest.raises(WorkFolderError, match="hip1.png"):
        Session.resume(tmp_path / "work", model=small_predictor)
    assert folder_snapshot(tmp_path / "work") == before


def _damage(path, edit) -> None:
    state = json.loads(path.read_text())
    edit(state)
    path.write_text(json.dumps(state))


def _zap_log(path) -> None:
    """Append a line that is no prompt to image 2's log, and commit it."""
    state = json.loads(path.read_text())
    log = state["structures"][0]["logs"]["2"]
    with open(path.parent / log["file"], "ab") as f:
        log["bytes"] += f.write(b'{"kind":"zap"}\n')
    path.write_text(json.dumps(state))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(b'{"format": "multiverseg-widget session", "vers'), "damaged"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00garbage"), "damaged"),
        (lambda p: p.write_text("[1, 2]"), "not a multiverseg-widget session"),
        (lambda p: _damage(p, lambda s: s.update(version=99)), "version 99"),
        (lambda p: _damage(p, lambda s: s["structures"][0].pop("context")), "damaged"),
        (lambda p: _damage(p, lambda s: s.update(position=17)), "damaged"),
        (lambda p: _damage(p, lambda s: s["structures"][0].update(context=[0, 0])), "damaged"),
        (_zap_log, "damaged"),  # a committed prompt that is no prompt
        (
            lambda p: _damage(p, lambda s: s["structures"][0]["logs"]["2"].update(bytes=10**6)),
            "lacks committed prompts",
        ),
        (
            lambda p: _damage(p, lambda s: s["structures"][0]["logs"]["2"].update(file="../x")),
            "unsafe log file",
        ),
        (
            lambda p: _damage(
                p, lambda s: s["structures"][0]["accepted"]["0"].update(file="../../etc/passwd")
            ),
            "unsafe file",
        ),
        (
            lambda p: _damage(
                p, lambda s: s["structures"][0]["accepted"]["0"].update(sha256="0" * 64)
            ),
            "checksum",
        ),
    ],
)
def test_damaged_session_file_is_reported_and_kept(
    tmp_path, task, small_predictor, damage, message
):
    work = tmp_path / "work"
    _annotated(task, small_predictor, work)
    damage(work / "session.json")
    before = folder_snapshot(work)
    with pytest.raises(WorkFolderError, match=message):
        Session.resume(work, model=small_predictor)
    with pytest.raises(WorkFolderError, match=message):  # a notebook run again: same refusal
        Session(_images(task), model=small_predictor, workdir=work)
    assert folder_snapshot(work) == before


def test_damaged_mask_file(tmp_path, task, small_predictor):
    work = tmp_path / "work"
    _annotated(task, small_predictor, work)
    state = json.loads((work / "session.json").read_text())
    mask_file = work / state["structures"][0]["accepted"]["1"]["file"]
    mask_file.write_bytes(mask_file.read_bytes()[:-10])
    with pytest.raises(WorkFolderError, match="damaged"):
        Session.resume(work, model=small_predictor)
    mask_file.unlink()
    with pytest.raises(WorkFolderError, match="cannot be read"):
        Session.resume(work, model=small_predictor)


def test_reaccept_replaces_the_mask_file(tmp_path, task, small_predictor, monkeypatch):
    work = tmp_path / "work"
    session = _annotated(task, small_predictor, work)
    old = json.loads((work / "session.json").read_text())["structures"][0]["accepted"]["0"]
    session.goto(0)
    session.set_mask(task["masks"][0])
    session.accept()
    assert (work / old["file"]).is_file()  # kept a while: a reader may have loaded its version
    monkeypatch.setattr(store, "UNNAMED_KEPT_S", 0.0)  # that while has passed:
    session.goto(session.index)  # the next commit removes it
    state = json.loads((work / "session.json").read_text())
    files = sorted(p.name for p in (work / "masks").iterdir())
    assert files == sorted(
        entry["file"][len("masks/") :] for entry in state["structures"][0]["accepted"].values()
    )
    disk = png_mask((work / state["structures"][0]["accepted"]["0"]["file"]).read_bytes())
    np.testing.assert_array_equal(disk, task["masks"][0])
    assert state["structures"][0]["context"] == [0, 1]


def test_missing_folder_and_in_memory_sessions(tmp_path, task, small_predictor):
    with pytest.raises(WorkFolderError, match="holds no session"):
        Session.resume(tmp_path / "nowhere", model=small_predictor)
    session = Session(task["images"][:2], model=small_predictor)
    session.set_mask(task["masks"][0])
    session.accept()
    assert session.workdir is None and list(tmp_path.iterdir()) == []


def test_the_images_are_described_once_not_with_every_click(tmp_path, small_predictor):
    folder = tmp_path / "pngs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(300):
        Image.fromarray(rng.integers(0, 255, (12, 10), dtype=np.uint8)).save(folder / f"{k}.png")
    work = tmp_path / "work"
    session = Session(folder, model=small_predictor, workdir=work)
    described = (work / "images.json").stat().st_mtime_ns
    session.click(5, 5)
    session.click(3, 3, positive=False)
    state = (work / "session.json").read_text()
    assert "names" not in json.loads(state) and len(state) < 1000  # 300 names: in images.json
    assert (work / "images.json").stat().st_mtime_ns == described
    assert Session.resume(work, model=small_predictor).names == [
        str(k) for k in sorted(range(300), key=str)
    ]
    images_json = work / "images.json"
    images_json.write_text(images_json.read_text().replace('"0"', '"zero"'))
    before = folder_snapshot(work)
    with pytest.raises(WorkFolderError, match="images.json is damaged"):
        Session.resume(work, model=small_predictor)
    assert folder_snapshot(work) == before


def test_a_version_2_folder_of_files_is_recognised_by_its_pixels(tmp_path, task, small_predictor):
    """Version 2 kept a digest of the pixels; version 3 of the files (paths and sizes)."""
    from multiverseg_widget.data.dataset import pixel_fingerprint

    folder = tmp_path / "pngs"
    folder.mkdir()
    for k in range(3):
        Image.fromarray(task["images"][k]).save(folder / f"hip{k}.png")
    work = tmp_path / "work"
    session = Session(folder, model=small_predictor, workdir=work)
    session.set_mask(task["masks"][0])
    session.accept()
    state = json.loads((work / "session.json").read_text())
    images = json.loads((work / "images.json").read_text())
    images["fingerprint"] = pixel_fingerprint(session.dataset.images)
    state.update(images, version=2)
    for part in state["structures"]:  # version 2 holds the logs inline
        part["logs"] = {i: read_log(work, ref) for i, ref in part["logs"].items()}
    (work / "images.json").unlink()
    (work / "session.json").write_text(json.dumps(state))
    resumed = Session.resume(work, model=small_predictor)
    assert sorted(resumed.accepted) == [0]
    assert json.loads((work / "images.json").read_text())["fingerprint"].startswith("files:")
