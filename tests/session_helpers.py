"""Helpers shared by the session, store and crash tests: real data and folder snapshots."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from multiverseg_widget.annotation.folder_lock import HOLDER_FILE, LOCK_FILE

from .conftest import COMPAT, DATA

REPO = Path(__file__).resolve().parents[1]


def start_child(module: str, *args: str) -> subprocess.Popen[str]:
    """``python -m tests.<module> args...`` (this checkout first on the path, torch on one
    thread), returned once it has printed READY; its stdout and stderr are pipes."""
    child = subprocess.Popen(
        [sys.executable, "-m", f"tests.{module}", *args],
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = child.stdout.readline()  # type: ignore[union-attr]
    if ready != "READY\n":
        child.kill()
        raise AssertionError(child.communicate()[1])
    return child


def real_task(name: str = "bbbc039_nuclei") -> dict[str, np.ndarray]:
    """A demo task from tests/data/demo (BBBC039: its first 12 images): images, ground-truth
    masks (bool) and names."""
    with np.load(DATA / "demo" / f"{name}.npz") as f:
        return {"images": f["images"], "masks": f["masks"].astype(bool), "names": f["names"]}


def folder_snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its bytes: to show that nothing was written. The writer's
    lock and holder file are left out: they come and go with the Sessions that hold the folder
    (one garbage-collected meanwhile gives it up)."""
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name not in (LOCK_FILE, HOLDER_FILE)
    }


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run torch on one thread: on this shared 2-core machine two spinning OpenMP threads
    competing with other jobs make a small forward pass up to 50 times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def start_writer(workdir: Path, seed: int) -> subprocess.Popen[str]:
    """A child process (``crash_child``) that resumes the session in ``workdir`` with the small
    golden networks and accepts masks until killed, printing each (see there)."""
    golden = COMPAT / "multiverseg_pipeline_small_golden.pt.xz"
    return start_child("crash_child", str(workdir), str(golden), str(seed))
