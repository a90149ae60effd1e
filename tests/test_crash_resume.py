"""SIGKILL a session of two structures at random moments during accepts and switches: every
resume holds every returned mask, of every structure. The accepts go through the Session, or
through the widget while the network adapts in the background, as in a kernel."""

from __future__ import annotations

import contextlib
import random
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from multiverseg_widget import Session
from multiverseg_widget.model import Predictor

from .conftest import COMPAT
from .crash_child import encode
from .session_helpers import real_task, single_torch_thread, start_child

TRIALS = 20
WIDGET_TRIALS = 5
GOLDEN = COMPAT / "multiverseg_pipeline_small_golden.pt.xz"
STRUCTURES = ["femur", "pelvis"]

Key = tuple[str, int]  # (structure, image)


@dataclass
class ChildRun:
    """What a killed child printed (``crash_child``)."""

    committed: dict[Key, str]  # the masks whose accept returned, the last one per image
    pending: tuple[Key, str] | None  # the accept the kill interrupted, if any
    accepts_in_job: int = 0  # accepts sent while a background job was under way, and returned
    killed_in_job: bool = False  # the kill landed while a job was under way, or in such an accept


def read_child(out: str, widget: bool) -> ChildRun:
    """The lines of a killed child; a line cut by the kill has no newline: it was not printed.
    The widget's accept lines end with ``job`` or ``idle`` (whether a background job was under
    way), and its background steps and the ends of its jobs print ``STEP`` and ``IDLE``."""
    run, pending_in_job = ChildRun({}, None), False
    for line in (line.split() for line in out.split("\n")[:-1]):
        kind, busy = line[0], widget and line[-1] == "job"
        if widget and kind in ("STEP", "IDLE"):
            assert len(line) == (3 if kind == "STEP" else 1), line
            run.killed_in_job = kind == "STEP"
            continue
        assert kind in ("PENDING", "DONE") and len(line) == 4 + widget, line[:3]
        key, mask = (line[1], int(line[2])), line[3]
        if kind == "PENDING":
            run.pending, pending_in_job = (key, mask), busy
        else:  # accept() returns the mask it was given
            assert run.pending == (key, mask)
            run.committed[key], run.pending = mask, None
            run.accepts_in_job += pending_in_job
        run.killed_in_job = busy
    return run


def kill_after(child: subprocess.Popen[str], accepts: int, delay: float) -> tuple[str, str]:
    """SIGKILL ``child`` ``delay`` seconds after it started its ``accepts``-th accept (its
    PENDING line; 0: after READY), or let it end sooner; returns its stdout and stderr.

    Its lines are read as they come, so that its pipe never blocks it (a child blocked in a
    print is not killed in its work), and through the pipe's buffered reader, which may hold
    lines already (it read READY): ``communicate`` would read past it and lose them."""
    stdout, stderr = child.stdout, child.stderr
    assert stdout is not None and stderr is not None
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        begun = 0
        for line in stdout:
            lines.append(line)
            begun += line.startswith("PENDING ")
            if begun == accepts:
                started.set()
        started.set()  # it ended

    reader = threading.Thread(target=read)
    reader.start()
    if accepts == 0:
        started.set()
    hung = not started.wait(timeout=120)  # a deadline for a hung child, not a wait
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=0 if hung else delay)
    child.send_signal(signal.SIGKILL)  # nothing if it ended
    child.wait()
    reader.join()
    with stdout, stderr:
        err = stderr.read()
    assert not hung, f"the child never started accept {accepts}: {err}"
    return "".join(lines), err


def held_after_resume(work: Path, predictor: Predictor, images: np.ndarray) -> dict[Key, str]:
    """Every accepted mask a read-only resume of ``work`` holds, checked for consistency."""
    with single_torch_thread():
        resumed = Session.resume(work, model=predictor, read_only=True)  # no lock
    assert resumed.structures == STRUCTURES
    held = {}
    for structure in STRUCTURES:
        resumed.structure = structure
        assert sorted(resumed.context_indices) == sorted(resumed.accepted)
        for i, mask in resumed.accepted.items():
            assert mask.shape == images[i].shape and mask.dtype == np.bool_
            held[(structure, i)] = encode(mask)
    return held


def kill_at_random(
    work: Path,
    predictor: Predictor,
    images: np.ndarray,
    trials: int,
    max_delay: float,
    *mode: str,
    accepted_first: int = 0,
) -> list[ChildRun]:
    """Start a writer in ``work`` ``trials`` times and SIGKILL it at random: a random time after
    it is ready (at most ``max_delay`` seconds), or one of its first accepts just after it began;
    after each kill, a resume must hold every mask accepted so far, and no mask never accepted
    (an interrupted accept may or may not have committed). Each structure starts with its first
    ``accepted_first`` images accepted."""
    with single_torch_thread():
        session = Session(images, model=predictor, workdir=work, structures=STRUCTURES)
        square = np.zeros(images.shape[1:3], dtype=bool)
        square[8:48, 8:48] = True
        for structure in STRUCTURES:
            session.structure = structure
            for i in range(accepted_first):
                session.goto(i)
                session.set_mask(square)
                session.accept()
        session.close()
    rng = random.Random(0)
    # the mask each (structure, image) must hold
    committed: dict[Key, str] = held_after_resume(work, predictor, images)
    runs = []
    for trial in range(trials):
        # resumes the session with the small golden networks and accepts until killed
        child = start_child("crash_child", str(work), str(GOLDEN), str(trial), *mode)
        if rng.random() < 0.5:  # the kill schedule: at any moment, or just inside an accept
            out, err = kill_after(child, 0, rng.uniform(0.0, max_delay))
        else:
            out, err = kill_after(child, rng.randint(1, 3), rng.uniform(0.0, 0.02))
        assert child.returncode == -signal.SIGKILL, err
        assert "Traceback" not in err, err  # e.g. a background job that failed: logged, not raised
        run = read_child(out, widget=bool(mode))
        committed.update(run.committed)
        held = held_after_resume(work, predictor, images)
        for key, mask in held.items():
            interrupted = run.pending[1] if run.pending and run.pending[0] == key else None
            assert mask in {committed.get(key), interrupted}, f"trial {trial}: {key} never accepted"
        assert set(committed) <= set(held), f"trial {trial}: an accepted mask was lost"
        committed = held
        runs.append(run)
    return runs


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_during_accepts_loses_nothing(tmp_path, small_predictor):
    images = real_task("medscribble_HipXRay")["images"]
    runs = kill_at_random(tmp_path / "work", small_predictor, images, TRIALS, 0.3)
    assert any(run.pending for run in runs), "no kill landed inside accept(); untested"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_during_widget_accepts_and_background_adaptation_loses_nothing(
    tmp_path, small_predictor
):
    # 12 images: each structure keeps images to accept, and so work in the background, for long;
    # two accepted from the start: a context set to adapt to from the first accept on
    images = real_task("bbbc039_nuclei")["images"]
    runs = kill_at_random(
        tmp_path / "work", small_predictor, images, WIDGET_TRIALS, 1.0, "widget", accepted_first=2
    )
    assert sum(run.accepts_in_job for run in runs), "no accept came during a background job"
    assert any(run.killed_in_job for run in runs), "no kill landed during a background job"
