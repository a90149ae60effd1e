"""The prompt logs live in append-only files (annotation/prompt_logs.py): session.json, rewritten
on every action, stays the same size however many prompts an image gets; undo, redo, erase,
clear and resume give back the same history; a crash after an append but before the commit
reads back exactly the committed prompts; files no record names are removed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multiverseg_widget import Session
from multiverseg_widget.annotation import store as store_module
from multiverseg_widget.annotation.prompt_logs import read_log
from multiverseg_widget.annotation.store import WorkFolder, WorkFolderError

from .session_helpers import single_torch_thread


@pytest.fixture()
def session(tmp_path, nuclei, small_predictor):
    with single_torch_thread():
        yield Session(list(nuclei["images"][:3]), model=small_predictor, workdir=tmp_path / "w")


def on_disk(work: Path) -> tuple[dict, dict[str, list]]:
    """session.json, and each log it names read back, by image."""
    state = json.loads((work / "session.json").read_text())
    logs = state["structures"][0]["logs"]
    return state, {i: read_log(work, ref) for i, ref in logs.items()}


def log_files(work: Path) -> set[str]:
    return {str(p.relative_to(work)) for p in (work / "logs").rglob("*") if p.is_file()}


def test_session_json_keeps_its_size_over_200_clicks(session):
    work = session.workdir
    session.click(10, 10)
    size = (work / "session.json").stat().st_size
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(0, 100, (199, 2)):
        session.click(float(x), float(y), positive=bool(x > y))
    state, logs = on_disk(work)
    assert abs((work / "session.json").stat().st_size - size) <= 8  # the log's length: digits
    assert len(logs["0"]) == 200 and logs["0"] == session.interactions
    (named,) = [ref["file"] for ref in state["structures"][0]["logs"].values()]
    assert log_files(work) == {named}


def test_a_long_stroke_stays_out_of_session_json(session):
    """Issue 31: a stroke of 10^6 points made session.json 43 MB, rewritten on every click."""
    walk = np.cumsum(np.random.default_rng(1).uniform(-1, 1, (10_000, 2)), axis=0) % 90 + 5
    session.scribble(walk.tolist(), width=3)
    session.click(50, 50)
    assert (session.workdir / "session.json").stat().st_size < 2000
    _, logs = on_disk(session.workdir)
    assert logs["0"] == session.interactions


def test_undo_redo_erase_clear_and_resume_rebuild_the_same_history(session, small_predictor):
    work = session.workdir
    steps = [
        lambda: session.click(20, 20),
        lambda: session.click(30, 40, positive=False),
        lambda: session.scribble([(5, 5), (25, 30), (60, 32)], width=4),
        session.undo,  # fewer bytes committed, the file as it is
        lambda: session.click(70, 15),  # the file cut back, then appended to
        session.undo,
        session.redo,
        lambda: session.remove([1]),  # inside the log: the next generation's file
        lambda: session.box(10, 10, 80, 90),
        session.clear,
        session.undo,
        lambda: session.goto(1),
        lambda: session.click(40, 40),
    ]
    for k, step in enumerate(steps):
        step()
        state, logs = on_disk(work)
        assert logs == {str(i): p.to_json() for i in (0, 1) if (p := session.image_prompts(i))}, k
        assert log_files(work) == {r["file"] for r in state["structures"][0]["logs"].values()}
        resumed = Session.resume(work, model=small_predictor, read_only=True)
        assert (resumed.index, resumed.interactions) == (session.index, session.interactions), k
    session.goto(0)
    session.undo()
    undone = session.interactions
    session.redo()
    resumed = Session.resume(work, model=small_predictor)  # takes the folder over
    resumed.goto(0)
    assert resumed.interactions == session.interactions and len(session.interactions) == 3
    resumed.undo()
    assert resumed.interactions == undone and len(undone) == 2


def test_a_crash_after_the_append_reads_back_the_committed_prompts(
    session, small_predictor, monkeypatch
):
    work = session.workdir
    session.click(20, 20)
    session.click(30, 30)
    session.undo()  # the file still holds the second click, past the committed bytes
    committed = session.interactions
    write = store_module.atomic_write

    def killed_at_the_commit(path, data):
        if Path(path).name == "session.json":
            raise OSError("killed")  # after the logs were appended, before the commit point
        write(path, data)

    monkeypatch.setattr(store_module, "atomic_write", killed_at_the_commit)
    with pytest.raises(OSError, match="killed"):
        session.click(60, 60)
    (ref,) = json.loads((work / "session.json").read_text())["structures"][0]["logs"].values()
    assert (work / ref["file"]).stat().st_size > ref["bytes"]  # appended, not committed
    monkeypatch.setattr(store_module, "atomic_write", write)
    assert Session.resume(work, model=small_predictor, read_only=True).interactions == committed
    session.click(70, 70)
    state, logs = on_disk(work)
    assert logs["0"] == session.interactions == [*committed, logs["0"][-1]]
    (now,) = state["structures"][0]["logs"].values()
    assert now["file"] != ref["file"]  # past the undo: the next generation's file


def test_the_uncommitted_bytes_of_a_failed_commit_are_cut_away_and_appended_to(
    session, monkeypatch
):
    work = session.workdir
    session.click(20, 20)
    write = store_module.atomic_write

    def killed_at_the_commit(path, data):
        if Path(path).name == "session.json":
            raise OSError("killed")
        write(path, data)

    monkeypatch.setattr(store_module, "atomic_write", killed_at_the_commit)
    with pytest.raises(OSError, match="killed"):
        session.click(60, 60)
    monkeypatch.setattr(store_module, "atomic_write", write)
    (ref,) = json.loads((work / "session.json").read_text())["structures"][0]["logs"].values()
    session.click(70, 70)  # no commit named the crash's bytes: cut away, then appended
    state, logs = on_disk(work)
    (now,) = state["structures"][0]["logs"].values()
    assert now["file"] == ref["file"] and len(logs["0"]) == 2
    assert (work / ref["file"]).stat().st_size == now["bytes"]


def test_a_reader_of_an_older_version_never_reads_a_newer_prompt_in_its_place(session, monkeypatch):
    """Bytes a commit once named are never rewritten: a reader that read session.json before
    an undo and a new prompt does not get the new prompt in place of the undone one (its
    version's file is gone instead), and ``load`` then reads the newer session.json."""
    work = session.workdir
    session.click(20, 20)
    session.click(30, 30)
    older = (work / "session.json").read_bytes()
    session.undo()
    session.click(80, 80, positive=False)  # on main: written over the undone click's bytes
    reader = WorkFolder.open(work, read_only=True)
    with pytest.raises(WorkFolderError, match="cannot be read"):
        reader._parse(older)
    read_bytes, reads = Path.read_bytes, []

    def committed_meanwhile(path: Path) -> bytes:  # load read session.json before the commits
        reads.append(path.name)
        return older if reads.count("session.json") == 1 else read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", committed_meanwhile)
    record = reader.load()
    assert reads.count("session.json") == 3  # the older version, the check, the newer one
    logs = record.structures["object"].logs[0]
    assert [p.to_json() for p in logs.items] == session.interactions


def test_files_no_record_names_are_removed(session, small_predictor):
    work = session.workdir
    session.click(20, 20)
    session.add_structure("cell")
    session.structure = "cell"
    session.click(30, 30)
    session.rename_structure("cell", "nucleus")  # its logs move to the new name's folder
    orphan = work / "logs" / "0123456789abcdef" / "3.0.jsonl"  # a write a crash left behind
    orphan.parent.mkdir()
    orphan.write_text("{}\n")
    resumed = Session.resume(work, model=small_predictor)
    resumed.click(40, 40)
    state = json.loads((work / "session.json").read_text())
    named = {ref["file"] for part in state["structures"] for ref in part["logs"].values()}
    assert log_files(work) == named and len(named) == 2
