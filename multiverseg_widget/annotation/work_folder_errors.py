"""The errors of a work folder, in a module of their own: the store and the folder lock raise
them, and a caller catches them all as ``WorkFolderError`` (a ``ValueError``: the widget shows
its message)."""

from __future__ import annotations


class WorkFolderError(ValueError):
    """A work folder that cannot be used as asked: missing, damaged, or another dataset's."""


class FolderInUseError(WorkFolderError):
    """Another process's Session writes to the work folder (one writer per folder)."""


class ReadOnlySessionError(WorkFolderError):
    """A change asked of a Session that may not write to its work folder: opened read-only,
    closed, or superseded by a newer Session on the folder in the same process."""
