"""Which image to annotate next: the open image the model is least sure about in the
propagation of the current context set (``WholeDataset.propagate``), and why.

Why a sample: with no propagation of the current set yet, the open images are predicted first,
all of them in a small dataset, ``SUGGEST_SAMPLE`` of them in a large one, so that the first
suggestion costs the same at 100 or 100,000 images. Why steps: that first suggestion predicts
up to 64 images, which takes a while on a CPU; an interface runs it a few images per step
(``suggestion_steps``) between the user's prompts, with its progress. Each step's predictions
join the propagation, so that work dropped half way is not lost.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..common.steps import StepProgress, Steps, finished
from .propagation import least_confident
from .whole_dataset import WholeDataset

SUGGEST_SAMPLE = 64  # open images predicted to suggest one, when none is predicted yet
SUGGEST_STEP = 2  # images predicted per step of ``suggestion_steps``
SURE = 0.8  # an open image less confident than this in the last propagation is one to check


@dataclass(frozen=True)
class Suggestion:
    """The image to annotate next, and why: its ``confidence`` in the last propagation (None
    without a context set: the first open image), and how many of the ``open_images`` the model
    is ``unsure`` of (confidence below ``SURE``; all of them without a context set)."""

    index: int
    confidence: float | None
    unsure: int
    open_images: int


class Suggestions:
    """The session's suggestions, from the whole-dataset part's propagation."""

    def __init__(self, whole: WholeDataset) -> None:
        self.whole = whole

    def suggest_next(self) -> int | None:
        """The image not yet accepted that the model is least sure about (None when all are).

        With an empty context set there is nothing to be sure about: the first open image.
        Images that cannot be read are skipped (``propagate`` warns about them).
        """
        found = self.suggestion()
        return None if found is None else found.index

    def suggestion(self) -> Suggestion | None:
        """``suggest_next``'s image with why it was chosen (None when every image is accepted):
        its confidence, and how many open images the model is unsure of (below ``SURE``)."""
        return finished(self.suggestion_steps())

    def suggestion_steps(self) -> Steps[Suggestion | None]:
        """``suggestion``, ``SUGGEST_STEP`` images predicted per step where the current context
        set's propagation has yet to predict the open images (no step otherwise).

        Returns:
            Steps whose result is the suggestion (None when every image is accepted).
        """
        sample = self._to_predict()
        for k in range(0, len(sample), SUGGEST_STEP):
            self.whole.propagate(sample[k : k + SUGGEST_STEP], progress=False)
            yield StepProgress("suggesting", min(k + SUGGEST_STEP, len(sample)), len(sample))
        return self._chosen(sample)

    def _to_predict(self) -> list[int]:
        """The open images to predict before one can be suggested: none when the propagation
        of the current context set has predicted some of them, or without a context set."""
        whole, todo = self.whole, self.whole.open_images()
        if not todo or not len(whole.workspace.part.context):
            return []
        key, result = whole.propagation_key(), whole.propagated
        if result is not None and result.key == key and any(i in result.confidence for i in todo):
            return []
        return (
            sorted(random.Random(key).sample(todo, SUGGEST_SAMPLE))
            if len(todo) > SUGGEST_SAMPLE
            else todo
        )

    def _chosen(self, predicted: list[int]) -> Suggestion | None:
        """The least sure of the ``predicted`` images (else of every open one), and why."""
        todo = self.whole.open_images()
        if not todo:
            return None
        result = self.whole.propagated
        if not len(self.whole.workspace.part.context) or result is None:
            return Suggestion(todo[0], None, len(todo), len(todo))
        index = least_confident(result, predicted or todo)
        if index is None:
            raise ValueError(
                f"none of the open images {predicted or todo} could be read to suggest one"
            )
        unsure = sum(1 for i in todo if result.confidence.get(i, SURE) < SURE)
        return Suggestion(index, float(result.confidence[index]), unsure, len(todo))
