"""When the network adapts to a new context set (``load_model(adapt_to_context=True)``). A
facet of ``Session`` (its base class), kept apart so that each file has one concern.

Why: adapting takes seconds, once per context set (checking the set, a fraction of that).
Left alone it happens inside the accept that opens the next image, and the user looks at the
old image while waiting. An interface defers it instead (``adaptation_deferred``): the next
image opens at once with the prediction of the network as it is, then ``adapt`` checks the set,
adapts and predicts that image again, while the user already sees it.

The same facet reports how far the current context set can be trusted (``context_estimate``):
the model's context policy decides from it whether the set is used and adapted to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from ..model.context import PreparedContext
from ..model.context_check import ContextEstimate
from ..model.inputs import PreparedImage
from ..model.prediction import Prediction
from ..model.predictor import Predictor
from ..prompts import Prompts
from .image_annotation import ImageAnnotation
from .structure import Structure


class ContextAdaptation:
    """The adaptation API of ``Session``; see there."""

    # Parts: provided by Session.
    model: Predictor
    max_context: int | None
    _index: int
    _defer_adaptation: bool
    _part: Structure
    _prepared_image: Callable[[int], PreparedImage]
    _prepared_context: Callable[[int], PreparedContext]
    _predict: Callable[[int, Prompts, Prediction | None], Prediction]

    @contextlib.contextmanager
    def adaptation_deferred(self) -> Iterator[None]:
        """Within it, an image opened does not wait for the network to adapt to its context set:
        its prediction from the context alone uses the network as it is, until ``adapt``.
        Predictions from prompts still adapt first: the user is waiting for those anyway."""
        self._defer_adaptation = True
        try:
            yield
        finally:
            self._defer_adaptation = False

    @property
    def context_estimate(self) -> ContextEstimate | None:
        """How well the current structure's context set (without the current image) predicts
        its own images, each from the others: what the model's context policy decides from.
        None when the model has no policy, or with fewer than 2 context images. The estimate
        the image's prediction was made with (before ``adapt`` where ``pending_check``): reading
        it costs nothing."""
        if self.model.context_policy is None:
            return None
        context = self._prepared_context(self._index)
        return self.model.context_estimate(context, self.max_context, refresh=False)

    @property
    def context_note(self) -> str:
        """``context_estimate`` for the user, with what predictions do with it ("" without)."""
        policy = self.model.context_policy
        return "" if policy is None else policy.describe(self.context_estimate)

    @property
    def pending_adaptation(self) -> int:
        """How many context images the network would adapt to before the current image gets
        its prediction from the context alone; 0 when there is nothing to wait for: the set is
        adapted, the network does not adapt, or the image shows more than that prediction
        (accepted, or with prompts), so that browsing accepted images waits for nothing."""
        i = self._index
        if not self._untouched(i):
            return 0
        image, context = self._prepared_image(i), self._prepared_context(i)
        return self.model.unadapted_context(image, context, self.max_context)

    @property
    def pending_check(self) -> bool:
        """Whether the model's context policy has yet to check the current image's context set
        before the image gets its prediction from the context alone (an image opened within
        ``adaptation_deferred`` shows the prediction the policy's last estimate allows)."""
        i = self._index
        return self._untouched(i) and self.model.context_unchecked(self._prepared_context(i))

    def adapt(self) -> bool:
        """When ``pending_adaptation`` or ``pending_check``: check the current image's context
        set, adapt the network to it where the policy says so, and predict the image from the
        context alone again. Returns whether it did."""
        if not (self.pending_adaptation or self.pending_check):
            return False
        i, part = self._index, self._part
        image, context = self._prepared_image(i), self._prepared_context(i)
        self.model.adapt_to(image, context, self.max_context)
        first = self._predict(i, Prompts(), None)  # finds the adapted network, deferred or not
        part.annotations[i] = ImageAnnotation(part.annotations[i].shape, first)
        return True

    def _untouched(self, i: int) -> bool:
        """Whether image i shows its prediction from the context alone, and nothing else."""
        annotation = self._part.annotations.get(i)
        if annotation is None or i in self._part.accepted:
            return False
        history = annotation.history
        return not (history.can_undo or history.can_redo)
