"""One image's undo history: the steps of its annotation, pure (no model, no disk)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.prediction import Prediction
from ..prompts import Prompts


@dataclass(frozen=True)
class Step:
    """One state of an image's annotation: the prompts so far and what they produced."""

    prompts: Prompts
    prediction: Prediction | None  # the latest model output; None before the first one
    mask: np.ndarray  # H x W bool: what accept() takes (the prediction's, or a hand edit's)


class History:
    """Undo and redo stacks; ``first`` is the state before any prompt (the context-only
    prediction, or an empty mask), and can never be undone."""

    def __init__(self, first: Step) -> None:
        self.steps = [first]
        self.future: list[Step] = []

    @property
    def first(self) -> Step:
        """The state before any prompt: what ``clear`` and the eraser go back to."""
        return self.steps[0]

    @property
    def current(self) -> Step:
        """The state shown: what accept() takes."""
        return self.steps[-1]

    @property
    def can_undo(self) -> bool:
        """Whether there is a step before the current one."""
        return len(self.steps) > 1

    @property
    def can_redo(self) -> bool:
        """Whether a step was undone and nothing pushed since."""
        return bool(self.future)

    def after_undo(self) -> Step | None:
        """The step that ``undo`` would make current (None: nothing to undo)."""
        return self.steps[-2] if self.can_undo else None

    def after_redo(self) -> Step | None:
        """The step that ``redo`` would make current (None: nothing to redo)."""
        return self.future[-1] if self.future else None

    def push(self, step: Step) -> None:
        """A new step; whatever was undone can no longer be redone."""
        self.steps.append(step)
        self.future.clear()

    def undo(self) -> None:
        """Make the step before current, keeping this one for redo (nothing at the first)."""
        if self.can_undo:
            self.future.append(self.steps.pop())

    def redo(self) -> None:
        """Make the step undone last current again (nothing if none)."""
        if self.future:
            self.steps.append(self.future.pop())

    def replace_current_mask(self, mask: np.ndarray) -> None:
        """An accepted image shows its accepted mask, whatever its log replays to.

        Args:
            mask: H x W bool of the image's shape, read-only (the history keeps it as it is).
        """
        last = self.steps[-1]
        self.steps[-1] = Step(last.prompts, last.prediction, mask)
