"""The widget's export bar, kernel side: a default folder per format beside the work folder
(never inside it, and never one format's files over another's), the export and what the status
line says of it, and the question when it would overwrite files. Such an export is not done;
the browser asks the user, whose confirmation sends it again with ``overwrite``
(``{"kind": "export", ..., "overwrite": true}``). The bar's state is the widget's
``export_bar`` trait: ``folders`` (format -> folder) and the last ``question``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..annotation.export_target import ExportWouldOverwrite, describe_files
from ..annotation.session import Session
from .actions import Export
from .fields import EXPORT_FORMATS
from .notices import Notice, exported, not_exported

EXPORTS = "exports"  # the default folders: exports/<format> beside the work folder


def default_export_bar(session: Session) -> dict[str, Any]:
    """The bar's first state: ``exports/<format>`` for each format, in the work folder's parent
    (in the kernel's working directory for a session without one)."""
    base = Path() if session.workdir is None else session.workdir.parent
    return {"folders": {f: str(base / EXPORTS / f) for f in EXPORT_FORMATS}}


def answer_export(
    session: Session, action: Export, bar: dict[str, Any]
) -> tuple[Notice, dict[str, Any]]:
    """Export; returns the status line's notice and the bar's next state. An export that would
    overwrite files is not done: the bar gets a ``question`` (a new ``serial``, the export's
    format and folder, and a text that names what would be overwritten). Paths are shown as
    they are written to (``~`` expanded, absolute)."""
    try:
        files = session.export(action.folder, format=action.format, overwrite=action.overwrite)
    except ExportWouldOverwrite as conflict:
        where = conflict.folder.resolve()
        text = f"{describe_files(conflict.existing)} in {where} would be overwritten"
        serial = bar.get("question", {}).get("serial", 0) + 1
        question = {"serial": serial, "format": action.format, "folder": action.folder}
        return not_exported(text), {**bar, "question": {**question, "text": text}}
    return exported(files.images, action.format, str(files[-1].parent.resolve())), bar
