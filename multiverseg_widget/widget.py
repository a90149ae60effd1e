"""SegmentWidget: a Session in a notebook cell (an anywidget; its front end is js/, shipped as
static/widget.js).

The kernel owns every piece of state; the browser draws it and sends actions. One message from the
browser carries a batch of actions (the front end keeps one request in flight and queues the rest),
the widget applies them to the Session in order and answers with one synced state update: the mask
and the image as binary buffers, the interaction log, the dataset's progress, the context gallery
and ``ack``, the id of the request that is done.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets
from PIL import Image

from .codec import DTYPES, encode_array
from .model.predictor import Predictor
from .model.preprocessing import to_gray_unit
from .session import DEFAULT_BRUSH, Session

STATIC = Path(__file__).resolve().parent / "static"
THUMBNAIL = 64  # longest side of a context thumbnail, in pixels
INTERACTIONS = ("click", "box", "scribble")


class SegmentWidget(anywidget.AnyWidget):
    """Annotate ``session`` with clicks, boxes and scribbles in JupyterLab or Notebook 7.

    ``session`` is the live Session: change it from Python and call ``refresh()`` to show it.
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    image = traitlets.Dict(help="the current image, raw values (codec.encode_array)").tag(sync=True)
    mask = traitlets.Dict(help="the current mask, uint8 0/1 (codec.encode_array)").tag(sync=True)
    interactions = traitlets.List(help="the current image's interaction log").tag(sync=True)
    index = traitlets.Int(0, help="the current image").tag(sync=True)
    name = traitlets.Unicode("", help="the current image's name").tag(sync=True)
    statuses = traitlets.List(traitlets.Unicode(), help="todo/in progress/accepted").tag(sync=True)
    gallery = traitlets.List(help="context thumbnails: index, name, image, mask").tag(sync=True)
    seconds = traitlets.Float(0.0, help="the last prediction's time").tag(sync=True)
    error = traitlets.Unicode("", help="why the last request failed, for the status line").tag(
        sync=True
    )
    ack = traitlets.Int(0, help="id of the last request handled").tag(sync=True)
    opacity = traitlets.Float(0.5, min=0.0, max=1.0).tag(sync=True)
    overlay_mode = traitlets.Enum(("fill", "contour"), "fill").tag(sync=True)
    brush = traitlets.Int(int(DEFAULT_BRUSH), min=1, max=64, help="scribble width, pixels").tag(
        sync=True
    )

    def __init__(
        self,
        session: Session,
        *,
        opacity: float = 0.5,
        overlay_mode: str = "fill",
        brush: int = int(DEFAULT_BRUSH),
    ) -> None:
        super().__init__(opacity=opacity, overlay_mode=overlay_mode, brush=brush)
        self.session = session
        self._shown_index: int | None = None
        self._thumbnails: dict[int, tuple[np.ndarray, dict[str, Any]]] = {}
        self.on_msg(self._on_msg)
        self.refresh()

    def refresh(self, error: str = "") -> None:
        """Send the session's state to the browser (after changing the session from Python)."""
        s = self.session
        with self.hold_sync():
            if self._shown_index != s.index:
                self.image = encode_array(_displayable(s.image))
                self._shown_index = s.index
            self.mask = encode_array(s.mask)
            self.interactions = s.interactions
            self.index = s.index
            self.name = s.names[s.index]
            self.statuses = [s.status(i) for i in range(len(s))]
            self.gallery = [self._thumbnail(i) for i in s.context_indices]
            self.seconds = 0.0 if s.prediction is None else float(s.prediction.seconds)
            self.error = error

    # ---- messages from the browser -----------------------------------------------------------

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Apply one batch of actions; bad input ends the batch and shows in the status line."""
        if not isinstance(content, dict) or content.get("type") != "actions":
            return
        error = ""
        try:
            actions = content.get("actions")
            if not isinstance(actions, list):
                raise ValueError(f"actions must be a list, got {actions!r}")
            for run in _runs_of_interactions(actions):
                self._apply(run)
        except ValueError as e:
            error = str(e)
        except Exception as e:
            error = f"internal error ({type(e).__name__}: {e}); the kernel log has the details"
            raise
        finally:
            self.refresh(error)
            request = content.get("request")
            if isinstance(request, int) and not isinstance(request, bool):
                self.ack = request

    def _apply(self, action: Any) -> None:
        """One action, or a list of consecutive interactions: those are added to the session in
        one forward pass (latest wins: no backlog of predictions)."""
        if isinstance(action, list):
            self.session.add(action)
            return
        kind = action.get("kind") if isinstance(action, dict) else None
        handler = {
            "erase": self._erase,
            "undo": lambda _: self.session.undo(),
            "redo": lambda _: self.session.redo(),
            "clear": lambda _: self.session.clear(),
            "accept": lambda _: self.session.accept(),
            "navigate": self._navigate,
            "suggest": lambda _: self._suggest(),
            "remove_context": lambda a: self.session.remove_context(a["entry"]),
        }.get(kind)
        if handler is None:
            raise ValueError(f"unknown action {action!r}")
        try:
            handler(action)
        except KeyError as e:
            raise ValueError(f"action {action!r} lacks {e}") from None

    def _navigate(self, a: dict) -> None:
        """Go to ``index`` (None: the current image) plus ``by`` steps, kept inside the dataset."""
        s = self.session
        target, by = (s.index if a["index"] is None else a["index"]), a["by"]
        for value in (target, by):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"navigate needs int index and step, got {a!r}")
        if by:
            target = min(max(target + by, 0), len(s) - 1)
        s.goto(target)

    def _suggest(self) -> None:
        i = self.session.suggest_next()
        if i is None:
            raise ValueError("every image is accepted: nothing left to suggest")
        self.session.goto(i)

    def _erase(self, a: dict) -> None:
        """Remove the erased strokes (as the browser got them from the log) in one undo step."""
        logged = self.session.interactions
        positions = []
        for stroke in a["strokes"]:
            same = [
                k for k, e in enumerate(logged)
                if e["kind"] == "scribble" and k not in positions and _same(e, stroke)
            ]  # fmt: skip
            if not same:
                raise ValueError("a stroke to erase is no longer there; nothing was erased")
            positions.append(same[0])
        self.session.remove(positions)

    # ---- what the browser shows ------------------------------------------------------------

    def _thumbnail(self, i: int) -> dict[str, Any]:
        """A context item's thumbnail (gray uint8 and mask, longest side THUMBNAIL), cached."""
        mask = self.session.accepted[i]
        cached = self._thumbnails.get(i)
        if cached is None or cached[0] is not mask:
            gray = (to_gray_unit(self.session.dataset.images[i]) * 255).astype(np.uint8)
            height, width = gray.shape
            k = THUMBNAIL / max(height, width)
            size = (max(1, round(width * k)), max(1, round(height * k)))
            small = np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BOX))
            small_mask = Image.fromarray(mask.astype(np.uint8)).resize(
                size, Image.Resampling.NEAREST
            )
            item = {
                "index": i,
                "name": self.session.names[i],
                "image": encode_array(small),
                "mask": encode_array(np.asarray(small_mask)),
            }
            self._thumbnails[i] = cached = (mask, item)
        return cached[1]


def annotate(
    images_or_folder: Any, model: Predictor | None = None, workdir: str | Path | None = None
) -> SegmentWidget:
    """Open the annotation widget on images (anything Session reads) or on a Session as it is
    (e.g. ``Session.resume(folder)``). Display the result in a cell to start."""
    if isinstance(images_or_folder, Session):
        if model is not None or workdir is not None:
            raise ValueError("a Session has its model and work folder: pass the Session alone")
        return SegmentWidget(images_or_folder)
    return SegmentWidget(Session(images_or_folder, model=model, workdir=workdir))


def _displayable(image: np.ndarray) -> np.ndarray:
    """The image as the browser windows it: raw values, gray or RGB, in a dtype the codec has."""
    a = np.asarray(image)
    if a.ndim == 3:
        a = a[..., 0] if a.shape[-1] == 1 else a[..., :3]
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    if a.dtype.name in DTYPES:
        return a
    return a.astype(np.float32)


def _runs_of_interactions(actions: list) -> list:
    """Group consecutive click/box/scribble actions into lists; other actions stay single."""
    runs: list = []
    for action in actions:
        if isinstance(action, dict) and action.get("kind") in INTERACTIONS:
            if runs and isinstance(runs[-1], list):
                runs[-1].append(action)
            else:
                runs.append([action])
        else:
            runs.append(action)
    return runs


def _same(logged: dict, stroke: Any) -> bool:
    """Is ``stroke`` (as the browser got it from the log) this logged scribble?"""
    return isinstance(stroke, dict) and all(
        stroke.get(key) == logged[key] for key in ("points", "positive", "width")
    )
