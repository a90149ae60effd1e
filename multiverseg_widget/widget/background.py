"""Work the widget does between the user's requests: one job at a time, one short step per turn
of the kernel's event loop.

Why the event loop and not a thread: the kernel reads the browser's messages on that loop, so a
message that arrives during a step is handled before the next step (each step is scheduled a
little later, ``STEP_GAP_S``, which lets the message in first). The user's prompts thus come
before the work, on the same thread as every other change to the session: nothing to lock, and
a prompt waits at most for the step under way. A step is short (one context item checked, one
episode learned: ``common/steps.py``). Work nobody waits for (adaptation) also keeps out of an
active user's way: its next step comes ``grace_s`` after the user's last request
(``after_request``), so that a burst of prompts, or the first prompt on an image just opened,
rarely meets a step at all.

Without a running loop (a script that drives the widget directly), a job runs at once, to the
end, inside the request, as the widget did before: a failure fails the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..common.steps import StepProgress, Steps

log = logging.getLogger(__name__)

STEP_GAP_S = 0.005  # seconds between steps: a message that arrived meanwhile goes first


@dataclass
class Job:
    """A job's steps and what to call with its progress, its end and its failure."""

    key: Hashable  # what the job works for: a job for another key is stale
    steps: Steps[object]
    on_progress: Callable[[StepProgress], None]
    on_done: Callable[[Any], None]  # called with the steps' result
    on_error: Callable[[Exception], None]
    grace_s: float = 0.0  # how long after the user's last request the next step waits


class BackgroundWork:
    """Runs the widget's one background job (see the module)."""

    def __init__(self) -> None:
        self._job: Job | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def key(self) -> Hashable | None:
        """The key of the job under way; None when there is none."""
        return None if self._job is None else self._job.key

    def start(self, job: Job) -> None:
        """Run ``job``, dropping the one under way (stale once another is due)."""
        self.cancel()
        self._job = job
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: run it now, inside the request (which fails with it)
            self._job = None
            while True:
                try:
                    progress = next(job.steps)
                except StopIteration as done:
                    job.on_done(done.value)
                    return
                job.on_progress(progress)
        self._timer = loop.call_later(job.grace_s, self._turn, job)

    def after_request(self) -> None:
        """The user just made a request: the job's next step waits its ``grace_s`` again."""
        job = self._job
        if job is not None and job.grace_s and self._timer is not None:
            self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(job.grace_s, self._turn, job)

    def cancel(self) -> None:
        """Drop the job under way, if any: it stops after the step it is in, keeping nothing."""
        job, self._job = self._job, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if job is not None:
            job.steps.close()

    def _turn(self, job: Job) -> None:
        """One step of ``job`` on the event loop, and the next one scheduled."""
        self._timer = None
        self._step(job)
        if self._job is job:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(STEP_GAP_S, self._turn, job)

    def _step(self, job: Job) -> None:
        """One step of ``job`` on the event loop; its end or failure ends it."""
        try:
            progress = next(job.steps)
        except StopIteration as done:
            self._job = None
            job.on_done(done.value)
        except Exception as e:  # a failed job must not stop the widget: the user is told
            self._job = None
            log.exception("background work failed")
            job.on_error(e)
        else:
            job.on_progress(progress)
