"""Crash-safe file writes: a crash (or a killed kernel) leaves the old file or the new one, never
half of one, and a finished write survives a power cut (file and folder entry are fsynced)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync folder.
    An ``OSError`` names ``path`` (``naming``)."""
    path = Path(path)
    with naming(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        fsync_dir(path.parent)


@contextlib.contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """Re-raise an ``OSError`` of the block as one that names ``path``: a full disk's failed
    write names no file, a read-only folder's the temporary one, and a message must say which
    file was not written. (The errno keeps its subclass: FileNotFoundError stays one.)"""
    try:
        yield
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from error


def atomic_write_json(path: str | Path, data: Any) -> None:
    """``atomic_write`` of ``data`` as indented JSON, creating the folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, indent=1).encode())


def fsync_dir(path: Path) -> None:
    """Make a rename durable: on POSIX the directory entry lives in the folder's own inode."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir(path: Path) -> None:
    """Create a folder (and its parents) durably: each new entry is fsynced in its parent."""
    if path.is_dir():
        return
    make_dir(path.parent)
    path.mkdir(exist_ok=True)
    fsync_dir(path.parent)
