"""``annotate``: the one call that opens the widget, on images or on a Session as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..annotation.session import Session
from ..model.predictor import Predictor
from .notices import read_only as read_only_notice
from .widget import SegmentWidget


def annotate(
    images_or_folder: Any,
    model: Predictor | str | Path | None = None,
    workdir: str | Path | None = None,
    read_only: bool = False,
    **options: Any,
) -> SegmentWidget:
    """Open the annotation widget on images (anything Session reads) or on a Session as it is
    (e.g. ``Session.resume(folder)``). ``model`` and ``options`` (device, structures, ...) are
    Session's. ``read_only``: view the session of ``workdir`` while another process writes to
    it (every change is refused with a message; see Session). Display the result in a cell to
    start."""
    if isinstance(images_or_folder, Session):
        if model is not None or workdir is not None or read_only or options:
            raise ValueError("a Session has its model and work folder: pass the Session alone")
        session = images_or_folder
    else:
        session = Session(
            images_or_folder, model=model, workdir=workdir, read_only=read_only, **options
        )
    widget = SegmentWidget(session)
    if session.read_only:
        widget.refresh(notices=(read_only_notice(),))
    return widget
