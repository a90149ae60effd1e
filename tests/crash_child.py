"""Child process of test_crash_resume: resume a session and accept masks until killed.

Usage: python -m tests.crash_child WORKDIR GOLDEN_FILE SEED. Switches between the session's
structures at random; prints ``PENDING structure i mask`` before each accept() and
``DONE structure i mask`` once it returned (mask: base64 of its packed bits).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import numpy as np
import torch

from multiverseg_widget import Session
from multiverseg_widget.model import MultiverSegNet, Predictor, ScribblePromptUNet

from .conftest import load_golden


def encode(mask: np.ndarray) -> str:
    return base64.b64encode(np.packbits(mask).tobytes()).decode("ascii")


def main() -> None:
    workdir, golden_file, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(1)
    golden = load_golden(Path(golden_file))
    mvs = MultiverSegNet(**golden["mvs_config"])
    mvs.load_state_dict(golden["mvs_state_dict"])
    sp = ScribblePromptUNet(**golden["sp_config"])
    sp.load_state_dict(golden["sp_state_dict"])
    session = Session.resume(workdir, model=Predictor(mvs, sp))
    rng = np.random.default_rng(seed)
    print("READY", flush=True)
    while True:
        session.structure = session.structures[int(rng.integers(len(session.structures)))]
        i = int(rng.integers(len(session)))
        session.goto(i)
        height, width = session.image.shape[:2]
        y0, x0 = rng.integers(0, height - 8), rng.integers(0, width - 8)
        mask = np.zeros((height, width), dtype=bool)
        mask[y0 : y0 + rng.integers(4, 80), x0 : x0 + rng.integers(4, 80)] = True
        session.set_mask(mask)
        print("PENDING", session.structure, i, encode(mask), flush=True)
        returned = session.accept()
        print("DONE", session.structure, i, encode(returned), flush=True)


if __name__ == "__main__":
    main()
