"""One writer per work folder.

A Session that writes holds an exclusive lock on ``<workdir>/writer.lock`` (``flock``; on
Windows ``msvcrt.locking``) from opening the folder until it is closed, garbage-collected or its
process ends. The operating system releases the lock of a process that ends in any way, SIGKILL
included, so a killed kernel never leaves the folder blocked. Once it holds the lock, the Session
writes ``writer.json`` (process id, host, since when): what a second writer is told. A holder
file left by a killed process names a process that holds nothing and is overwritten.

Inside one process the lock is the process's: a newer Session on the folder (a notebook cell
run again in the same kernel) takes it over from the older one, which then refuses to write.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import json
import os
import socket
import sys
import threading
import warnings
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..common.atomic import atomic_write
from .work_folder_errors import FolderInUseError, ReadOnlySessionError, WorkFolderError

if sys.platform == "win32":
    import msvcrt

    def _try_lock(descriptor: int) -> None:
        msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)

    def _unlock(descriptor: int) -> None:
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


LOCK_FILE = "writer.lock"
HOLDER_FILE = "writer.json"
NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}  # a file system without locks
READ_ONLY_HINT = (
    "to look at it meanwhile, open it read-only: Session.resume(workdir, read_only=True) or "
    "annotate(images, workdir=workdir, read_only=True)"
)


@dataclass
class _ProcessLock:
    """This process's lock of one folder: the locked file and the claim that may write."""

    descriptor: int
    holder_file: Path
    owner: object = None  # the token of the claim that may write
    claim: weakref.ref[FolderLock] | None = None  # that claim, while it exists


_guard = threading.Lock()
_held: dict[str, _ProcessLock] = {}  # resolved folder -> this process's lock of it
# claims garbage-collected while _guard was taken (a collection can run inside a guarded block,
# in the thread holding it): released when the block ends, never by waiting on _guard
_pending: collections.deque[tuple[str, object]] = collections.deque()


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    """Hold ``_guard``, then release the claims collected meanwhile (before and after giving it
    up: one collected just before the give-up found it taken)."""
    with _guard:
        yield
        _release_pending()
    _try_release_pending()


class FolderLock:
    """One Session's claim on a work folder: taken when it is made, given up by ``release``
    (or when the claim is garbage-collected, or the process ends)."""

    def __init__(self, folder: Path) -> None:
        """Take ``folder`` over from an older claim of this process (which then refuses to
        write), else lock it. Raises FolderInUseError when another process holds it."""
        self.folder = folder
        self._key = str(folder.resolve())
        self._token = object()
        self._released = False
        with _guarded():
            held = _held.get(self._key)
            if held is not None and not _locks(held, folder / LOCK_FILE):
                del _held[self._key]  # the folder was deleted and made again: its claims refuse
                _unlock_and_close(held.descriptor)
                held = None
            if held is None:
                held = _lock(folder)
            self._previous = held.claim
            held.owner, held.claim = self._token, weakref.ref(self)
            _held[self._key] = held
        self._finalizer = weakref.finalize(self, _release, self._key, self._token, os.getpid())

    def check(self) -> None:
        """Raise ReadOnlySessionError unless this claim still holds the folder."""
        if self._released:
            raise ReadOnlySessionError(
                f"this Session was closed and no longer writes to {self.folder}; "
                "Session.resume(workdir) opens it again"
            )
        held = _held.get(self._key)
        if held is None or held.owner is not self._token:
            raise ReadOnlySessionError(
                f"this Session was superseded by a newer Session on this folder in this kernel "
                f"({self.folder}); it no longer writes there: use the newer one"
            )

    def release(self) -> None:
        """Unlock the folder if this claim holds it; from now on ``check`` refuses."""
        self._released = True
        self._finalizer()

    def give_back(self) -> None:
        """Undo taking the folder over, for a Session that failed to open: the older claim of
        this process gets it back if it is still open, else the folder is unlocked."""
        previous = None if self._previous is None else self._previous()
        with _guarded():
            held = _held.get(self._key)
            if previous is not None and not previous._released and held is not None:
                if held.owner is self._token:
                    held.owner, held.claim = previous._token, self._previous
                self._released = True
                self._finalizer.detach()
                return
        self.release()


def _lock(folder: Path) -> _ProcessLock:
    """Lock ``folder`` for this process and name this process in its holder file."""
    try:
        descriptor = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        message = f"{folder} cannot be locked for writing ({error}); {READ_ONLY_HINT}"
        raise WorkFolderError(message) from error
    try:
        _try_lock(descriptor)
    except (BlockingIOError, PermissionError) as error:  # held (flock; msvcrt)
        os.close(descriptor)
        raise FolderInUseError(
            f"{folder} is in use by another Session ({_holder(folder)}); one Session writes to "
            f"a work folder at a time: close that one (session.close()), or {READ_ONLY_HINT}"
        ) from error
    except OSError as error:
        if error.errno not in NO_LOCKS:
            os.close(descriptor)
            message = f"{folder} cannot be locked for writing ({error}); {READ_ONLY_HINT}"
            raise WorkFolderError(message) from error
        warnings.warn(
            f"{folder} is on a file system without file locks ({error}): nothing keeps a "
            "Session of another process from writing to it at the same time",
            stacklevel=2,
        )
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        atomic_write(folder / HOLDER_FILE, json.dumps(holder).encode("utf-8"))
    except OSError:
        _unlock_and_close(descriptor)
        raise
    return _ProcessLock(descriptor, folder / HOLDER_FILE)


def _locks(held: _ProcessLock, lock_file: Path) -> bool:
    """Whether ``held`` locks ``lock_file`` (not if its folder was deleted and made again)."""
    try:
        now = os.stat(lock_file)
    except FileNotFoundError:
        return False
    locked = os.fstat(held.descriptor)
    return (now.st_dev, now.st_ino) == (locked.st_dev, locked.st_ino)


def _holder(folder: Path) -> str:
    """Who holds ``folder``, as its holder file says."""
    try:
        holder = json.loads((folder / HOLDER_FILE).read_text(encoding="utf-8"))
        return f"process {holder['pid']} on host {holder['host']}, since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return f"its process has not written {HOLDER_FILE} yet"


def _release(key: str, token: object, pid: int) -> None:
    """Unlock the folder ``key`` if the claim ``token`` holds it (not in a forked child: the
    lock is its parent's). Run by ``release`` and by the claim's finalizer, which the garbage
    collector may call inside a guarded block of the same thread: so it never waits for
    ``_guard``, it queues the release for whoever holds it."""
    if os.getpid() != pid:
        return
    _pending.append((key, token))
    _try_release_pending()


def _try_release_pending() -> None:
    if _guard.acquire(blocking=False):  # else its holder releases them when its block ends
        try:
            _release_pending()
        finally:
            _guard.release()


def _release_pending() -> None:
    """Release the queued claims that still hold their folder (``_guard`` is held)."""
    while _pending:
        key, token = _pending.popleft()
        held = _held.get(key)
        if held is None or held.owner is not token:
            continue
        del _held[key]
        with contextlib.suppress(OSError):
            held.holder_file.unlink()  # while still locked: a holder file names a live holder
        _unlock_and_close(held.descriptor)


def _unlock_and_close(descriptor: int) -> None:
    with contextlib.suppress(OSError):  # a file system without locks has nothing to unlock
        _unlock(descriptor)
    os.close(descriptor)
