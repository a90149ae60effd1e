"""The annotation session on real images with the real (small) networks: no mocks."""

from __future__ import annotations

import json
import pickle

import nibabel as nib
import numpy as np
import pytest
import tifffile
from PIL import Image

from multiverseg_widget import Session
from multiverseg_widget import data as mvw_data
from multiverseg_widget.annotation.prompt_logs import read_log
from multiverseg_widget.data.writers import png_mask
from multiverseg_widget.evaluation.geometry import deepest_point, tight_box

from .session_helpers import folder_snapshot, real_task, single_torch_thread


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with single_torch_thread():
        yield


def _equal_predictions(a, b) -> None:
    np.testing.assert_array_equal(a.logits, b.logits)
    np.testing.assert_array_equal(a.mask, b.mask)


def _on_disk(session: Session) -> tuple[dict, dict[int, np.ndarray]]:
    state = json.loads((session.workdir / "session.json").read_text())
    masks = {
        int(i): png_mask((session.workdir / entry["file"]).read_bytes())
        for i, entry in state["structures"][0]["accepted"].items()
    }
    return state, masks


def test_scripted_session(tmp_path, nuclei, small_predictor):
    images, truth = nuclei["images"], nuclei["masks"]
    session = Session(
        images[:8], model=small_predictor, workdir=tmp_path / "work", structure="nuclei"
    )
    assert session.index == 0 and session.prediction is None and not session.mask.any()

    # image 0, no context: clicks; each step feeds the previous logits back
    x, y = deepest_point(truth[0])
    first = session.click(x, y)
    assert first.network == "scribbleprompt"
    bx, by = deepest_point(~truth[0])
    second = session.click(bx, by, positive=False)
    expected = small_predictor.predict(
        images[0], clicks=[(x, y, True), (bx, by, False)], prev_logits=first.logits
    )
    _equal_predictions(second, expected)
    assert session.accept() is session.accepted[0]

    # image 1: the first prediction comes from the context alone
    assert session.index == 1
    initial = session.prediction
    _equal_predictions(initial, small_predictor.predict(images[1], context=session.context))
    assert initial.network == "multiverseg"
    box = tight_box(truth[1])
    boxed = session.box(*box)
    _equal_predictions(
        boxed,
        small_predictor.predict(
            images[1], box=box, prev_logits=initial.logits, context=session.context
        ),
    )
    session.accept()

    # image 2: scribbles, rasterised at image resolution with the brush width
    x, y = deepest_point(truth[2])
    pos = session.scribble([(x - 2, y), (x + 2, y)], width=3)
    bx, by = deepest_point(~truth[2])
    neg = session.scribble([(bx, by)], positive=False, width=5)
    stroke = np.zeros((256, 256), bool)
    stroke[y - 1 : y + 2, x - 3 : x + 4] = True
    dot = np.zeros((256, 256), bool)
    dot[by - 2 : by + 3, bx - 2 : bx + 3] = True
    dot[[by - 2, by - 2, by + 2, by + 2], [bx - 2, bx + 2, bx - 2, bx + 2]] = False  # round brush
    _equal_predictions(
        neg,
        small_predictor.predict(
            images[2], scribbles=(stroke, dot), prev_logits=pos.logits, context=session.context
        ),
    )

    # undo / redo / clear restore exactly the stored predictions and interaction lists
    assert session.undo() is pos and len(session.interactions) == 1
    first = session.undo()
    assert first is session.prediction and session.interactions == []
    assert session.undo() is first  # nothing left to undo: unchanged
    assert session.redo() is pos and session.redo() is neg and session.redo() is neg
    assert not session.can_redo
    start = session.clear()
    assert session.interactions == [] and start is first
    assert session.undo() is neg and len(session.interactions) == 2
    state, _ = _on_disk(session)
    assert len(read_log(session.workdir, state["structures"][0]["logs"]["2"])) == 2
    session.accept()

    # image 3: box then a click; image 4: a hand-edited mask
    session.box(*tight_box(truth[3]))
    session.click(*deepest_point(truth[3]))
    session.accept()
    session.click(*deepest_point(truth[4]))
    session.set_mask(truth[4])
    np.testing.assert_array_equal(session.accept(), truth[4])

    assert sorted(session.accepted) == [0, 1, 2, 3, 4]
    assert session.context_indices == [0, 1, 2, 3, 4]
    state, disk = _on_disk(session)
    assert state["structures"][0]["context"] == [0, 1, 2, 3, 4] and state["position"] == 5
    for i, (image, mask) in enumerate(session.context):
        assert image is session.dataset.images[i]
        np.testing.assert_array_equal(disk[i], mask)
        np.testing.assert_array_equal(session.accepted[i], mask)

    # reopen image 1 and correct it: the context entry is replaced in place, not duplicated
    before = session.accepted[1].copy()
    old_file = state["structures"][0]["accepted"]["1"]["file"]
    session.goto(1)
    np.testing.assert_array_equal(session.mask, before)
    corrected = before.copy()
    corrected[:40] = True
    session.set_mask(corrected)
    session.accept()
    assert session.context_indices == [0, 1, 2, 3, 4] and len(session.context) == 5
    np.testing.assert_array_equal(session.context[1][1], corrected)
    state, disk = _on_disk(session)
    np.testing.assert_array_equal(disk[1], corrected)
    assert state["structures"][0]["accepted"]["1"]["file"] != old_file  # removed later: test_store
    assert session.index == 5  # the first image not accepted yet

    # propagate the rest from the context alone
    result = session.propagate(progress=False)
    assert sorted(result.masks) == [5, 6, 7]
    for i in (5, 6, 7):
        direct = small_predictor.predict(images[i], context=session.context)
        np.testing.assert_array_equal(result.masks[i], direct.mask)
        expected = float(np.mean(np.abs(direct.prob - 0.5)) * 2)
        assert result.confidence[i] == pytest.approx(expected, abs=1e-6)
        assert 0.0 <= result.confidence[i] <= 1.0
    assert session.suggest_next() == min((5, 6, 7), key=lambda i: result.confidence[i])
    assert len(session.export(tmp_path / "accepted")) == 5 + 1  # and the manifest
    written = session.export(tmp_path / "all", include_propagated=True)
    assert written[-1].name == "export-manifest.json"
    assert sorted(p.name for p in written[:-1]) == sorted(f"{n}.png" for n in session.names)


def test_remove_context_and_max_context(nuclei, small_predictor):
    session = Session(nuclei["images"][:6], model=small_predictor, max_context=2)
    for i in range(3):
        session.set_mask(nuclei["masks"][i])
        session.accept()
    assert session.prediction.context_used and len(session.prediction.context_used) == 2
    session.remove_context(0)
    assert session.context_indices == [1, 2] and 0 in session.accepted
    assert session.status(0) == "accepted" and session.status(3) == "todo"
    session.goto(0)  # an accepted image outside the context can be re-accepted into it
    session.accept()
    assert session.context_indices == [1, 2, 0]


def test_add_to_context_undoes_remove_context_and_resumes(tmp_path, nuclei, small_predictor):
    work = tmp_path / "work"
    session = Session(nuclei["images"][:5], model=small_predictor, workdir=work)
    for i in range(3):
        session.set_mask(nuclei["masks"][i])
        session.accept()
    session.remove_context(1)
    assert session.context_indices == [0, 2]
    session.add_to_context(1, position=1)
    assert session.context_indices == [0, 1, 2]
    session.remove_context(0)
    session.add_to_context(0)
    assert session.context_indices == [1, 2, 0]
    resumed = Session(nuclei["images"][:5], model=small_predictor, workdir=work)
    assert resumed.context_indices == [1, 2, 0]
    files, before = folder_snapshot(work), resumed.context_indices
    for i, position, message in [
        (0, None, "already in the context set"),
        (3, None, "not accepted"),
        (9, None, "image index"),
        (True, None, "image index"),
    ]:
        with pytest.raises(ValueError, match=message):
            resumed.add_to_context(i, position)
        assert resumed.context_indices == before and folder_snapshot(work) == files
    resumed.remove_context(0)
    files, before = folder_snapshot(work), resumed.context_indices
    with pytest.raises(ValueError, match="position"):
        resumed.add_to_context(1, position=3)
    assert resumed.context_indices == before and folder_snapshot(work) == files


def _state_of(session: Session) -> tuple:
    return (
        session.index,
        session.prediction,
        tuple(map(str, session.interactions)),
        session.can_undo,
        session.can_redo,
        tuple(session.accepted),
        tuple(session.context_indices),
    )


def test_bad_inputs_change_nothing(tmp_path, nuclei, small_predictor):
    work = tmp_path / "work"
    session = Session(nuclei["images"][:4], model=small_predictor, workdir=work)
    session.click(*deepest_point(nuclei["masks"][0]))
    session.accept()
    session.click(*deepest_point(nuclei["masks"][1]))
    before, files = _state_of(session), folder_snapshot(work)
    bad_calls = {
        "outside": lambda: session.click(256, 10),
        "negative": lambda: session.click(-1, 10),
        "nan": lambda: session.click(float("nan"), 3),
        "text": lambda: session.click("a", 3),
        "box outside": lambda: session.box(0, 0, 300, 10),
        "box empty": lambda: session.box(5, 5, 5, 9),
        "box type": lambda: session.box(0, 0, None, 9),
        "no points": lambda: session.scribble([]),
        "point outside": lambda: session.scribble([(1, 2), (500, 3)]),
        "bad point": lambda: session.scribble([(1, 2, 3)]),
        "brush": lambda: session.scribble([(1, 2)], width=0),
        "mask shape": lambda: session.set_mask(np.zeros((255, 256), bool)),
        "mask values": lambda: session.set_mask(np.full((256, 256), 255, np.uint8)),
        "goto": lambda: session.goto(4),
        "goto bool": lambda: session.goto(True),
        "goto negative": lambda: session.goto(-1),
        "context entry": lambda: session.remove_context(1),
        "format": lambda: session.export(tmp_path / "out", format="jpeg"),
        "export into workdir": lambda: session.export(work / "masks"),
        "propagate accepted": lambda: session.propagate([0]),
        "batch size": lambda: session.propagate(batch_size=0),
    }
    for name, call in bad_calls.items():
        with pytest.raises(ValueError):
            call()
        assert _state_of(session) == before, name
        assert folder_snapshot(work) == files, name
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="belongs to a different dataset"):
        Session(nuclei["images"][4:6], model=small_predictor, workdir=work)
    assert folder_snapshot(work) == files
    with pytest.raises(ValueError, match="empty"):
        Session([], model=small_predictor, workdir=tmp_path / "other")
    with pytest.raises(ValueError, match="max_context"):
        Session(nuclei["images"][:2], model=small_predictor, max_context=0)
    assert not (tmp_path / "other").exists()


def test_model_pickles_for_cluster_executors(nuclei, small_predictor):
    context = [(nuclei["images"][0], nuclei["masks"][0])]
    expected = small_predictor.predict(nuclei["images"][1], context=context)
    clone = pickle.loads(pickle.dumps(small_predictor))
    _equal_predictions(clone.predict(nuclei["images"][1], context=context), expected)


def test_export_formats(tmp_path, nuclei, small_predictor):
    names = ["../../evil", "/etc/passwd", "a/b\\c", ".hidden", "ok name"]
    (tmp_path / "src").mkdir()  # exports stay out of the images' folder
    np.savez(tmp_path / "src" / "task.npz", images=nuclei["images"][:5], names=np.array(names))
    session = Session(tmp_path / "src" / "task.npz", model=small_predictor)
    assert session.names == ["evil", "etc_passwd", "a_b_c", "hidden", "ok_name"]
    for i in range(5):
        session.set_mask(nuclei["masks"][i])
        session.accept()
    out = tmp_path / "out"
    *written, _manifest = session.export(out, format="png")
    assert sorted(p.name for p in written) == sorted(f"{n}.png" for n in session.names)
    assert all(p.parent == out for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]
    png = np.asarray(Image.open(out / "evil.png"))
    assert png.dtype == np.uint8 and set(np.unique(png)) == {0, 255}
    np.testing.assert_array_equal(png > 0, nuclei["masks"][0])
    tiffs = session.export(tmp_path / "tiff", format="tiff")
    np.testing.assert_array_equal(tifffile.imread(tiffs[1]), nuclei["masks"][1].astype(np.uint8))
    npz, _manifest = session.export(tmp_path / "all.npz", format="npz")
    with np.load(npz) as f:
        assert sorted(f.files) == sorted(session.names)
        np.testing.assert_array_equal(f["ok_name"], nuclei["masks"][4])


def test_export_nifti_keeps_volume_and_affine(tmp_path, small_predictor):
    volume = np.random.default_rng(0).normal(size=(32, 40, 6)).astype(np.float32)
    affine = np.diag([0.5, 0.5, 3.0, 1.0])
    (tmp_path / "src").mkdir()
    nib.save(nib.Nifti1Image(volume, affine), tmp_path / "src" / "scan.nii.gz")
    session = Session(tmp_path / "src" / "scan.nii.gz", model=small_predictor)
    marks = {}
    for k in range(3):
        session.goto(k * 2)
        mask = np.zeros((32, 40), bool)
        mask[k : k + 10, 5:20] = True
        session.set_mask(mask)
        marks[k * 2] = session.accept()
    path, _manifest = session.export(tmp_path / "out", format="nifti")
    assert path.name == "scan.nii.gz"
    saved = nib.load(path)
    np.testing.assert_allclose(saved.affine, affine)
    data = np.asanyarray(saved.dataobj)
    assert data.shape == (32, 40, 6)
    for k in range(6):
        expected = marks.get(k, np.zeros((32, 40), bool))
        np.testing.assert_array_equal(data[:, :, k], expected.astype(np.uint8))


def test_session_from_a_folder_with_a_bad_file(tmp_path, nuclei, small_predictor):
    for k in (0, 1, 2, 4, 5):
        Image.fromarray(nuclei["images"][k]).save(tmp_path / f"{k}.png")
    (tmp_path / "3.png").write_bytes(b"garbage")
    session = Session(tmp_path, model=small_predictor, workdir=tmp_path / "work")
    (tmp_path / "5.png").unlink()  # images are read when reached: 5 was not yet
    committed = (tmp_path / "work" / "session.json").read_bytes()
    for bad in (3, 5):
        with pytest.raises(ValueError, match=f"{bad}.png"):
            session.goto(bad)
        assert session.index == 0
        assert (tmp_path / "work" / "session.json").read_bytes() == committed
    session.goto(4)  # the session stays usable
    assert session.image.shape == nuclei["images"][4].shape
    (tmp_path / "5.png").write_bytes(b"")
    with pytest.warns(UserWarning, match="skipped 2"):
        session = Session(tmp_path, model=small_predictor, skip_bad=True)
    assert session.names == ["0", "1", "2", "4"]
    assert isinstance(session.dataset, mvw_data.Dataset)


def test_add_is_one_step_and_remove_is_the_eraser(nuclei, small_predictor):
    images, truth = nuclei["images"], nuclei["masks"]
    session = Session(images[:3], model=small_predictor)
    x, y = deepest_point(truth[0])
    stroke = {"kind": "scribble", "points": [[5, 5], [40, 8]], "positive": False, "width": 3}
    before_bad = session.interactions
    with pytest.raises(ValueError, match="interaction 1"):
        session.add([{"kind": "click", "x": x, "y": y, "positive": True}, {"kind": "wave"}])
    assert session.interactions == before_bad and not session.can_undo
    session.add([{"kind": "click", "x": x, "y": y, "positive": True}, stroke])
    session.click(10, 200, positive=False)
    kinds = [e["kind"] for e in session.interactions]
    assert kinds == ["click", "scribble", "click"]
    before = session.prediction
    session.remove([1])
    assert [e["kind"] for e in session.interactions] == ["click", "click"]
    session.undo()  # one step brings the stroke back, with the exact earlier prediction
    _equal_predictions(session.prediction, before)
    session.undo()
    assert [e["kind"] for e in session.interactions] == ["click", "scribble"]
    session.undo()  # the add of two interactions was one step
    assert session.interactions == []
    with pytest.raises(ValueError, match="interaction position"):
        session.remove([0])


def test_an_empty_mask_is_accepted_only_when_asked(tmp_path, small_predictor):
    nuclei = real_task()
    work = tmp_path / "work"
    session = Session(nuclei["images"][:3], model=small_predictor, workdir=work)
    files = folder_snapshot(work)
    with pytest.raises(ValueError, match="allow_empty=True"):
        session.accept()
    assert session.accepted == {} and session.index == 0 and folder_snapshot(work) == files
    session.accept(allow_empty=True)
    assert not session.accepted[0].any() and session.context_indices == [0]


def test_boxes_with_inverted_corners_are_normalised(small_predictor):
    session = Session(real_task()["images"][:2], model=small_predictor)
    session.box(50, 60, 10, 20)
    assert session.interactions == [{"kind": "box", "box": [10.0, 20.0, 50.0, 60.0]}]
    with pytest.raises(ValueError, match="zero area"):
        session.box(10, 20, 10, 60)
    assert len(session.interactions) == 1
