"""When the network adapts to a new context set (``load_model(adapt_to_context=True)``). A
facet of ``Session`` (its base class), kept apart so that each file has one concern.

Why: adapting takes seconds, once per context set. Left alone it happens inside the accept
that opens the next image, and the user looks at the old image while waiting. An interface
defers it instead (``adaptation_deferred``): the next image opens at once with the prediction of
the network as it is, then ``adapt`` adapts and predicts that image again, while the user
already sees it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from ..model.predictor import Prediction, Predictor, PreparedContext, PreparedImage
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
        """Within it, predictions do not wait for the network to adapt to a new context set:
        they use the network as it is, until ``adapt``."""
        self._defer_adaptation = True
        try:
            yield
        finally:
            self._defer_adaptation = False

    @property
    def pending_adaptation(self) -> int:
        """How many context images the network would first adapt to before predicting the
        current image; 0 when there is nothing to wait for."""
        i = self._index
        image, context = self._prepared_image(i), self._prepared_context(i)
        return self.model.unadapted_context(image, context, self.max_context)

    def adapt(self) -> bool:
        """Adapt the network to the current image's context set now, if it adapts and is not
        adapted to it yet; returns whether it did. The image's prediction from the context
        alone is predicted again with the adapted network, unless the user has changed it."""
        if not self.pending_adaptation:
            return False
        i, part = self._index, self._part
        image, context = self._prepared_image(i), self._prepared_context(i)
        self.model.adapt_to(image, context, self.max_context)
        annotation = part.annotations[i]
        history = annotation.history
        if not (history.can_undo or history.can_redo or i in part.accepted):
            first = self._predict(i, Prompts(), None)  # finds the adapted network, deferred or not
            part.annotations[i] = ImageAnnotation(annotation.shape, first)
        return True
