"""Shared fixtures: where ../shared lives, and small real networks with the golden weights."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from multiverseg_widget.model import MultiverSegNet, Predictor, ScribblePromptUNet

SHARED = Path(os.environ.get("MVW_SHARED", Path(__file__).resolve().parents[2] / "shared"))
COMPAT = SHARED / "compat"
DATA = SHARED / "data"


def load_golden(name: str) -> dict:
    return torch.load(COMPAT / name, weights_only=True)


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
def eval_task() -> dict[str, np.ndarray]:
    """A real labelled task (OASIS brain MRI): images and masks, N x 256 x 256 uint8."""
    with np.load(DATA / "eval" / "medscribble_OASIS.npz") as f:
        return {"images": f["images"], "masks": f["masks"]}
