"""What the user does to the current image: prompts, the eraser, hand edits, undo, redo and
clear. A facet of ``Session`` (its base class), kept apart so that each file has one concern;
it reaches the session's parts only through the few members named in ``Parts``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..model.prediction import Prediction
from ..model.preprocessing import as_mask
from ..prompts import Box, Click, MaskEdit, Prompts, Stroke
from .checks import frozen, image_shape
from .history import History, Step
from .image_annotation import ImageAnnotation
from .store import WorkFolder

DEFAULT_BRUSH = 3  # scribble width in image pixels


class ImageEditing:
    """The prompt API of ``Session``; see there."""

    # Parts: provided by Session.
    _store: WorkFolder | None
    _drafts: dict[str, np.ndarray]
    _index: int
    image: np.ndarray
    prediction: Prediction | None
    _annotation: Callable[[], ImageAnnotation]
    _predictor: Callable[[int], Callable[[Prompts, Prediction | None], Prediction]]
    _commit: Callable[..., None]

    def click(self, x: float, y: float, positive: bool = True) -> Prediction:
        """Add a click at image pixel (x, y); returns the new prediction."""
        return self._add(Prompts((Click(x, y, positive),)))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> Prediction:
        """Set the box (end exclusive, image pixels; corners in any order); a new box replaces
        the previous one. A box without area raises ValueError."""
        return self._add(Prompts((Box(x0, y0, x1, y1),)))

    def scribble(
        self,
        points: Sequence[tuple[float, float]],
        positive: bool = True,
        width: float = DEFAULT_BRUSH,
    ) -> Prediction:
        """Add a stroke through ``points`` (image pixels) with a round brush ``width`` wide."""
        return self._add(Prompts((Stroke(points, positive, width),)))

    def add(self, interactions: Sequence[Mapping[str, Any]] | Prompts) -> Prediction:
        """Add several prompts (a ``Prompts`` value, or their JSON forms) with one forward pass
        and one undo step.

        This is what a front end sends when the user was faster than the model: the kernel
        predicts once for the latest state instead of working through a backlog. Each entry is
        ``{"kind": "click", "x", "y", "positive"}``, ``{"kind": "box", "box": [x0, y0, x1, y1]}``
        or ``{"kind": "scribble", "points", "positive", "width"}``; all are checked first.
        """
        new = interactions if isinstance(interactions, Prompts) else Prompts.from_json(interactions)
        if not new:
            raise ValueError("add needs at least one interaction")
        if any(isinstance(p, MaskEdit) for p in new.items):
            raise ValueError("a mask is set with set_mask, not add")
        return self._add(new)

    def remove(self, positions: Sequence[int]) -> Prediction | None:
        """Drop the prompts at these positions of ``interactions`` (the eraser), as one undo
        step. The rest is predicted again in one pass, from the image's first prediction."""
        return self._push(self._annotation().removing(positions, self._predictor(self._index)))

    def set_mask(self, mask: np.ndarray) -> None:
        """Replace the current mask by a hand-edited one (undoable); accept() then takes it."""
        edited = frozen(as_mask(mask, image_shape(self.image), "mask") > 0.5)
        edit = MaskEdit()
        if self._store is not None:
            stored = self._store.write_mask("drafts", "", edited)
            edit = MaskEdit(stored.file, stored.sha256)
            self._drafts[stored.file] = edited
        self._push(self._annotation().editing(edited, edit))

    def undo(self) -> Prediction | None:
        """Go back one step (nothing happens at the first); returns the restored prediction."""
        history = self._history()
        before = history.after_undo()
        if before is not None:
            self._commit(log=before.prompts)
            history.undo()
        return history.current.prediction

    def redo(self) -> Prediction | None:
        """Re-apply the step undone last (nothing happens if none); returns its prediction."""
        history = self._history()
        after = history.after_redo()
        if after is not None:
            self._commit(log=after.prompts)
            history.redo()
        return history.current.prediction

    def clear(self) -> Prediction | None:
        """Drop every prompt of this image (undoable): back to its first prediction."""
        step = self._annotation().clearing()
        return self.prediction if step is None else self._push(step)

    def _history(self) -> History:
        return self._annotation().history

    def _add(self, new: Prompts) -> Prediction:
        return self._push(self._annotation().adding(new, self._predictor(self._index)))

    def _push(self, step: Step) -> Prediction | None:
        """Commit ``step`` as the current image's new state, then make it current."""
        self._commit(log=step.prompts)
        self._history().push(step)
        return step.prediction
