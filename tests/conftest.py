"""Shared fixtures: the committed test data (tests/data), and small real networks with the
official golden weights. Nothing outside the repository is read: a fresh clone tests itself."""

from __future__ import annotations

import asyncio
import io
import lzma
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from multiverseg_widget.model import MultiverSegNet, Predictor, ScribblePromptUNet
from multiverseg_widget.model.context_adaptation import ADAPTATION_SETTINGS
from multiverseg_widget.model.context_budget import BUDGET_ENV, MAX_ITEMS

# Sessions see every context item the tests give them (at most a few), whatever this machine's
# latency budget (model/context_budget.py, tested in test_context_budget.py): the same
# predictions on a loaded machine as on an idle one. Kernels and children inherit it.
os.environ.setdefault(BUDGET_ENV, str(MAX_ITEMS))

DATA = Path(__file__).resolve().parent / "data"  # how each file was made: data/README.md
COMPAT = DATA / "compat"  # the official code's golden vectors and state-dict manifests


def load_golden(name: str | Path) -> dict:
    """A golden file of the official code by name (``x.pt`` reads ``compat/x.pt.xz``) or path.

    The files are stored xz-compressed, which is lossless and halves the repository's share.
    """
    path = COMPAT / name
    if path.suffix != ".xz":
        path = path.with_name(path.name + ".xz")
    return torch.load(io.BytesIO(lzma.decompress(path.read_bytes())), weights_only=True)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The committed test data folder (tests/data)."""
    return DATA


@pytest.fixture(scope="session")
def pipeline_golden() -> dict:
    return load_golden("multiverseg_pipeline_small_golden.pt")


@pytest.fixture(scope="session")
def small_nets(pipeline_golden) -> tuple[MultiverSegNet, ScribblePromptUNet]:
    mvs = MultiverSegNet(**pipeline_golden["mvs_config"])
    mvs.load_state_dict(pipeline_golden["mvs_state_dict"])
    sp = ScribblePromptUNet(**pipeline_golden["sp_config"])
    sp.load_state_dict(pipeline_golden["sp_state_dict"])
    return mvs.eval(), sp.eval()


@pytest.fixture()
def small_predictor(small_nets) -> Predictor:
    """The small official-shaped networks behind a fresh Predictor (fresh context cache)."""
    return Predictor(*small_nets)


@pytest.fixture(scope="session")
def labelled_task() -> dict[str, np.ndarray]:
    """A real labelled task (HipXRay femur, a demo task none of our weights trained on): 5 images
    and masks, N x 256 x 256 uint8."""
    with np.load(DATA / "demo" / "medscribble_HipXRay.npz") as f:
        return {"images": f["images"], "masks": f["masks"]}


@pytest.fixture(scope="session")
def nuclei() -> dict[str, np.ndarray]:
    """The BBBC039 nuclei task the session tests annotate (tests/data/demo)."""
    from .session_helpers import real_task  # it reads DATA from here

    return real_task("bbbc039_nuclei")


@pytest.fixture(autouse=True)
def no_event_loop_left_running(request) -> Iterator[None]:
    """Outside the browser tests, no event loop runs on the test's thread, as in a script.

    Playwright's sync API (the browser tests' session-wide Chromium) keeps its event loop marked
    as running on the main thread between its calls, for the rest of the session. The widget
    runs its background work on a running loop, so that mark would send every later widget test
    to a loop that never turns; it is taken off for the test, and put back after it.
    """
    if "browser" in request.node.path.parts:
        yield
        return
    leaked = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(leaked)


@pytest.fixture()
def quick_adaptation(monkeypatch) -> None:
    """One step of one episode: when and where the network adapts, not how well, is tested
    with it (the small official-shaped networks take seconds per step)."""
    for name, value in {"steps": 1, "episodes_per_step": 1}.items():
        monkeypatch.setitem(ADAPTATION_SETTINGS, name, value)
