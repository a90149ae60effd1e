"""One writer per work folder: a second process is refused with the holder's name, a killed
holder's lock is taken over, a notebook cell run again in the same kernel takes the folder over
from its older Session, read-only Sessions write nothing, and readers never see a version whose
files a later commit removed (while another process commits in a loop)."""

from __future__ import annotations

import errno
import gc
import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import multiverseg_widget as mvw
from multiverseg_widget import Session
from multiverseg_widget.annotation import folder_lock, store
from multiverseg_widget.annotation.folder_lock import HOLDER_FILE, LOCK_FILE
from multiverseg_widget.annotation.store import WorkFolder
from multiverseg_widget.annotation.work_folder_errors import (
    FolderInUseError,
    ReadOnlySessionError,
    WorkFolderError,
)
from multiverseg_widget.evaluation.geometry import deepest_point

from .crash_child import encode
from .session_helpers import folder_snapshot, real_task, single_torch_thread, start_writer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="child processes get SIGKILL")

STRUCTURES = ["femur", "pelvis"]
RESUMES = 12  # read-only resumes while another process commits
READS = 1000  # plain reads of the folder while it commits (c1e521c: about 1 in 20 failed)
COMMITS = 12  # accepts the writer makes during each, at least
DEADLINE_S = 300.0  # a writer that stops committing fails the test instead of hanging it


@pytest.fixture()
def task() -> dict[str, np.ndarray]:
    return real_task("medscribble_HipXRay")


@pytest.fixture()
def work(tmp_path, task, small_predictor) -> Path:
    """A work folder of two structures, one mask accepted, no Session holding it."""
    work = tmp_path / "work"
    with single_torch_thread(), _session(task, small_predictor, work) as session:
        session.set_mask(task["masks"][0] > 0)
        session.accept()
    return work


def _session(task, model, work: Path, **options) -> Session:
    return Session(task["images"], model=model, workdir=work, structures=STRUCTURES, **options)


def _is_locked(work: Path) -> bool:
    """Whether a Session holds the folder's lock (a second open file asks the kernel)."""
    import fcntl

    descriptor = os.open(work / LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # unlocks if it was taken here
    return False


class _Writer:
    """Another process committing to the folder in a loop (``crash_child``): its printed lines
    are read as they come, so that its pipe never fills and blocks it."""

    def __init__(self, work: Path) -> None:
        self.process = start_writer(work, seed=0)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def accepts(self) -> int:
        return sum(line.startswith("DONE") for line in self.lines)

    def accepted_masks(self) -> set[str]:
        """Every mask it started accepting (encoded): what a consistent reader may hold."""
        return {line.split()[3] for line in self.lines if line.startswith("PENDING")}

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join()


@contextmanager
def _writer(work: Path) -> Iterator[_Writer]:
    writer = _Writer(work)
    try:
        yield writer
    finally:
        if writer.process.poll() is None:
            writer.kill()


def test_a_second_process_is_refused_and_a_killed_holder_is_taken_over(work, task, small_predictor):
    with single_torch_thread(), _writer(work) as writer:
        holder = f"process {writer.process.pid} on host {socket.gethostname()}, since 20"
        for second in (
            lambda: Session.resume(work, model=small_predictor),
            lambda: _session(task, small_predictor, work),  # a notebook in another kernel
            lambda: mvw.annotate(task["images"], model=small_predictor, workdir=work),
        ):
            with pytest.raises(FolderInUseError, match="in use by another Session") as refused:
                second()
            assert holder in str(refused.value)
            assert "Session.resume(workdir, read_only=True)" in str(refused.value)
            assert "read_only=True" in str(refused.value).split("or annotate(")[1]
        assert writer.process.poll() is None, "the writer still runs: it was never disturbed"
        writer.kill()  # SIGKILL: no cleanup; the kernel releases its flock
    stale = json.loads((work / HOLDER_FILE).read_text())
    assert stale["pid"] == writer.process.pid  # the holder file names a dead process
    with single_torch_thread():
        session = Session.resume(work, model=small_predictor)  # taken over
        assert json.loads((work / HOLDER_FILE).read_text())["pid"] == os.getpid()
        session.goto(1)
        session.set_mask(task["masks"][1] > 0)
        session.accept()
        assert 1 in Session.resume(work, model=small_predictor, read_only=True).accepted


def test_a_cell_run_again_takes_the_folder_over_from_the_older_session(work, task, small_predictor):
    with single_torch_thread():
        older = _session(task, small_predictor, work)
        newer = _session(task, small_predictor, work)  # the same cell, run again
        files = folder_snapshot(work)
        refusals = {
            "click": lambda: older.click(100, 100),
            "accept": lambda: older.accept(allow_empty=True),
            "goto": lambda: older.goto(2),
            "set_mask": lambda: older.set_mask(task["masks"][1] > 0),
            "structure": lambda: setattr(older, "structure", "pelvis"),
            "add_structure": lambda: older.add_structure("sacrum"),
            "view": lambda: setattr(older, "view", {"brush": 3}),
        }
        for name, call in refusals.items():
            with pytest.raises(ReadOnlySessionError, match="superseded by a newer Session"):
                call()
            assert older.index == 1 and older.structure == "femur", name
            assert older.structures == STRUCTURES and older.interactions == [], name
        assert folder_snapshot(work) == files
        newer.click(*deepest_point(task["masks"][1] > 0))
        newer.accept()
        assert sorted(Session.resume(work, small_predictor, read_only=True).accepted) == [0, 1]

        # a cell that fails to open the folder leaves it to the Session that had it
        with pytest.raises(WorkFolderError, match="different dataset"):
            Session(task["images"][:3], model=small_predictor, workdir=work)
        newer.goto(3)
        assert Session.resume(work, small_predictor, read_only=True).index == 3


def test_a_folder_deleted_and_made_again_is_locked_again(work, task, small_predictor):
    with single_torch_thread():
        older = Session.resume(work, model=small_predictor)
        shutil.rmtree(work)
        newer = _session(task, small_predictor, work)  # the cell run again, on a new folder
        assert _is_locked(work)  # for real: another process would be refused
        with pytest.raises(ReadOnlySessionError, match="superseded"):
            older.goto(2)
        newer.goto(2)
        assert Session.resume(work, small_predictor, read_only=True).index == 2


def test_a_file_system_without_locks_is_named(work, small_predictor, monkeypatch):
    def no_locks(_descriptor: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(folder_lock, "_try_lock", no_locks)
    with pytest.warns(UserWarning, match="on a file system without file locks"):
        session = Session.resume(work, model=small_predictor)
    session.goto(2)  # it works as before locks, with the warning
    session.close()

    def failing(_descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(folder_lock, "_try_lock", failing)
    with pytest.raises(WorkFolderError, match="cannot be locked for writing.*read_only=True"):
        Session.resume(work, model=small_predictor)
    assert Session.resume(work, model=small_predictor, read_only=True).index == 2


def test_close_and_garbage_collection_release_the_folder(work, task, small_predictor):
    with single_torch_thread():
        with Session.resume(work, model=small_predictor) as session:
            assert _is_locked(work) and (work / HOLDER_FILE).is_file()
        assert not _is_locked(work) and not (work / HOLDER_FILE).exists()
        with pytest.raises(ReadOnlySessionError, match="was closed"):
            session.goto(2)
        assert session.index == 1 and sorted(session.accepted) == [0]  # reading goes on

        session = _session(task, small_predictor, work)
        assert _is_locked(work)
        del session
        gc.collect()
        assert not _is_locked(work)
        with pytest.raises(WorkFolderError, match="different dataset"):
            Session(task["images"][:3], model=small_predictor, workdir=work)
        assert not _is_locked(work)  # a Session that failed to open holds nothing


def test_read_only_sessions_view_and_write_nothing(work, task, small_predictor):
    with single_torch_thread():
        writer = Session.resume(work, model=small_predictor)
        writer.click(*deepest_point(task["masks"][1] > 0))
        files = folder_snapshot(work)
        viewer = Session.resume(work, model=small_predictor, read_only=True)  # no lock needed
        also = _session(task, small_predictor, work, read_only=True)
        assert viewer.read_only and also.read_only and not writer.read_only
        assert sorted(viewer.accepted) == [0] and len(viewer.interactions) == 1
        viewer.goto(3)  # moving around is viewing: kept in memory only
        viewer.structure = "pelvis"
        viewer.view = {"brush": 5}
        assert (viewer.index, viewer.structure, viewer.view) == (3, "pelvis", {"brush": 5})
        viewer.structure = "femur"
        viewer.goto(1)
        changes = {
            "click": lambda: viewer.click(50, 50),
            "undo": viewer.undo,
            "clear": viewer.clear,
            "set_mask": lambda: viewer.set_mask(task["masks"][1] > 0),
            "accept": lambda: viewer.accept(allow_empty=True),
            "remove_context": lambda: viewer.remove_context(0),
            "add_structure": lambda: viewer.add_structure("sacrum"),
            "rename_structure": lambda: viewer.rename_structure("pelvis", "hip"),
            "import_masks": lambda: viewer.import_masks({2: task["masks"][2] > 0}, "femur"),
            "propagate": lambda: viewer.propagate(progress=False),
        }
        for name, call in changes.items():
            with pytest.raises(ReadOnlySessionError, match="this Session is read-only"):
                call()
            assert viewer.structures == STRUCTURES and sorted(viewer.accepted) == [0], name
            assert len(viewer.interactions) == 1 and viewer.context_indices == [0], name
        assert folder_snapshot(work) == files
        writer.accept()  # the writer was never disturbed
        assert sorted(Session.resume(work, small_predictor, read_only=True).accepted) == [0, 1]


def test_the_widget_views_a_folder_read_only(work, task, small_predictor):
    from .test_widget import click, send

    with single_torch_thread():
        files = folder_snapshot(work)
        widget = mvw.annotate(task["images"], model=small_predictor, workdir=work, read_only=True)
        assert "read-only" in widget.notice
        send(widget, click(100, 100))
        assert "read-only" in widget.error and widget.interactions == []
        send(widget, {"kind": "navigate", "index": 3, "by": 0})
        assert widget.index == 3 and widget.error == ""
        widget.brush = 7  # a display option: the widget keeps it in memory only
        assert folder_snapshot(work) == files
        with pytest.raises(WorkFolderError, match="no work folder given: read_only=True views one"):
            mvw.annotate(task["images"], model=small_predictor, read_only=True)


def test_load_reads_again_when_a_commit_lands_while_it_checks(
    work, task, small_predictor, monkeypatch
):
    state = work / "session.json"
    with single_torch_thread(), Session.resume(work, model=small_predictor) as session:
        older = state.read_bytes()  # names the first mask of image 0
        session.goto(0)
        square = np.zeros_like(session.mask)
        square[20:80, 20:80] = True
        session.set_mask(square)
        session.accept()
        monkeypatch.setattr(store, "UNNAMED_KEPT_S", 0.0)
        session.goto(0)  # the first mask is removed now
    newer = state.read_bytes()
    state.write_bytes(older)  # a reader reads this version, then a commit lands:
    checks = WorkFolder.holds

    def commit_meanwhile(folder: WorkFolder, relative: str) -> bool:
        state.write_bytes(newer)
        return checks(folder, relative)

    monkeypatch.setattr(WorkFolder, "holds", commit_meanwhile)
    record = WorkFolder(work).load()
    named = json.loads(newer)["structures"][0]["accepted"]["0"]["file"]
    assert record.structures["femur"].accepted[0].file == named  # the newer version
    monkeypatch.setattr(WorkFolder, "holds", checks)
    state.write_bytes(older)  # no commit lands: the file is really missing
    with pytest.raises(WorkFolderError, match="cannot be read: it is missing"):
        WorkFolder(work).load()


def test_readers_see_one_committed_version_while_another_process_commits(
    work, task, small_predictor
):
    held: list[str] = []  # every accepted mask a read-only Session read, encoded

    def view() -> None:
        viewer = Session.resume(work, model=small_predictor, read_only=True)
        for structure in STRUCTURES:
            viewer.structure = structure
            assert sorted(viewer.context_indices) == sorted(viewer.accepted)
            held.extend(encode(mask) for mask in viewer.accepted.values())

    with single_torch_thread(), _writer(work) as writer:
        _while_committing(writer, lambda: WorkFolder(work).load(), READS)  # a plain read
        _while_committing(writer, view, RESUMES)
        writer.kill()
    first = encode(task["masks"][0] > 0)  # accepted before the writer started
    assert held and set(held) <= writer.accepted_masks() | {first}


def _while_committing(writer: _Writer, read: Callable[[], object], times: int) -> None:
    """``read`` at least ``times`` times, and until the writer has accepted COMMITS masks."""
    start, deadline = writer.accepts(), time.monotonic() + DEADLINE_S
    done = 0
    while done < times or writer.accepts() - start < COMMITS:
        assert time.monotonic() < deadline, f"the writer accepted {writer.accepts() - start}"
        assert writer.process.poll() is None, writer.process.stderr.read()
        read()
        done += 1


def test_a_session_collected_while_another_opens_a_folder_does_not_hang(
    tmp_path, task, small_predictor, monkeypatch
):
    """The garbage collector may finalize a forgotten Session (one in a reference cycle) inside
    the guarded block of another Session's opening, in the same thread: its lock is released
    when the block ends. On c1e521c's lock the finalizer waited for the guard its own thread
    held, and the kernel hung (seen in the full suite). Here the collection runs while the
    holder file is written, inside that block."""
    write = folder_lock.atomic_write

    def collected_meanwhile(path: Path, data: bytes) -> None:
        gc.collect()
        write(path, data)

    opened: list[Session] = []

    def open_two() -> None:
        forgotten = _session(task, small_predictor, tmp_path / "a")
        forgotten.itself = forgotten  # a cycle: only the cyclic collector frees it
        del forgotten
        opened.append(_session(task, small_predictor, tmp_path / "b"))

    with single_torch_thread():
        gc.disable()  # the forgotten Session is collected inside the block, not before
        monkeypatch.setattr(folder_lock, "atomic_write", collected_meanwhile)
        try:
            worker = threading.Thread(target=open_two, daemon=True)
            worker.start()
            worker.join(DEADLINE_S)  # a hang fails the test instead of the suite
        finally:
            gc.enable()
        assert not worker.is_alive(), "opening a folder hung while a Session was collected"
        assert opened and not _is_locked(tmp_path / "a") and _is_locked(tmp_path / "b")
