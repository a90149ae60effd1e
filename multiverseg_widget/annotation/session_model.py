"""How a session asks its model: image i's prediction from its prompts and the current
structure's context set, each prepared once (not per click), and when the network checks and
adapts to a new context set.

Why deferral: checking a context set and adapting to it take seconds, once per set. Left alone
they happen inside the accept that opens the next image, and the user looks at the old image
while waiting. An interface defers them instead (``adaptation_deferred``): the next image opens
at once, and every prediction is made by the network as it is, with what the last check allows,
while ``adaptation_steps`` checks the set and adapts a step at a time between the user's
prompts; the adapted network takes over when it is ready. Scripts do not defer: each call
returns the final answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..common.steps import Steps, finished
from ..model.context import PreparedContext
from ..model.context_check import ContextEstimate
from ..model.inputs import PreparedImage
from ..model.prediction import Prediction
from ..model.predictor import Predictor
from ..prompts import Prompts
from .checks import AUTO
from .image_annotation import ImageAnnotation, Predict
from .workspace import Workspace

WorkKey = tuple[str, int, int, int | None]  # structure, context version, image, max_context


@dataclass
class AdaptationWork:
    """Adaptation for the image on screen, run by an interface between the user's prompts:
    work for another ``key`` than the current one is stale."""

    key: WorkKey
    steps: Steps[bool]


class SessionModel:
    """The session's ``model`` (a Predictor) with what it keeps prepared for the workspace."""

    def __init__(self, workspace: Workspace, model: Predictor) -> None:
        self.workspace = workspace
        self.model = model
        self._deferring = False
        self._image_ready: tuple[int, PreparedImage] | None = None
        self._context_ready: tuple[tuple[str, int, int | None], PreparedContext] | None = None

    @property
    def max_context(self) -> int | None:
        """The session's ``max_context`` with "auto" resolved to the model's latency budget
        on this machine (``Predictor.context_budget``)."""
        setting = self.workspace.max_context
        return self.model.context_budget() if setting == AUTO else setting

    def predict(self, i: int, prompts: Prompts, previous: Prediction | None) -> Prediction:
        """Image i's prediction with every prompt so far and the previous logits (as in the
        paper), from the context set without image i."""
        return self.model.predict(
            self.prepared_image(i),
            prompts,
            prev_logits=None if previous is None else previous.logits,
            context=self.prepared_context(i),
            max_context=self.max_context,
            adapt=not self._deferring,
        )

    def predictor(self, i: int) -> Predict:
        """``predict`` for image i: what its ``ImageAnnotation`` asks."""
        return lambda prompts, previous: self.predict(i, prompts, previous)

    def prepared_image(self, i: int) -> PreparedImage:
        if self._image_ready is None or self._image_ready[0] != i:
            self._image_ready = (i, self.model.prepare_image(self.workspace.dataset.images[i]))
        return self._image_ready[1]

    def prepared_context(self, i: int) -> PreparedContext:
        """The context set for image i, prepared once per version of the set (and per image
        left out of it: a reopened image is not its own example)."""
        part = self.workspace.part
        key = (part.name, part.context.version, i if i in part.context else None)
        if self._context_ready is None or self._context_ready[0] != key:
            self._context_ready = (key, self.model.prepare_context(self.context_for(i)))
        return self._context_ready[1]

    def context_for(self, i: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The context set without image i itself: a reopened image must not see its answer."""
        part, images = self.workspace.part, self.workspace.dataset.images
        return [(images[j], part.accepted[j]) for j in part.context.members if j != i]

    @contextlib.contextmanager
    def adaptation_deferred(self) -> Iterator[None]:
        """Within it, no prediction waits for the context set's check and adaptation (see the
        module)."""
        deferring, self._deferring = self._deferring, True
        try:
            yield
        finally:
            self._deferring = deferring

    def used_images(self, prediction: Prediction | None) -> list[int]:
        """The context images (dataset indices) ``prediction`` of the current image used: with
        a bounded ``max_context``, those most like the image ([] without context)."""
        if prediction is None:
            return []
        i, part = self.workspace.position, self.workspace.part
        others = [j for j in part.context.members if j != i]
        return [others[k] for k in prediction.context_used if k < len(others)]

    def context_estimate(self) -> ContextEstimate | None:
        """How well the current structure's context set (without the current image) predicts
        its own images, each from the others: what the model's context policy decides from.
        None when the model has no policy, or with fewer than 2 context images. The estimate
        the image's prediction was made with (before ``adapt`` where ``pending_check``): reading
        it costs nothing."""
        if self.model.context_policy is None:
            return None
        context = self.prepared_context(self.workspace.position)
        return self.model.context_estimate(context, self.max_context, refresh=False)

    def context_note(self) -> str:
        """``context_estimate`` for the user, with what predictions do with it ("" without)."""
        policy = self.model.context_policy
        return "" if policy is None else policy.describe(self.context_estimate())

    def pending_adaptation(self) -> int:
        """How many context images the network would adapt to before the current image gets
        its prediction from the context alone; 0 when there is nothing to wait for: the set is
        adapted, the network does not adapt, or the image shows more than that prediction
        (accepted, or with prompts), so that browsing accepted images waits for nothing."""
        i = self.workspace.position
        if not self._untouched(i):
            return 0
        return self.model.unadapted_context(self.prepared_context(i), self.max_context)

    def pending_check(self) -> bool:
        """Whether the model's context policy has yet to check the current image's context set
        before the image gets its prediction from the context alone (an image opened within
        ``adaptation_deferred`` shows the prediction the policy's last estimate allows)."""
        i = self.workspace.position
        return self._untouched(i) and self.model.context_unchecked(self.prepared_context(i))

    def adapt(self) -> bool:
        """When ``pending_adaptation`` or ``pending_check``: check the current image's context
        set, adapt the network to it where the policy says so, and predict the image from the
        context alone again. Returns whether it did."""
        if not (self.pending_adaptation() or self.pending_check()):
            return False
        return finished(self.adaptation_steps())

    def adaptation_work(self) -> AdaptationWork | None:
        """The current image's context set checked and adapted to a short step at a time, for
        an interface that answers prompts between the steps; None when nothing is due (the set
        is checked and adapted to, or the image is accepted)."""
        i = self.workspace.position
        if i in self.workspace.part.accepted:
            return None
        context = self.prepared_context(i)
        if self.model.context_unchecked(context) or self.model.unadapted_context(
            context, self.max_context
        ):
            return AdaptationWork(self._work_key(), self.adaptation_steps())
        return None

    def adaptation_steps(self) -> Steps[bool]:
        """Check the current image's context set and adapt to it a short step at a time
        (``Predictor.adaptation_steps``). At the end, an image still shown untouched, with the
        same context set, gets its prediction from the context alone again.

        Returns:
            Steps whose result says whether the image got that new prediction.
        """
        key, i, part = self._work_key(), self.workspace.position, self.workspace.part
        yield from self.model.adaptation_steps(self.prepared_context(i), self.max_context)
        if self._work_key() != key or self.workspace.part is not part or not self._untouched(i):
            return False
        first = self.predict(i, Prompts(), None)  # finds the adapted network, deferred or not
        part.annotations[i] = ImageAnnotation(part.annotations[i].shape, first)
        return True

    def _work_key(self) -> WorkKey:
        part = self.workspace.part
        return (part.name, part.context.version, self.workspace.position, self.max_context)

    def _untouched(self, i: int) -> bool:
        """Whether image i shows its prediction from the context alone, and nothing else."""
        part = self.workspace.part
        annotation = part.annotations.get(i)
        if annotation is None or i in part.accepted:
            return False
        history = annotation.history
        return not (history.can_undo or history.can_redo)
