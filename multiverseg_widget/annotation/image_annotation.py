"""One image's annotation: its undo history and the operations that make new steps from
prompts. It knows neither the disk nor the other images: each operation returns the step it
would make current, the session commits that step to the work folder, then pushes it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..model.prediction import Prediction
from ..prompts import MaskEdit, Prompts
from .checks import checked_index, frozen
from .history import History, Step

# prompts and the previous prediction -> the model's new prediction for this image
Predict = Callable[[Prompts, Prediction | None], Prediction]


class ImageAnnotation:
    def __init__(self, shape: tuple[int, int], first: Prediction | None) -> None:
        """``first``: the prediction from the context alone (None without context)."""
        mask = np.zeros(shape, dtype=bool) if first is None else first.mask
        self.shape = shape
        self.history = History(Step(Prompts(), first, frozen(mask)))

    @classmethod
    def replayed(
        cls,
        shape: tuple[int, int],
        first: Prediction | None,
        log: Prompts,
        predict: Predict,
        read_edit: Callable[[MaskEdit], np.ndarray],
    ) -> ImageAnnotation:
        """The annotation as ``log`` left it: each prompt predicted again in turn (the undo
        history comes back too), each mask edit read back.

        Args:
            shape: the image's (H, W).
            first: the prediction from the context alone (None without context).
            log: the image's saved prompts and mask edits, in order.
            predict: prompts and the previous prediction -> the new prediction.
            read_edit: a logged ``MaskEdit`` -> its mask, H x W bool.
        """
        annotation = cls(shape, first)
        history = annotation.history
        for entry in log.items:
            if isinstance(entry, MaskEdit):
                history.push(annotation.editing(read_edit(entry), entry))
            else:
                history.push(annotation.adding(Prompts((entry,)), predict))
        return annotation

    @property
    def current(self) -> Step:
        """The step shown (the history's current one)."""
        return self.history.current

    def adding(self, new: Prompts, predict: Predict) -> Step:
        """The step with ``new`` prompts added: one forward pass (which checks that they lie
        inside the image, ``model.inputs.encode_inputs``, before anything changes)."""
        return self._predicted(self.current.prompts + new, self.current.prediction, predict)

    def removing(self, positions: Sequence[int], predict: Predict) -> Step:
        """The step without the prompts at ``positions`` (the eraser): the rest is predicted
        again in one pass from the image's first prediction."""
        current = self.current.prompts
        if isinstance(positions, (str, bytes, Mapping)) or not isinstance(positions, Sequence):
            raise ValueError("remove needs a list of interaction positions")
        drop = {checked_index(k, len(current), "interaction position") for k in positions}
        if not drop:
            raise ValueError("remove needs at least one interaction position")
        if any(isinstance(p, MaskEdit) for p in current.items[min(drop) + 1 :]):
            raise ValueError(
                "interactions made before a hand-edited mask cannot be removed; use undo"
            )
        kept, first = current.without(drop), self.history.first
        if not kept:
            return Step(Prompts(), first.prediction, first.mask)
        return self._predicted(kept, first.prediction, predict)

    def editing(self, mask: np.ndarray, edit: MaskEdit) -> Step:
        """The step whose mask is set by hand (the prediction stays for refining).

        Args:
            mask: H x W bool of the image's shape (kept as a read-only copy).
            edit: the log's entry for it (its draft file, in a work folder).
        """
        current = self.current
        return Step(current.prompts + [edit], current.prediction, frozen(mask))

    def clearing(self) -> Step | None:
        """The step back at the first prediction; None when there is nothing to clear."""
        first, current = self.history.first, self.current
        if not (current.prompts or current.mask is not first.mask):
            return None
        return Step(Prompts(), first.prediction, first.mask)

    @staticmethod
    def _predicted(prompts: Prompts, previous: Prediction | None, predict: Predict) -> Step:
        prediction = predict(prompts, previous)
        return Step(prompts, prediction, frozen(prediction.mask))
