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
        return self.steps[0]

    @property
    def current(self) -> Step:
        return self.steps[-1]

    @property
    def can_undo(self) -> bool:
        return len(self.steps) > 1

    @property
    def can_redo(self) -> bool:
        return bool(self.future)

    def after_undo(self) -> Step | None:
        """The step that ``undo`` would make current (None: nothing to undo)."""
        return self.steps[-2] if self.can_undo else None

    def after_redo(self) -> Step | None:
        return self.future[-1] if self.future else None

    def push(self, step: Step) -> None:
        """A new step; whatever was undone can no longer be redone."""
        self.steps.append(step)
        self.future.clear()

    def undo(self) -> None:
        if self.can_undo:
            self.future.append(self.steps.pop())

    def redo(self) -> None:
        if self.future:
            self.steps.append(self.future.pop())

    def replace_current_mask(self, mask: np.ndarray) -> None:
        """An accepted image shows its accepted mask, whatever its log replays to."""
        last = self.steps[-1]
        self.steps[-1] = Step(last.prompts, last.prediction, mask)
