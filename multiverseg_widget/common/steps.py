"""Slow work written as steps: a generator that yields its progress after each short step and
returns its result at the end.

Why: checking a context set and adapting the network to it take seconds. A script wants the
result (``finished``); an interface wants to answer the user's prompts between the steps, show
the progress and drop the work when it goes stale (``widget/background.py``). One generator
serves both, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar

Result = TypeVar("Result")


@dataclass(frozen=True)
class StepProgress:
    """``done`` of ``total`` steps of ``what`` ("checking", "adapting") are done."""

    what: str
    done: int
    total: int


Steps = Generator[StepProgress, None, Result]


def finished(steps: Steps[Result]) -> Result:
    """Run every step now and return the result.

    Args:
        steps: the work, not started (or part done).
    Returns:
        What the generator returns.
    """
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: Result = done.value
            return result
