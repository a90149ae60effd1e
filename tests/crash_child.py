"""Child process of test_crash_resume: resume a session and accept masks until killed.

Usage: python -m tests.crash_child WORKDIR GOLDEN_FILE SEED [widget]. Switches between the
session's structures at random; prints ``PENDING structure i mask`` before each accept() and
``DONE structure i mask`` once it returned (mask: base64 of its packed bits).

With ``widget``, a SegmentWidget drives the session inside a running asyncio loop, as in a
kernel: the network adapts to each new context set in the background (shrunk to a few steps),
and the switches, the navigation and the accepts are the browser's messages. Each PENDING and
DONE line then ends with ``job`` or ``idle``: whether a background job was under way when the
accept was sent, and once it was answered. ``STEP done total`` follows each background step,
``IDLE`` the end of a job (a job stopped as stale is followed by the next one). Between accepts
the child yields to the loop: at random, briefly (a step or so: the next accept lands during
the job) or until the job under way is done.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import sys
from pathlib import Path

import numpy as np
import torch

from multiverseg_widget import Session
from multiverseg_widget.model import MultiverSegNet, Predictor, ScribblePromptUNet
from multiverseg_widget.model.context_adaptation import ADAPTATION_SETTINGS, adapt_to_context
from multiverseg_widget.widget.widget import SegmentWidget

from .conftest import load_golden


def encode(mask: np.ndarray) -> str:
    return base64.b64encode(np.packbits(mask).tobytes()).decode("ascii")


def random_mask(session: Session, rng: np.random.Generator) -> np.ndarray:
    """A random rectangle on the current image."""
    height, width = session.image.shape[:2]
    y0, x0 = rng.integers(0, height - 8), rng.integers(0, width - 8)
    mask = np.zeros((height, width), dtype=bool)
    mask[y0 : y0 + rng.integers(4, 80), x0 : x0 + rng.integers(4, 80)] = True
    return mask


def accept_through_session(session: Session, rng: np.random.Generator) -> None:
    while True:
        session.structure = session.structures[int(rng.integers(len(session.structures)))]
        i = int(rng.integers(len(session)))
        session.goto(i)
        mask = random_mask(session, rng)
        session.set_mask(mask)
        print("PENDING", session.structure, i, encode(mask), flush=True)
        returned = session.accept()
        print("DONE", session.structure, i, encode(returned), flush=True)


async def accept_through_widget(session: Session, rng: np.random.Generator) -> None:
    widget = SegmentWidget(session)
    requests = itertools.count(1)

    def send(*actions: dict) -> None:
        """One request as the front end sends it, through ipywidgets' comm entry point."""
        content = {"type": "actions", "request": next(requests), "actions": list(actions)}
        widget._handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )
        assert widget.ack == content["request"] and widget.error == "", widget.error

    def job() -> str:
        """Whether the widget adapts in the background, as the browser reads it: the notice of
        that work is shown from the request that starts it until the work ends."""
        codes = {notice["code"] for notice in widget.notices}
        return "job" if codes & {"adapting", "checking"} else "idle"

    def on_work(change: dict) -> None:  # the `work` trait: each step's progress, {} at the end
        if change["new"]:
            print("STEP", change["new"]["done"], change["new"]["total"], flush=True)
        else:
            print("IDLE", flush=True)
        if not change["new"] or change["new"]["done"]:  # a step done, or the job's end
            stepped.set()

    stepped = asyncio.Event()

    idle = asyncio.Event()  # set once the job's notice is gone
    widget.observe(on_work, names="work")
    widget.observe(lambda _: idle.set() if job() == "idle" else None, names="notices")
    while True:
        send({"kind": "structure", "name": str(rng.choice(session.structures))})
        i = int(rng.integers(len(session)))
        send({"kind": "navigate", "index": i, "by": 0})
        mask = random_mask(session, rng)
        session.set_mask(mask)
        print("PENDING", session.structure, i, encode(mask), job(), flush=True)
        send({"kind": "accept"})
        print("DONE", session.structure, i, encode(session.accepted[i]), job(), flush=True)
        if job() == "job" and rng.random() < 0.3:
            idle.clear()
            await idle.wait()  # the job runs to its end
        elif job() == "job":
            stepped.clear()
            await stepped.wait()  # one step: the next accept lands during the job


def main() -> None:
    workdir, golden_file, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    through_widget = sys.argv[4:] == ["widget"]
    torch.set_num_threads(1)
    golden = load_golden(Path(golden_file))
    mvs = MultiverSegNet(**golden["mvs_config"])
    mvs.load_state_dict(golden["mvs_state_dict"])
    sp = ScribblePromptUNet(**golden["sp_config"])
    sp.load_state_dict(golden["sp_state_dict"])
    if through_widget:
        # four episodes, not the default's forty (each a twentieth of a second here): a job
        # is short enough to end now and then, and long enough for kills and accepts to land in
        ADAPTATION_SETTINGS.update(steps=2, episodes_per_step=2)
        # a process's first backward pass takes a second (torch sets itself up): spent before
        # READY, on a throwaway copy, so that the kill schedule covers the work itself
        adapt_to_context(mvs, torch.rand(2, 2, 32, 32))
    session = Session.resume(workdir, model=Predictor(mvs, sp, adapt_to_context=through_widget))
    rng = np.random.default_rng(seed)
    print("READY", flush=True)
    if through_widget:
        asyncio.run(accept_through_widget(session, rng))
    else:
        accept_through_session(session, rng)


if __name__ == "__main__":
    main()
