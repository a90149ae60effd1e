"""The annotation session on real images with the real (small) networks: no mocks."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import tifffile
from PIL import Image

from multiverseg_widget import Session
from multiverseg_widget import data as mvw_data
from multiverseg_widget.annotation.prompt_logs import read_log
from multiverseg_widget.annotation.propagation import Propagation
from multiverseg_widget.data.writers import png_mask
from multiverseg_widget.evaluation.geometry import deepest_point, tight_box
from multiverseg_widget.model import Prediction, Predictor

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


def _session(tmp_path: Path, model: Predictor, nuclei: dict, accepted: int = 0) -> Session:
    """The first 8 nuclei images in a work folder, the first ``accepted`` accepted from their
    ground truth: each test changes its session, so each builds its own (a forward pass per
    accepted image)."""
    images = nuclei["images"][:8]
    session = Session(images, model=model, workdir=tmp_path / "work", structure="nuclei")
    for i in range(accepted):
        session.set_mask(nuclei["masks"][i])
        session.accept()
    return session


def _scribbles(session: Session, truth: np.ndarray) -> tuple[Prediction, Prediction]:
    """A positive stroke across the object's deepest point, then a negative dot outside it."""
    x, y = deepest_point(truth)
    pos = session.scribble([(x - 2, y), (x + 2, y)], width=3)
    bx, by = deepest_point(~truth)
    return pos, session.scribble([(bx, by)], positive=False, width=5)


def test_a_new_session_opens_the_first_image_with_nothing_predicted(
    tmp_path, nuclei, small_predictor
):
    session = _session(tmp_path, small_predictor, nuclei)
    assert session.index == 0 and session.prediction is None and not session.mask.any()


def test_clicks_without_context_use_scribbleprompt_each_feeding_back_the_previous_logits(
    tmp_path, nuclei, small_predictor
):
    images, truth = nuclei["images"], nuclei["masks"]
    session = _session(tmp_path, small_predictor, nuclei)
    x, y = deepest_point(truth[0])
    first = session.click(x, y)
    assert first.network == "scribbleprompt"
    bx, by = deepest_point(~truth[0])
    second = session.click(bx, by, positive=False)
    expected = small_predictor.predict(
        images[0], clicks=[(x, y, True), (bx, by, False)], prev_logits=first.logits
    )
    _equal_predictions(second, expected)


def test_accept_returns_the_stored_mask_and_opens_the_next_image(tmp_path, nuclei, small_predictor):
    session = _session(tmp_path, small_predictor, nuclei)
    session.click(*deepest_point(nuclei["masks"][0]))
    assert session.accept() is session.accepted[0]
    assert session.index == 1


def test_the_next_image_is_first_predicted_from_the_context_alone(
    tmp_path, nuclei, small_predictor
):
    session = _session(tmp_path, small_predictor, nuclei, accepted=1)
    initial = session.prediction
    _equal_predictions(
        initial, small_predictor.predict(nuclei["images"][1], context=session.context)
    )
    assert initial.network == "multiverseg"


def test_a_box_refines_the_prediction_from_the_context(tmp_path, nuclei, small_predictor):
    session = _session(tmp_path, small_predictor, nuclei, accepted=1)
    initial = session.prediction
    box = tight_box(nuclei["masks"][1])
    boxed = session.box(*box)
    _equal_predictions(
        boxed,
        small_predictor.predict(
            nuclei["images"][1], box=box, prev_logits=initial.logits, context=session.context
        ),
    )


def test_scribbles_are_rasterised_at_image_resolution_with_the_brush_width(
    tmp_path, nuclei, small_predictor
):
    image, truth = nuclei["images"][2], nuclei["masks"][2]
    session = _session(tmp_path, small_predictor, nuclei, accepted=2)
    pos, neg = _scribbles(session, truth)
    (x, y), (bx, by) = deepest_point(truth), deepest_point(~truth)
    stroke = np.zeros((256, 256), bool)
    stroke[y - 1 : y + 2, x - 3 : x + 4] = True
    dot = np.zeros((256, 256), bool)
    dot[by - 2 : by + 3, bx - 2 : bx + 3] = True
    dot[[by - 2, by - 2, by + 2, by + 2], [bx - 2, bx + 2, bx - 2, bx + 2]] = False  # round brush
    expected = small_predictor.predict(
        image, scribbles=(stroke, dot), prev_logits=pos.logits, context=session.context
    )
    _equal_predictions(neg, expected)


def test_undo_restores_the_stored_predictions_and_stops_at_the_first(
    tmp_path, nuclei, small_predictor
):
    session = _session(tmp_path, small_predictor, nuclei, accepted=2)
    pos, _neg = _scribbles(session, nuclei["masks"][2])
    assert session.undo() is pos and len(session.interactions) == 1
    first = session.undo()
    assert first is session.prediction and session.interactions == []
    assert session.undo() is first  # nothing left to undo: unchanged


def test_redo_restores_the_undone_predictions_and_stops_at_the_last(
    tmp_path, nuclei, small_predictor
):
    session = _session(tmp_path, small_predictor, nuclei, accepted=2)
    pos, neg = _scribbles(session, nuclei["masks"][2])
    session.undo()
    session.undo()
    assert session.redo() is pos and session.redo() is neg and session.redo() is neg
    assert not session.can_redo


def test_clear_drops_every_prompt_in_one_step_that_undo_restores(tmp_path, nuclei, small_predictor):
    session = _session(tmp_path, small_predictor, nuclei, accepted=2)
    first = session.prediction  # the context's prediction, before any prompt
    _pos, neg = _scribbles(session, nuclei["masks"][2])
    start = session.clear()
    assert session.interactions == [] and start is first
    assert session.undo() is neg and len(session.interactions) == 2
    state, _ = _on_disk(session)
    assert len(read_log(session.workdir, state["structures"][0]["logs"]["2"])) == 2


def test_accept_takes_a_hand_edited_mask_over_the_prediction(tmp_path, nuclei, small_predictor):
    truth = nuclei["masks"][4]
    session = _session(tmp_path, small_predictor, nuclei, accepted=4)
    session.click(*deepest_point(truth))
    session.set_mask(truth)
    np.testing.assert_array_equal(session.accept(), truth)


def test_accepted_masks_are_the_context_in_memory_and_on_disk(tmp_path, nuclei, small_predictor):
    """Predicted masks (a box, then a click on image 3) as well as hand-set ones."""
    truth = nuclei["masks"]
    session = _session(tmp_path, small_predictor, nuclei, accepted=3)
    session.box(*tight_box(truth[3]))
    session.click(*deepest_point(truth[3]))
    session.accept()
    session.set_mask(truth[4])
    session.accept()
    assert sorted(session.accepted) == [0, 1, 2, 3, 4]
    assert session.context_indices == [0, 1, 2, 3, 4]
    state, disk = _on_disk(session)
    assert state["structures"][0]["context"] == [0, 1, 2, 3, 4] and state["position"] == 5
    for i, (image, mask) in enumerate(session.context):
        assert image is session.dataset.images[i]
        np.testing.assert_array_equal(disk[i], mask)
        np.testing.assert_array_equal(session.accepted[i], mask)


def _correct(session: Session, i: int) -> np.ndarray:
    """Reopen accepted image i, add a band to its mask and accept it again; the new mask."""
    session.goto(i)
    corrected = session.mask.copy()
    corrected[:40] = True
    session.set_mask(corrected)
    session.accept()
    return corrected


def test_reopening_an_accepted_image_shows_its_accepted_mask(tmp_path, nuclei, small_predictor):
    session = _session(tmp_path, small_predictor, nuclei, accepted=2)
    before = session.accepted[1].copy()
    session.goto(1)
    np.testing.assert_array_equal(session.mask, before)


def test_correcting_an_accepted_image_replaces_its_context_entry_in_place(
    tmp_path, nuclei, small_predictor
):
    session = _session(tmp_path, small_predictor, nuclei, accepted=5)
    state, _ = _on_disk(session)
    old_file = state["structures"][0]["accepted"]["1"]["file"]
    corrected = _correct(session, 1)
    assert session.context_indices == [0, 1, 2, 3, 4] and len(session.context) == 5
    np.testing.assert_array_equal(session.context[1][1], corrected)
    state, disk = _on_disk(session)
    np.testing.assert_array_equal(disk[1], corrected)
    assert state["structures"][0]["accepted"]["1"]["file"] != old_file  # removed later: test_store


def test_accepting_a_correction_opens_the_first_image_not_accepted_yet(
    tmp_path, nuclei, small_predictor
):
    session = _session(tmp_path, small_predictor, nuclei, accepted=5)
    _correct(session, 1)
    assert session.index == 5


@pytest.fixture(scope="module")
def propagated(tmp_path_factory, small_nets, nuclei) -> tuple[Session, Predictor, Propagation]:
    """Five accepted images and the other three propagated: the tests below only read them
    (export writes outside the work folder), so they share one."""
    model = Predictor(*small_nets)
    session = _session(tmp_path_factory.mktemp("propagated"), model, nuclei, accepted=5)
    return session, model, session.propagate(progress=False)


def test_propagation_predicts_the_open_images_from_the_context_alone(propagated, nuclei):
    session, model, result = propagated
    assert sorted(result.masks) == [5, 6, 7]
    for i in (5, 6, 7):
        direct = model.predict(nuclei["images"][i], context=session.context)
        np.testing.assert_array_equal(result.masks[i], direct.mask)
        expected = float(np.mean(np.abs(direct.prob - 0.5)) * 2)
        assert result.confidence[i] == pytest.approx(expected, abs=1e-6)
        assert 0.0 <= result.confidence[i] <= 1.0


def test_the_suggested_image_is_the_least_confident_propagated_one(propagated):
    session, _model, result = propagated
    assert session.suggest_next() == min((5, 6, 7), key=lambda i: result.confidence[i])


def test_export_writes_the_accepted_masks_and_a_manifest(tmp_path, propagated):
    session, _model, _result = propagated
    assert len(session.export(tmp_path / "accepted")) == 5 + 1  # and the manifest


def test_export_with_propagated_masks_writes_one_per_image(tmp_path, propagated):
    session, _model, _result = propagated
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
