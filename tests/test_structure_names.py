"""Structure names: what a new session's structure is called when the user names none, the
name "background" (label 0 of every label map) refused with nothing changed, and work folders
saved before these rules resumed exactly as they were."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multiverseg_widget import Session
from multiverseg_widget.annotation.structure import (
    DEFAULT_STRUCTURE,
    check_new_structure_name,
    structure_names,
)

from .session_helpers import folder_snapshot

RESERVED = ["background", "Background", "BACKGROUND", " background "]


@pytest.fixture()
def images(nuclei) -> list[np.ndarray]:
    return list(nuclei["images"][:3])


def test_a_session_without_a_name_annotates_an_object(images, small_predictor):
    session = Session(images, model=small_predictor)
    assert DEFAULT_STRUCTURE == "object"
    assert session.structures == ["object"] and session.structure == "object"


def test_the_datasets_name_for_its_structure_is_the_default():
    assert structure_names(None, None, "nucleus") == ["nucleus"]
    assert structure_names(None, None, None) == ["object"]
    assert structure_names(None, None, "Background") == ["object"]  # never the reserved name
    assert structure_names("cell", None, "nucleus") == ["cell"]  # the user's name wins
    assert structure_names(None, ["a", "b"], "nucleus") == ["a", "b"]


@pytest.mark.parametrize("name", RESERVED)
def test_background_is_refused_as_a_new_name_in_any_case(name):
    with pytest.raises(ValueError, match="reserved: label 0 of a label map is the background"):
        check_new_structure_name(name)
    with pytest.raises(ValueError, match="reserved"):
        structure_names(name, None)
    with pytest.raises(ValueError, match="reserved"):
        structure_names(None, ["nucleus", name])
    assert check_new_structure_name("background tissue") == "background tissue"


def test_a_session_refuses_background_and_writes_nothing(tmp_path, images, small_predictor):
    work = tmp_path / "work"
    for asked in ({"structure": "Background"}, {"structures": ["cell", "background"]}):
        with pytest.raises(ValueError, match="reserved"):
            Session(images, model=small_predictor, workdir=work, **asked)
        assert not work.exists()
    session = Session(images, model=small_predictor, workdir=work, structures=["cell", "nucleus"])
    session.set_mask(np.ones(images[0].shape, dtype=bool))
    session.accept()
    files = folder_snapshot(work)
    for change in (
        lambda: session.add_structure("BACKGROUND"),
        lambda: session.rename_structure("nucleus", "background"),
        lambda: session.rename_structure("cell", " Background"),
    ):
        with pytest.raises(ValueError, match="reserved"):
            change()
        assert session.structures == ["cell", "nucleus"] and session.structure == "cell"
        assert folder_snapshot(work) == files


def test_a_work_folder_that_saved_structure_resumes_unchanged(tmp_path, images, small_predictor):
    """``structure`` was the default name before "object": such a folder keeps its name."""
    work = tmp_path / "work"
    old = Session(images, model=small_predictor, workdir=work, structure="structure")
    old.set_mask(np.ones(images[0].shape, dtype=bool))
    old.accept()
    old.close()
    files = folder_snapshot(work)
    for again in (
        lambda: Session.resume(work, model=small_predictor),
        lambda: Session(images, model=small_predictor, workdir=work),  # the notebook run again
    ):
        session = again()
        assert session.structures == ["structure"] and sorted(session.accepted) == [0]
        session.close()
        assert folder_snapshot(work) == files


def test_a_structure_saved_as_background_is_kept_and_can_be_renamed(
    tmp_path, images, small_predictor
):
    """A folder saved before the name was reserved is read as it is, never renamed silently;
    the user may rename it (and only to a name a structure may take)."""
    work = tmp_path / "work"
    old = Session(images, model=small_predictor, workdir=work, structures=["cell", "tissue"])
    old.close()
    state = json.loads((work / "session.json").read_text())
    state["structures"][1]["name"] = "background"  # as an older version let it be saved
    (work / "session.json").write_text(json.dumps(state))
    session = Session.resume(work, model=small_predictor)
    assert session.structures == ["cell", "background"]
    session.structure = "background"
    session.rename_structure("background", "stroma")
    assert session.structures == ["cell", "stroma"] and session.structure == "stroma"
    assert _saved_names(work) == ["cell", "stroma"]


def _saved_names(work: Path) -> list[str]:
    return [part["name"] for part in json.loads((work / "session.json").read_text())["structures"]]
