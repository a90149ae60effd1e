"""What the widget does for its session in the background (background.py runs it): the context
set's check and the network's adaptation to it for the image shown, and the suggestion of the
next image, whose first run for a context set predicts the open images.

The user's prompts never wait for either: the requests are answered at once, the work's
progress goes to the ``work`` trait, and its end shows what changed. Adaptation is for the image
on screen: work for another image or context set is stale and stops. A suggestion is the user's
request to go elsewhere: a change the user makes meanwhile drops it; the adaptation for the
image it opens starts once it has opened it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from ..annotation.session import Session
from ..annotation.suggestion import SURE, Suggestion
from ..common.steps import StepProgress
from .actions import Action
from .background import BackgroundWork, Job
from .errors import error_message
from .notices import (
    Notice,
    adapting,
    checking,
    suggested,
    suggested_first_open,
    suggesting,
)

SUGGESTING = "suggest"  # the key of a suggestion's job
# Seconds after the user's last request before the next adaptation step (a suggestion, which the
# user waits for, has none): the first prompt on the image an accept opened, or a burst of
# prompts, comes before any step.
GRACE_S = 0.5
Notices = tuple[Notice, ...]
# show(notices, error): make the widget show the notices ``notices(shown)`` of those it shows,
# and ``error`` (None: the error it shows), once the work under way is done
Show = Callable[[Callable[[Notices], Notices], str | None], None]


class SessionWork:
    """The widget's background work for ``session``; ``progress`` shows a step's progress (None:
    no work under way), ``show`` what the status line says."""

    def __init__(
        self, session: Session, progress: Callable[[StepProgress | None], None], show: Show
    ) -> None:
        self.session = session
        self._progress = progress
        self._show = show
        self._runner = BackgroundWork()
        self._busy: Notices = ()  # the notice of the work under way
        self._said: Notice | None = None  # the last suggestion's notice

    @property
    def under_way(self) -> Hashable | None:
        """What the job under way works for (None: no job): ``SUGGESTING``, or the
        ``AdaptationWork.key`` of the image it adapts for."""
        return self._runner.key

    def before(self, actions: Sequence[Action]) -> None:
        """A batch that changes anything drops the suggestion under way: the user moved on.
        Adaptation under way waits its grace again (``BackgroundWork.after_request``)."""
        self._runner.after_request()
        if self._runner.key == SUGGESTING and not all(a.READ_ONLY for a in actions):
            self._runner.cancel()
            self._progress(None)

    def adapt(self, notices: Notices) -> Notices:
        """Start checking the shown image's context set and adapting to it when that is due and
        not under way already, once the image is shown with ``notices`` and the notice of the
        work. Adaptation for another image or set is stale and stops; a suggestion goes on.

        Returns:
            The notice of the work under way, if any.
        """
        if self._runner.key == SUGGESTING:  # its request says so
            return ()
        work = self.session.adaptation_work()
        if work is None and self._runner.key is not None:  # stale: the image needs none
            self._runner.cancel()
            self._progress(None)
        elif work is not None and work.key == self._runner.key:
            work.steps.close()
        elif work is not None:
            n = self.session.pending_adaptation
            self._busy = (adapting(n) if n else checking(),)
            self._progress(StepProgress("adapting" if n else "checking", 0, 0))  # not counted yet
            self._show(lambda _: (*notices, *self._busy), "")
            job = Job(work.key, work.steps, self._progress, self._adapted, self._failed, GRACE_S)
            self._runner.start(job)
        return self._busy if self._runner.key is not None else ()

    def suggest(self) -> Notice:
        """Start the suggestion, which opens the least sure image when it is ready.

        Returns:
            What the status line says meanwhile (without an event loop, the suggestion's
            notice itself: the job has run).
        """
        if len(self.session.accepted) == len(self.session):
            raise ValueError("every image is accepted: nothing left to suggest")
        self._said, self._busy = None, (suggesting(),)
        self._progress(StepProgress("suggesting", 0, 0))
        steps = self.session.suggestion_steps()
        self._runner.start(Job(SUGGESTING, steps, self._progress, self._suggested, self._failed))
        return self._said or suggesting()

    def _adapted(self, _result: object) -> None:
        """Show what the adapted network predicts, and that the work is done."""
        self._ended(None)

    def _failed(self, error: Exception) -> None:
        self._ended(error_message(error))

    def _ended(self, error: str | None) -> None:
        """The work's notice and bar go; ``error``: what the error line says (None: as it is)."""
        busy = self._busy
        self._progress(None)
        self._show(lambda shown: tuple(n for n in shown if n not in busy), error)

    def _suggested(self, found: Suggestion | None) -> None:
        """Open the suggested image; the status line says why: its confidence and how many
        open images the session is unsure of. Its adaptation starts."""
        self._progress(None)
        if found is None:  # every image was accepted meanwhile
            return
        with self.session.adaptation_deferred():
            self.session.goto(found.index)
        if found.confidence is None:
            said = suggested_first_open()
        else:
            said = suggested(found.confidence, found.unsure, found.open_images, SURE)
        self._said, self._busy = said, ()
        started = self.adapt((said,))
        self._show(lambda _: (said, *started), None)
