"""Several structures in one session (the three WBC structures share their images), label maps,
imported masks, the migration of one-structure work folders, and notebooks run again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from multiverseg_widget import Session
from multiverseg_widget.annotation.prompt_logs import read_log
from multiverseg_widget.annotation.record import VERSION
from multiverseg_widget.annotation.store import WorkFolderError
from multiverseg_widget.data import load
from multiverseg_widget.data.writers import mask_png
from multiverseg_widget.model import Predictor

from .conftest import DATA
from .session_helpers import folder_snapshot

STRUCTURES = ["nucleus", "cytoplasm", "cell"]


@pytest.fixture(scope="module")
def wbc() -> dict:
    """The WBC images (the same in the three files) and each structure's ground truth."""
    tasks = {name: np.load(DATA / f"wbc1_{name}.npz") for name in STRUCTURES}
    images = tasks["nucleus"]["images"]
    for task in tasks.values():
        assert np.array_equal(task["images"], images)
    names = [str(n) for n in tasks["nucleus"]["names"]]
    return {"images": images, "names": names, "dataset": load(list(images), names=names),
            "masks": {name: task["masks"] > 0 for name, task in tasks.items()}}  # fmt: skip


def _prompts_by_structure(session: Session) -> dict[str, list]:
    current, out = session.structure, {}
    for name in session.structures:
        session.structure = name
        out[name] = session.interactions
    session.structure = current
    return out


def _accepted(session: Session, name: str) -> dict[int, np.ndarray]:
    current = session.structure
    session.structure = name
    out = dict(session.accepted)
    session.structure = current
    return out


def _three_structures(work: Path, model: Predictor, wbc: dict) -> Session:
    """A session of the three structures with the nucleus annotated: two images accepted from
    the truth, a click left on the third (still open)."""
    session = Session(wbc["dataset"], model=model, workdir=work, structures=STRUCTURES)
    for i in (0, 1):
        session.goto(i)
        session.set_mask(wbc["masks"]["nucleus"][i])
        session.accept()
    session.goto(2)
    session.click(128, 128)
    return session


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, small_nets, wbc) -> Session:
    """Then cytoplasm and cell: image 0 accepted for each, image 2 opened while the cell is
    current, and back to the nucleus. The tests below only read it (switching structures and
    back included)."""
    work = tmp_path_factory.mktemp("structures") / "work"
    session = _three_structures(work, Predictor(*small_nets), wbc)
    for name in ("cytoplasm", "cell"):
        session.structure = name
        session.goto(0)
        session.set_mask(wbc["masks"][name][0])
        session.accept()
    session.goto(2)
    session.structure = "nucleus"
    return session


@pytest.fixture(scope="module")
def resumed(annotated, small_nets) -> tuple[Session, dict[str, list], dict[str, dict]]:
    """The annotated session resumed from its work folder, with each structure's prompts and
    accepted masks as they were before."""
    before = _prompts_by_structure(annotated)
    accepted = {name: dict(_accepted(annotated, name)) for name in STRUCTURES}
    return Session.resume(annotated.workdir, model=Predictor(*small_nets)), before, accepted


def test_a_session_of_several_structures_opens_the_first(small_predictor, wbc):
    session = Session(wbc["dataset"], model=small_predictor, structures=STRUCTURES)
    assert session.structures == STRUCTURES and session.structure == "nucleus"


def test_another_structure_starts_with_no_prompts_and_no_context(tmp_path, small_predictor, wbc):
    session = _three_structures(tmp_path / "work", small_predictor, wbc)
    session.structure = "cytoplasm"
    assert session.interactions == [] and session.context == []


def test_switching_back_to_a_structure_loses_nothing_of_its_work(annotated):
    session = annotated
    assert session.index == 2 and [e["kind"] for e in session.interactions] == ["click"]
    assert sorted(session.accepted) == [0, 1] and session.context_indices == [0, 1]


def test_a_resumed_session_keeps_its_structures_and_the_current_one(resumed):
    session, _before, _accepted = resumed
    assert session.structures == STRUCTURES and session.structure == "nucleus"


def test_a_resumed_session_keeps_every_structures_prompts(resumed):
    session, before, _accepted = resumed
    assert _prompts_by_structure(session) == before


def test_a_resumed_session_keeps_every_structures_accepted_masks(resumed):
    session, _before, accepted = resumed
    for name in STRUCTURES:
        got = _accepted(session, name)
        assert got.keys() == accepted[name].keys()
        assert all(np.array_equal(got[i], accepted[name][i]) for i in got)


def test_later_structures_win_where_masks_overlap_in_a_label_map(resumed):
    """The cell contains its nucleus."""
    session, _before, accepted = resumed
    label_map = session.label_map(0)
    assert set(np.unique(label_map)) <= {0, 1, 2, 3}
    assert np.array_equal(label_map == 3, accepted["cell"][0])
    assert np.array_equal(
        label_map == 0, ~np.logical_or.reduce([accepted[n][0] for n in STRUCTURES])
    )


def test_the_label_map_export_names_each_value_in_labels_json(tmp_path, resumed):
    session, _before, _accepted = resumed
    session.export(tmp_path / "labels", format="labelmap")
    assert json.loads((tmp_path / "labels" / "labels.json").read_text()) == {
        "0": "background", "1": "nucleus", "2": "cytoplasm", "3": "cell"}  # fmt: skip


def test_the_label_map_export_writes_each_accepted_images_label_map(tmp_path, resumed, wbc):
    session, _before, _accepted = resumed
    files = session.export(tmp_path / "labels", format="labelmap")
    written = {p.name: p for p in files if p.suffix == ".png"}
    assert sorted(written) == [f"{wbc['names'][i]}.png" for i in (0, 1)]
    for i in (0, 1):
        png = written[f"{wbc['names'][i]}.png"]
        assert png.read_bytes() == mask_png(session.label_map(i))  # byte for byte
        assert np.array_equal(np.asarray(Image.open(png)), session.label_map(i))


def test_the_per_structure_export_keeps_each_structures_own_mask(tmp_path, resumed, wbc):
    """Overlap included: the nucleus inside the cell is still the nucleus's."""
    session, _before, accepted = resumed
    session.structure = "nucleus"
    *masks, _manifest = session.export(tmp_path / "nuclei", format="png")
    for path in masks:
        i = wbc["names"].index(path.stem)
        assert path.read_bytes() == mask_png(accepted["nucleus"][i])


def test_imported_masks_are_accepted_and_used_as_context(tmp_path, small_predictor, wbc):
    images = list(wbc["images"])
    session = Session(wbc["dataset"], model=small_predictor, structures=["nucleus", "cell"])
    label_maps = {}  # one value per pixel: the nucleus (1) inside the rest of the cell (2)
    for i in (0, 1):
        label_maps[i] = np.where(wbc["masks"]["cell"][i], 2, 0).astype(np.uint8)
        label_maps[i][wbc["masks"]["nucleus"][i]] = 1
    assert session.import_masks(label_maps) == [0, 1]
    assert session.context_indices == [0, 1]
    session.goto(3)
    expected = small_predictor.predict(
        images[3], context=[(images[i], wbc["masks"]["nucleus"][i]) for i in (0, 1)]
    )
    np.testing.assert_allclose(session.prediction.logits, expected.logits, atol=1e-5)
    session.structure = "cell"
    cell = {i: label_maps[i] == 2 for i in (0, 1)}
    assert all(np.array_equal(session.accepted[i], cell[i]) for i in (0, 1))

    # a folder of PNG masks named after the images, for one structure
    folder = tmp_path / "cells"
    folder.mkdir()
    cell2 = Image.fromarray(wbc["masks"]["cell"][2].astype(np.uint8) * 255)
    cell2.save(folder / f"{wbc['names'][2]}.png")  # matched to image 2 by its name
    assert session.import_masks(folder, structure="cell") == [2]
    assert np.array_equal(session.accepted[2], wbc["masks"]["cell"][2])
    assert session.context_indices == [0, 1, 2]


def test_bad_imports_change_nothing(tmp_path, small_predictor, wbc):
    work = tmp_path / "work"
    session = Session(list(wbc["images"]), model=small_predictor, workdir=work,
                      structures=["nucleus", "cell"])  # fmt: skip
    files = folder_snapshot(work)
    mask = wbc["masks"]["nucleus"][0]
    bad = {
        "wrong shape": lambda: session.import_masks({0: mask[:100]}, structure="nucleus"),
        "unknown structure": lambda: session.import_masks({0: mask}, structure="stroma"),
        "not binary": lambda: session.import_masks({0: mask * 7}, structure="nucleus"),
        "label too large": lambda: session.import_masks({0: mask.astype(np.uint8) * 3}),
        "unknown image": lambda: session.import_masks({9: mask}, structure="nucleus"),
        "no source": lambda: session.import_masks(tmp_path / "missing", structure="nucleus"),
    }
    for name, call in bad.items():
        with pytest.raises(ValueError):
            call()
        assert dict(session.accepted) == {} and folder_snapshot(work) == files, name
    other = tmp_path / "other"
    other.mkdir()
    Image.fromarray(mask.astype(np.uint8)).save(other / "not-an-image-name.png")
    with pytest.raises(ValueError, match="match no image"):
        session.import_masks(other, structure="nucleus")
    with pytest.raises(ValueError, match="already a structure"):
        session.add_structure("cell")
    assert folder_snapshot(work) == files


@pytest.mark.parametrize("version", [1, 2, 3])
def test_an_older_work_folder_is_migrated_with_a_backup(tmp_path, small_predictor, wbc, version):
    work = tmp_path / "work"
    session = Session(list(wbc["images"]), model=small_predictor, workdir=work, structure="wbc")
    session.set_mask(wbc["masks"]["cell"][0])
    session.accept()
    session.click(100, 120)
    state = json.loads((work / "session.json").read_text())
    # the layouts this project wrote before: the logs inline (up to 3), the images described
    # inline (up to 2), one structure (1)
    for part in state["structures"]:
        part["logs"] = {i: read_log(work, ref) for i, ref in part["logs"].items()}
    shutil.rmtree(work / "logs")
    state["version"] = version
    if version < 3:
        for key in ("images_sha256", "image_count"):
            state.pop(key)
        state.update(json.loads((work / "images.json").read_text()), version=version)
        (work / "images.json").unlink()
    if version == 1:
        (part,) = state.pop("structures")
        part.pop("name")
        part.pop("origins")
        state.update(part)
    (work / "session.json").write_text(json.dumps(state))
    old_bytes = (work / "session.json").read_bytes()

    viewer = Session.resume(work, model=small_predictor, read_only=True)  # read, left as it is
    assert viewer.structures == ["wbc"] and sorted(viewer.accepted) == [0]
    assert (work / "session.json").read_bytes() == old_bytes
    assert not (work / f"session.v{version}.json").exists()
    resumed = Session.resume(work, model=small_predictor)
    assert resumed.structures == ["wbc"] and sorted(resumed.accepted) == [0]
    assert [e["kind"] for e in resumed.interactions] == ["click"]
    assert (work / f"session.v{version}.json").read_bytes() == old_bytes
    migrated = json.loads((work / "session.json").read_text())
    assert migrated["version"] == VERSION and "names" not in migrated
    assert read_log(work, migrated["structures"][0]["logs"]["1"]) == resumed.interactions
    assert Session.resume(work, model=small_predictor).names == resumed.names


def test_a_notebook_run_again_continues_its_session(tmp_path, small_predictor, wbc, capsys):
    work = tmp_path / "work"
    images = list(wbc["images"])
    session = Session(images, model=small_predictor, workdir=work, structure="nucleus")
    session.set_mask(wbc["masks"]["nucleus"][0])
    session.accept()
    again = Session(images, model=small_predictor, workdir=work, structures=["nucleus", "cell"])
    assert "Continuing the session" in capsys.readouterr().err  # logged, not printed
    assert sorted(again.accepted) == [0] and again.index == 1
    assert again.structures == ["nucleus", "cell"]  # the new structure is added
    files = folder_snapshot(work)
    with pytest.raises(WorkFolderError, match="different dataset"):
        Session(images[:2], model=small_predictor, workdir=work)
    assert folder_snapshot(work) == files
