"""What the widget's error line says about an exception that is not a refusal of the user's
input (those are ``ValueError``s, shown as they are): an ``OSError`` by what it is (a read-only
file system, a full disk, a refused permission) with the file it concerns, so that the user
knows what to fix; anything else is an internal error, whose details are in the kernel log."""

from __future__ import annotations

import errno
import os

# errno's name -> what the user is told; other OSErrors in the system's own words
_OS_ERRORS = {
    "EROFS": "cannot write {path}: the file system is read-only",
    "ENOSPC": "cannot write {path}: the disk is full",
    "EDQUOT": "cannot write {path}: the disk quota is used up",
    "EACCES": "cannot use {path}: permission denied",
    "EPERM": "cannot use {path}: permission denied (the operation is not permitted)",
}


def error_message(error: Exception) -> str:
    """The error line's text for ``error``: e.g. "cannot write /data/work/session.json: the
    disk is full"."""
    if isinstance(error, OSError):
        path = error.filename if error.filename is not None else "a file"
        template = _OS_ERRORS.get(errno.errorcode.get(error.errno or 0, ""))
        if template is not None:
            return template.format(path=os.fsdecode(path))
        return f"cannot use {os.fsdecode(path)}: {error.strerror or error}"
    return f"internal error ({type(error).__name__}: {error}); the kernel log has the details"
