"""SegmentWidget: a Session in a notebook cell (an anywidget; its front end is js/, shipped as
static/widget.js).

The kernel owns every piece of state (the synced traits: traits.py); the browser draws it and
sends actions. One message from the browser carries a batch of actions (the front end keeps one
request in flight and queues the rest); protocol.py checks it, the widget applies the actions to
the Session in order and answers with one synced state update: the mask and the image as binary
buffers, the interaction log and its version, the dataset's progress (binary arrays, sent only
when they change: progress.py), the context gallery (index, name and thumbnail key; the browser
asks for the thumbnails it shows, which come back in ``thumbnails``), the notices of what the
request found out (notices.py: a code and its args, which the browser acts on, and their text)
and ``ack``, the id of the request that is done. Checking a new context set, adapting the
network to it and a suggestion's predictions run in the background between requests
(session_work.py), their progress in ``work``: prompts are answered meanwhile.
Nothing sent per click loops over the images in Python, so a click costs the same at 100,000
images.
The current structure is the one annotated (its mask, log, progress and gallery); the other
structures' accepted masks of the image are sent to be drawn as faint contours, each structure in
its colour. Colours are the widget's (``colors``), not the session's. ``prompts_per_accept`` is
the number of prompts each image of the context set took, in the order they joined (the
in-context gain chart), and the widget exports the accepted masks on request
(``{"kind": "export", "format", "folder"}``; exporting.py: the folders, the overwrite question).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import traitlets

from ..annotation.session import Session
from ..common.steps import StepProgress
from ..prompts import Prompts
from .actions import (
    Accept,
    Action,
    AddContext,
    AddStructure,
    Erase,
    Export,
    Interact,
    Jump,
    Navigate,
    Paint,
    RemoveContext,
    RenameStructure,
    Step,
    SwitchStructure,
    ThumbnailRequest,
)
from .codec import encode_array
from .display import Thumbnails, displayable, others, palette
from .errors import error_message
from .exporting import answer_export, default_export_bar
from .model_info import describe_model
from .navigation import ImageLookup
from .notices import Notice, context_removed
from .progress import Progress
from .protocol import parse_batch, request_id
from .session_work import Notices, SessionWork
from .traits import DISPLAY_TRAITS, WidgetTraits


class SegmentWidget(WidgetTraits):
    """Annotate ``session`` with clicks, boxes and scribbles in JupyterLab or Notebook 7.

    ``session`` is the live Session: change it from Python and call ``refresh()`` to show it.
    """

    def __init__(
        self,
        session: Session,
        *,
        opacity: float | None = None,
        overlay_mode: str | None = None,
        brush: int | None = None,
    ) -> None:
        """The display options not given are those kept in the session's work folder
        (``Session.view``), else the defaults; the widget keeps them there as they change."""
        options = {"opacity": opacity, "overlay_mode": overlay_mode, "brush": brush}
        given = {name: value for name, value in options.items() if value is not None}
        super().__init__(**given)
        self.session = session
        self.export_bar = default_export_bar(session)
        for name, value in session.view.items():
            # a setting this widget cannot show (a hand-edited file) keeps the default
            with contextlib.suppress(traitlets.TraitError):
                if name in DISPLAY_TRAITS and name not in given:
                    setattr(self, name, value)
        self._shown_index: int | None = None
        self._notices: tuple[Notice, ...] = ()
        self._thumbnails = Thumbnails()
        self._progress = Progress()
        self._lookup = ImageLookup(session.dataset.names)
        self._jobs = SessionWork(session, self._show_work, self._after_work)
        self.on_msg(self._on_msg)
        self.observe(self._keep_view, names=list(DISPLAY_TRAITS))
        self.refresh()
        self._keep_view()

    def _keep_view(self, _change: Any = None) -> None:
        """Commit the display options to the work folder when they differ from those kept."""
        view = {**self.session.view, **{name: getattr(self, name) for name in DISPLAY_TRAITS}}
        if view != self.session.view:
            self.session.view = view

    def refresh(self, error: str = "", notices: Sequence[Notice] = ()) -> None:
        """Send the session's state to the browser (after changing the session from Python); a
        changed interaction log (or another image's, or another structure's) gets the next
        ``log_version``. A new structure gets its default colour; the others keep theirs.
        ``error`` and ``notices`` are what the status and error lines say."""
        s = self.session
        with self.hold_sync():
            if self._shown_index != s.index:
                self.image = encode_array(displayable(s.image))
                self._shown_index = s.index
            self.mask = encode_array(s.mask)
            log = s.interactions
            if s.index != self.index or s.structure != self.structure or log != self.interactions:
                self.log_version += 1
            self.interactions = log
            self.index = s.index
            self.name = s.dataset.names[s.index]
            self.structures = s.structures
            self.structure = s.structure
            self.colors = self.colors + palette(len(self.colors), len(s.structures))
            self.others = others(s)
            self.progress = self._progress.encoded_statuses(s)
            self.gallery = self._thumbnails.listing(s)
            self.seconds = 0.0 if s.prediction is None else float(s.prediction.seconds)
            self.model_info = describe_model(s.model)
            self.confidence = self._progress.encoded_confidence(s)
            self.prompts_per_accept = [len(s.image_prompts(i)) for i in s.context_indices]
            self.context_note = s.context_note
            self.context_used = s.context_used
            self.error = error
            self._notices = tuple(notices)
            self.notices = [n.to_wire() for n in notices]
            self.notice = " · ".join(n.text for n in notices)

    # ---- messages from the browser -----------------------------------------------------------

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Apply one batch of actions. A malformed batch changes nothing; an action the session
        refuses ends the batch; either way the status line says why. A batch that only asks
        for thumbnails leaves the status and error lines as they were."""
        if not isinstance(content, dict) or content.get("type") != "actions":
            return
        error = ""
        notices: tuple[Notice, ...] = ()
        try:
            actions = parse_batch(content, self.session.structures).actions
            self._jobs.before(actions)
            if actions and all(a.READ_ONLY for a in actions):
                error, notices = self.error, self._notices
            with self.session.adaptation_deferred():
                for action in actions:
                    said = self._apply(action)
                    notices = notices if said is None else (said,)
                notices = (*notices, *self._jobs.adapt(notices))
        except ValueError as e:
            error = str(e)
        except Exception as e:
            error = error_message(e)  # an OSError by what it is, else an internal error
            raise
        finally:
            self.refresh(error, notices)
            request = request_id(content)
            if request is not None:
                self.ack = request

    def _show_work(self, progress: StepProgress | None) -> None:
        """The background work's progress (None: none under way) for the status line's bar."""
        self.work = {} if progress is None else dict(vars(progress))

    def _after_work(self, notices: Callable[[Notices], Notices], error: str | None) -> None:
        """Show the session as the background work left it, with ``notices(shown)`` and
        ``error`` (None: the error shown)."""
        self.refresh(self.error if error is None else error, notices(self._notices))

    def _apply(self, action: Action) -> Notice | None:
        """One checked action on the session; interactions must lie inside its current image.
        Returns what the status line should say of it, if anything."""
        s = self.session
        match action:
            case Interact():
                s.add(Prompts(action.prompts))
            case Paint(stroke):
                s.paint(stroke, add=stroke.positive)
            case Erase():
                self._erase(action)
            case Navigate():
                self._navigate(action)
            case Jump(to):
                s.goto(self._lookup(to))
            case ThumbnailRequest(indices):
                self._send_thumbnails(indices)
            case RemoveContext(entry):
                members = s.context_indices
                s.remove_context(entry)
                return context_removed(members[entry])
            case AddContext(index, position):
                s.add_to_context(index, position)
            case SwitchStructure(name):
                s.structure = name
            case AddStructure(name):
                s.add_structure(name)
            case RenameStructure(old, new):
                s.rename_structure(old, new)
            case Accept(allow_empty):
                s.accept(allow_empty=allow_empty)
            case Export():
                notice, self.export_bar = answer_export(s, action, self.export_bar)
                return notice
            case Step("suggest"):
                return self._jobs.suggest()
            case Step(kind):
                {"undo": s.undo, "redo": s.redo, "clear": s.clear}[kind]()
        return None

    def _navigate(self, a: Navigate) -> None:
        """Go to ``index`` (None: the current image) plus ``by`` steps, kept inside the dataset."""
        s = self.session
        target = s.index if a.index is None else a.index
        if a.by:
            target = min(max(target + a.by, 0), len(s) - 1)
        s.goto(target)

    def _send_thumbnails(self, indices: tuple[int, ...]) -> None:
        """Answer the gallery's request with the thumbnails of those context images (made once,
        then cached); each answer is a new ``serial``, so that it is sent even when equal."""
        outside = [i for i in indices if i >= len(self.session)]
        if outside:
            raise ValueError(f"thumbnails of {outside[:3]}: there are {len(self.session)} images")
        serial = self.thumbnails.get("serial", 0) + 1
        self.thumbnails = {"serial": serial, "items": self._thumbnails(self.session, indices)}

    def _erase(self, a: Erase) -> None:
        """Remove the entries at ``a.positions`` of the log sent as version ``a.version``, in one
        undo step. Refused once that log has changed: positions in another log name other
        entries. (Entries added after it in the same batch leave the positions valid.)"""
        s, sent = self.session, self.interactions
        if (
            a.version != self.log_version
            or s.index != self.index
            or s.structure != self.structure
            or s.interactions[: len(sent)] != sent
        ):
            raise ValueError(
                f"the interactions changed since the eraser saw them (version {a.version}); "
                "nothing was erased"
            )
        outside = [k for k in a.positions if k >= len(sent)]
        if outside:
            raise ValueError(f"erase positions {outside} are not in the log of {len(sent)} entries")
        s.remove(list(a.positions))
