"""Exports never destroy anything (issue 31): not the source images, not the work folder, not a
file already in the target folder unless the caller says so; each export says what it wrote in
a manifest, and names in any script keep their identity."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from multiverseg_widget import Session
from multiverseg_widget.annotation.export_target import ExportWouldOverwrite
from multiverseg_widget.common.names import safe_name

from .session_helpers import folder_snapshot

NAMES = [f"img{k}" for k in range(7)]


@pytest.fixture()
def images(tmp_path, nuclei) -> Path:
    """A folder of seven real PNG images, as a user's data folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    for k, name in enumerate(NAMES):
        Image.fromarray(nuclei["images"][k]).save(folder / f"{name}.png")
    return folder


@pytest.fixture()
def session(images, tmp_path, nuclei, small_predictor) -> Session:
    """Images 0 and 1 accepted, in a work folder beside the images."""
    session = Session(images, model=small_predictor, workdir=tmp_path / "work")
    for k in (0, 1):
        session.set_mask(nuclei["masks"][k])
        session.accept()
    return session


def _refused(session: Session, target: str | Path, match: str, kept: Path, **options) -> None:
    """Exporting to ``target`` raises ValueError matching ``match`` and changes no file under
    ``kept``."""
    before = folder_snapshot(kept)
    with pytest.raises(ValueError, match=match):
        session.export(target, **options)
    assert folder_snapshot(kept) == before


def test_an_export_among_the_source_images_is_refused_and_writes_nothing(
    session, images, tmp_path, monkeypatch, small_predictor
):
    monkeypatch.chdir(tmp_path)
    for target, format in [
        (images, "png"),  # on main: the images became masks, the session could not resume
        ("data/", "png"),  # relative, as the widget's bar sends it
        (images / "masks.npz", "npz"),
        (images, "labelmap"),
    ]:
        _refused(session, target, "among the source images", images, format=format)
    resumed = Session.resume(tmp_path / "work", model=small_predictor)
    assert sorted(resumed.accepted) == [0, 1]


def test_a_subfolder_of_the_images_is_free_and_does_not_join_them(session, images):
    """A folder's images are listed without its subfolders: masks written to images/masks/
    change neither the images nor the dataset a Session of that folder sees."""
    written = session.export(images / "masks", format="png")
    assert {f.parent for f in written} == {images / "masks"}
    assert len(Session(images, model=session.model).names) == len(session.names)


def test_an_export_anywhere_in_the_work_folder_is_refused(
    session, tmp_path, nuclei, small_predictor
):
    work = tmp_path / "work"
    session.propagate(progress=False)
    (key,) = [p.name for p in (work / "propagation").iterdir()]
    for target in [
        work,
        work / "masks",
        work / "propagation" / key / "out",  # on main: written, then pruned with the propagation
        work / "propagation" / "mine",
        work / "exports",  # not a folder the session manages, still its work folder's
    ]:
        _refused(session, target, "work folder", work, include_propagated=True)
    session.set_mask(nuclei["masks"][2])
    session.accept()  # a commit: nothing of an export to lose
    assert Session.resume(work, model=small_predictor).accepted.keys() == {0, 1, 2}


@pytest.mark.parametrize(
    ("format", "theirs", "target"),
    [
        ("png", "img0.png", "out"),
        ("npz", "masks.npz", "out"),
        ("npz", "all.npz", "out/all.npz"),
        ("labelmap", "labels.json", "out"),
        ("png", "export-manifest.json", "out"),  # the manifest is a file like any other
    ],
)
def test_an_existing_file_is_kept_unless_overwrite(session, tmp_path, format, theirs, target):
    out = tmp_path / "out"
    out.mkdir()
    (out / theirs).write_bytes(b"the user's own file")
    with pytest.raises(
        ExportWouldOverwrite, match=f"would overwrite 1 existing file \\({theirs}\\)"
    ):
        session.export(tmp_path / target, format=format)
    assert folder_snapshot(out) == {theirs: b"the user's own file"}  # nothing else written
    written = session.export(tmp_path / target, format=format, overwrite=True)
    assert (out / theirs).read_bytes() != b"the user's own file" and out / theirs in written
    assert written[-1].suffix == ".json" and written[-1].name.endswith("manifest.json")


def test_an_overwrite_refusal_names_the_first_files_and_the_count(session, tmp_path):
    session.propagate(progress=False)
    out = tmp_path / "out"
    session.export(out, include_propagated=True)
    before = folder_snapshot(out)
    with pytest.raises(ExportWouldOverwrite) as refused:
        session.export(out, include_propagated=True)
    assert str(refused.value) == (
        f"export to {out} would overwrite 8 existing files (img0.png, img1.png, img2.png, "
        "img3.png, img4.png and 3 more); nothing was written: pass overwrite=True to replace "
        "them, or choose another folder"
    )
    expected = [*(f"{n}.png" for n in NAMES), "export-manifest.json"]
    assert [p.name for p in refused.value.existing] == expected
    assert folder_snapshot(out) == before


def test_the_manifest_maps_each_file_back_to_its_image(session, tmp_path):
    session.propagate([2], progress=False)
    *masks, manifest = session.export(tmp_path / "out", include_propagated=True)
    assert manifest == tmp_path / "out" / "export-manifest.json"
    record = json.loads(manifest.read_text())
    assert record["format"] == "png" and record["structure"] == session.structure
    assert record["include_propagated"] is True and record["instances"] is False
    assert record["work_folder"] == str((tmp_path / "work").resolve())
    assert record["package"]["name"] == "multiverseg-widget" and record["package"]["version"]
    assert datetime.fromisoformat(record["exported_at"]).tzinfo is not None
    assert record["files"] == [p.name for p in masks]
    assert record["images"] == [
        {"index": 0, "file": "img0.png", "image": "img0", "mask": "accepted"},
        {"index": 1, "file": "img1.png", "image": "img1", "mask": "accepted"},
        {"index": 2, "file": "img2.png", "image": "img2", "mask": "propagated"},
    ]
    npz, npz_manifest = session.export(tmp_path / "all.npz", format="npz")
    assert npz_manifest.name == "all-manifest.json"  # a second .npz beside it has its own
    rows = json.loads(npz_manifest.read_text())["images"]
    assert [(r["file"], r["key"], r["image"]) for r in rows] == [
        ("all.npz", "img0", "img0"),
        ("all.npz", "img1", "img1"),
    ]


def test_names_in_other_scripts_keep_their_identity(tmp_path, nuclei, small_predictor):
    names = ["肝臓", "腎臓", "画像", "がぞう", "café", "scan 肝臓"]
    folder = tmp_path / "データ"
    folder.mkdir()
    for k, name in enumerate(names):
        Image.fromarray(nuclei["images"][k]).save(folder / f"{name}.png")
    session = Session(folder, model=small_predictor)
    for k in range(len(names)):
        session.goto(k)
        session.set_mask(nuclei["masks"][k])
        session.accept()
    *masks, manifest = session.export(tmp_path / "out")
    stems = [p.name.removesuffix(".png") for p in masks]
    assert len(set(stems)) == len(names)  # on main: _.png, _-2.png, _-3.png, _-4.png, ...
    assert not any(re.fullmatch(r"_+(-\d+)?", s) for s in stems)
    by_image = {r["image"]: r["file"] for r in json.loads(manifest.read_text())["images"]}
    assert by_image == {session.names[i]: f"{safe_name(session.names[i])}.png" for i in range(6)}
    assert by_image["café"] == "cafe.png"
    assert by_image["肝臓"] == "image-e02b510c.png"
    assert by_image["scan 肝臓"].startswith("scan-")


def test_safe_names_are_stable_and_never_collapse():
    assert safe_name("肝臓") == safe_name("肝臓") == "image-e02b510c"  # a hash of the name
    assert safe_name("肝臓") != safe_name("腎臓")
    assert safe_name("Ωmega") != safe_name("Σmega") and safe_name("Ωmega").startswith("mega-")
    assert safe_name("ＡＢＣ") == "ABC" and safe_name("naïve résumé") == "naive_resume"
    assert safe_name("../../etc/passwd") == "etc_passwd" and safe_name("img 01") == "img_01"
    assert safe_name("..", "volume").startswith("volume-")


def test_a_home_folder_export_writes_where_it_says(session, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    *masks, manifest = session.export("~/x")
    assert manifest == tmp_path / "home" / "x" / "export-manifest.json"
    assert not (tmp_path / "~").exists()
    with pytest.raises(ValueError, match="~nosuchuser/x: Could not determine home directory"):
        session.export("~nosuchuser/x")


def test_instance_ids_are_the_connected_components(session, tmp_path, nuclei):
    *masks, manifest = session.export(tmp_path / "ids", instances=True)
    assert json.loads(manifest.read_text())["instances"] is True
    for k, path in enumerate(masks):
        ids = np.asarray(Image.open(path))
        expected, count = ndimage.label(nuclei["masks"][k])
        assert count > 1 and np.array_equal(ids, expected)


def test_an_export_counts_the_images_whose_masks_it_wrote_not_its_files(session, tmp_path):
    """What an export's message counts (issue 34: 7 images were reported as 8 files, with the
    label map's labels.json): its ``images``, beside the files it returns."""
    for format, files in [("png", 3), ("labelmap", 4), ("npz", 2)]:
        written = session.export(tmp_path / format, format=format)
        assert written.images == 2 and len(written) == files, format
    session.propagate(progress=False)
    everything = session.export(tmp_path / "all", include_propagated=True)
    assert everything.images == len(NAMES) and len(everything) == len(NAMES) + 1
    for refused in ({"include_propagated": True}, {"instances": True}):
        _refused(session, tmp_path / "maps", "for one structure's formats", tmp_path,
                 format="labelmap", **refused)  # fmt: skip
    assert not (tmp_path / "maps").exists()
