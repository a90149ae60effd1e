"""The current image: opening it (its annotation replayed from its log the first time), and what
the user does to it: prompts, the eraser, hand edits and paint, undo, redo and clear. Each
operation makes the new step first, then commits it, then shows it (``changes.ImageStep``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..model.prediction import Prediction
from ..model.preprocessing import as_mask
from ..prompts import Box, Click, MaskEdit, Prompts, Stroke, rasterise
from .changes import ImageStep, Move
from .checks import checked_index, frozen
from .history import History, Step
from .image_annotation import ImageAnnotation
from .session_model import SessionModel
from .workspace import Workspace

DEFAULT_BRUSH = 3  # scribble width in image pixels


class ImageEditor:
    """The prompt API of ``Session``, for the image at ``workspace.position``."""

    def __init__(self, workspace: Workspace, model: SessionModel) -> None:
        self.workspace = workspace
        self.model = model

    @property
    def history(self) -> History:
        """The current image's undo history."""
        return self._annotation().history

    def open(self, i: int) -> None:
        """Make image i's annotation ready (its prediction from the context alone, then its
        saved log replayed), the first time it is opened for the current structure."""
        part, workspace = self.workspace.part, self.workspace
        if i in part.annotations:
            return
        shape = workspace.shape(i)
        has_context = any(j != i for j in part.context.members)
        first = self.model.predict(i, Prompts(), None) if has_context else None
        log = part.saved_logs.get(i, Prompts())
        read_edit = lambda edit: workspace.read_draft(edit, shape)  # noqa: E731
        annotation = ImageAnnotation.replayed(shape, first, log, self.model.predictor(i), read_edit)
        if i in part.accepted:
            annotation.history.replace_current_mask(part.accepted[i])
        part.annotations[i] = annotation
        part.saved_logs.pop(i, None)

    def goto(self, i: int) -> Prediction | None:
        """Open image i (accepted ones can be reopened and corrected).

        Args:
            i: the image's index in the dataset.

        Returns:
            The image's latest model output, as ``prediction`` (its ``mask``: H x W bool; a
            hand edit since is in the session's ``mask`` only); None before the first (no
            context set, no prompts).
        """
        i = checked_index(i, len(self.workspace.dataset))
        self.open(i)
        self.workspace.perform(Move(i))
        return self.history.current.prediction

    def next(self) -> Prediction | None:
        """Open the following image (stays at the last one); returns what ``goto`` does."""
        return self.goto(min(self.workspace.position + 1, len(self.workspace.dataset) - 1))

    def previous(self) -> Prediction | None:
        """Open the preceding image (stays at the first one); returns what ``goto`` does."""
        return self.goto(max(self.workspace.position - 1, 0))

    def click(self, x: float, y: float, positive: bool = True) -> Prediction:
        """Add a click at image pixel (x, y): one forward pass, one undo step.

        Args:
            x: the column, in image pixels.
            y: the row, in image pixels.
            positive: True inside the structure, False outside it.

        Returns:
            The new prediction: ``mask`` H x W bool, ``logits`` 128 x 128 float32.
        """
        return self._add(Prompts((Click(x, y, positive),)))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> Prediction:
        """Set the box (end exclusive, image pixels; corners in any order); a new box replaces
        the previous one. A box without area raises ValueError. Returns the new prediction."""
        return self._add(Prompts((Box(x0, y0, x1, y1),)))

    def scribble(
        self,
        points: Sequence[tuple[float, float]],
        positive: bool = True,
        width: float = DEFAULT_BRUSH,
    ) -> Prediction:
        """Add a stroke with a round brush: one forward pass, one undo step.

        Args:
            points: (x, y) points in image pixels, in the order drawn.
            positive: True inside the structure, False outside it.
            width: the brush's diameter in image pixels.

        Returns:
            The new prediction: ``mask`` H x W bool, ``logits`` 128 x 128 float32.
        """
        stroke = Stroke(points, positive, width)  # type: ignore[arg-type]  # it checks any sequence
        return self._add(Prompts((stroke,)))

    def add(self, interactions: Sequence[Mapping[str, Any]] | Prompts) -> Prediction:
        """Add several prompts (a ``Prompts`` value, or their JSON forms) with one forward pass
        and one undo step.

        This is what a front end sends when the user was faster than the model: the kernel
        predicts once for the latest state instead of working through a backlog. Each entry is
        ``{"kind": "click", "x", "y", "positive"}``, ``{"kind": "box", "box": [x0, y0, x1, y1]}``
        or ``{"kind": "scribble", "points", "positive", "width"}``; all are checked first.

        Args:
            interactions: a ``Prompts`` value, or a non-empty list of the JSON forms above.

        Returns:
            The new prediction: ``mask`` H x W bool, ``logits`` 128 x 128 float32.
        """
        new = interactions if isinstance(interactions, Prompts) else Prompts.from_json(interactions)
        if not new:
            raise ValueError("add needs at least one interaction")
        if any(isinstance(p, MaskEdit) for p in new.items):
            raise ValueError("a mask is set with set_mask, not add")
        return self._add(new)

    def remove(self, positions: Sequence[int]) -> Prediction | None:
        """Drop prompts (the eraser), as one undo step. The rest is predicted again in one
        pass, from the image's first prediction.

        Args:
            positions: positions in the image's prompts (``interactions``), not image indices.

        Returns:
            The new prediction (``mask``: H x W bool); with no prompt left, the image's first
            prediction (None without a context set).
        """
        step = self._annotation().removing(positions, self.model.predictor(self.workspace.position))
        return self._push(step)

    def set_mask(self, mask: np.ndarray) -> None:
        """Replace the current mask by a hand-edited one (undoable); accept() then takes it.

        Args:
            mask: H x W of the current image's shape, bool or numbers in [0, 1] (above 0.5 is
                inside); anything else raises ValueError.
        """
        workspace = self.workspace
        edited = frozen(as_mask(mask, workspace.shape(workspace.position), "mask") > 0.5)
        edit = MaskEdit()
        if workspace.store is not None:
            stored = workspace.store.write_mask("drafts", "", edited)
            edit = MaskEdit(stored.file, stored.sha256)
            workspace.drafts[stored.file] = edited
        self._push(self._annotation().editing(edited, edit))

    def paint(self, region: Stroke | np.ndarray, add: bool = True) -> bool:
        """Paint ``region`` into the current mask, or erase it: a hand edit, undoable like
        ``set_mask``.

        Args:
            region: a ``Stroke`` (its pixels), or an H x W mask of the current image's shape,
                bool or numbers in [0, 1] (above 0.5 is painted).
            add: True paints, False erases.

        Returns:
            Whether the mask changed (a paint that changes nothing is no undo step).
        """
        current = self.history.current.mask
        shape = (int(current.shape[0]), int(current.shape[1]))
        if isinstance(region, Stroke):
            region.check_inside(*shape)
            rasterised = rasterise([region], shape)
            assert rasterised is not None  # one stroke always has pixels
            painted = rasterised
        else:
            painted = as_mask(region, shape, "paint region") > 0.5
        mask = current | painted if add else current & ~painted
        if np.array_equal(mask, current):
            return False
        self.set_mask(mask)
        return True

    def undo(self) -> Prediction | None:
        """Go back one step (nothing happens at the first).

        Returns:
            The image's latest model output, as ``prediction`` (its ``mask``: H x W bool; a
            hand edit since is in the session's ``mask`` only); None before the first (no
            context set, no prompts).
        """
        before = self.history.after_undo()
        if before is not None:
            self.workspace.perform(ImageStep(before, "undo"))
        return self.history.current.prediction

    def redo(self) -> Prediction | None:
        """Re-apply the step undone last (nothing happens if none).

        Returns:
            The image's latest model output, as ``prediction`` (its ``mask``: H x W bool; a
            hand edit since is in the session's ``mask`` only); None before the first (no
            context set, no prompts).
        """
        after = self.history.after_redo()
        if after is not None:
            self.workspace.perform(ImageStep(after, "redo"))
        return self.history.current.prediction

    def clear(self) -> Prediction | None:
        """Drop every prompt of this image (undoable): back to its first prediction.

        Returns:
            The image's first prediction, from the context set alone (``mask``: H x W bool);
            None without a context set.
        """
        step = self._annotation().clearing()
        return self.history.current.prediction if step is None else self._push(step)

    def _add(self, new: Prompts) -> Prediction:
        """``new`` prompts (checked inside the image): one forward pass, one undo step."""
        step = self._annotation().adding(new, self.model.predictor(self.workspace.position))
        self._push(step)
        assert step.prediction is not None  # a step made by the network has its prediction
        return step.prediction

    def _annotation(self) -> ImageAnnotation:
        return self.workspace.part.annotations[self.workspace.position]

    def _push(self, step: Step) -> Prediction | None:
        self.workspace.perform(ImageStep(step))
        return step.prediction
