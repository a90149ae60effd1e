"""The work folder: every accepted mask and every change of session state, on disk at once.

Layout (all writes atomic: temp file in the same folder, fsync, rename, fsync the folder):

    session.json                 the session state; written last, it is the commit point
    images.json                  the images it is made for (names, files), written once; its
                                 SHA-256 is in session.json
    masks/<name>_<sha>.png       accepted masks (0/255), named by content so that a crash while
                                 re-accepting never overwrites the file session.json points to
    drafts/<sha>.png             masks set by hand (Session.set_mask), named in interaction logs
    logs/<structure>/<image>.<generation>.jsonl
                                 the prompt logs, append-only (prompt_logs.py); session.json
                                 names each one's file and committed bytes
    images/<index>.npy           copies of in-memory images (files are re-read from their paths)
    writer.lock, writer.json     the lock of the Session that writes, and who that is
                                 (``folder_lock.py``: one writer per folder)

Files that session.json no longer names are removed by a commit once they have been unnamed for
``UNNAMED_KEPT_S``: a reader (a read-only Session of another process) that loaded the version
before still finds every file it names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..common.atomic import atomic_write, make_dir
from ..data.writers import mask_png, png_mask
from .folder_lock import FolderLock
from .prompt_logs import PromptLogs
from .propagation_results import remove_other_propagations
from .record import VERSION, ImagesRecord, SessionRecord, StoredMask
from .work_folder_errors import ReadOnlySessionError, WorkFolderError

STATE_FILE = "session.json"
IMAGES_FILE = "images.json"
FORMAT = "multiverseg-widget session"
READABLE_VERSIONS = (1, 2, 3, VERSION)  # older versions are migrated on the next commit
_RELATIVE = re.compile(r"^(masks|drafts|images)/[A-Za-z0-9_-][A-Za-z0-9._-]*$")
UNNAMED_KEPT_S = 60.0  # how long a file stays once session.json no longer names it
LOAD_ATTEMPTS = 20  # reads of a folder whose session.json changes while it is read


class WorkFolder:
    """A session's folder on disk. ``create`` refuses a folder that already holds a session.
    ``writer``: this Session's lock of the folder (``create`` and ``open`` take it); None: the
    folder is open read-only, and every write raises ReadOnlySessionError."""

    def __init__(self, path: Path, writer: FolderLock | None = None) -> None:
        self.path = path
        self.writer = writer
        self.loaded_version: int | None = None  # of the session file read by ``load``
        self._images: tuple[ImagesRecord, str] | None = None  # in images.json, with its SHA-256
        self._pruned_for: set[str] | None = None  # the files named at the last prune
        self._unnamed: dict[str, float] = {}  # file -> since when no commit names it
        self.logs = PromptLogs(path)

    @classmethod
    def create(cls, path: str | Path) -> WorkFolder:
        """A new work folder, locked for writing (FolderInUseError if another process holds
        it)."""
        folder = Path(path).expanduser()
        if folder.exists() and not folder.is_dir():
            raise WorkFolderError(f"{folder} exists and is not a folder")
        make_dir(folder)
        store = cls(folder, FolderLock(folder))
        if (folder / STATE_FILE).exists():  # checked under the lock: made by another process?
            store.close()
            raise WorkFolderError(
                f"{folder} already holds a session ({STATE_FILE}); continue it with "
                "Session.resume(workdir) or choose another folder"
            )
        return store

    @classmethod
    def open(cls, path: str | Path | None, read_only: bool = False) -> WorkFolder:
        """The work folder of a session, locked for writing (FolderInUseError if another process
        holds it), or not locked and never written with ``read_only``."""
        if path is None:
            raise WorkFolderError("no work folder given: read_only=True views one (workdir=...)")
        folder = Path(path).expanduser()
        if not (folder / STATE_FILE).is_file():
            raise WorkFolderError(f"{folder} holds no session ({STATE_FILE} is missing)")
        return cls(folder, None if read_only else FolderLock(folder))

    @property
    def read_only(self) -> bool:
        return self.writer is None

    def check_writable(self) -> None:
        """Raise ReadOnlySessionError unless this Session may write to the folder."""
        if self.writer is None:
            raise ReadOnlySessionError(
                f"this Session is read-only (opened with read_only=True): it shows {self.path} "
                "and changes nothing; Session.resume(workdir) writes to it once no other "
                "Session does"
            )
        self.writer.check()

    def close(self) -> None:
        """Give up the lock: another Session may write to the folder; this one no longer."""
        if self.writer is not None:
            self.writer.release()

    @contextlib.contextmanager
    def closed_on_error(self) -> Iterator[None]:
        """Give the lock back if what opens the folder fails: a half-made Session holds nothing
        (an older Session of this process that held the folder keeps it)."""
        try:
            yield
        except BaseException:
            if self.writer is not None:
                self.writer.give_back()
            raise

    def load(self) -> SessionRecord:
        """The committed session; a damaged file is reported, never replaced. A file of an older
        version is read as it is; ``migrate`` then keeps a backup and rewrites it. Read while
        another process commits, it is one committed version: a file named by a version that a
        later commit replaced makes it read the new version."""
        path = self.path / STATE_FILE
        for _ in range(LOAD_ATTEMPTS):
            data = path.read_bytes()
            try:
                record, missing = self._parse(data)
            except WorkFolderError:
                if path.read_bytes() == data:  # the same version: it is really damaged
                    raise
                continue  # a log file of a version a later commit replaced was removed
            if missing is None:
                return record
            if path.read_bytes() == data:  # the same version: the file is really missing
                raise WorkFolderError(f"mask file {missing} cannot be read: it is missing")
        raise WorkFolderError(
            f"{path} changed {LOAD_ATTEMPTS} times while it was read (another process commits to "
            "it without pause); try again"
        )

    def _parse(self, data: bytes) -> tuple[SessionRecord, Path | None]:
        """The record in the session file's bytes ``data``, and a file it names that is
        missing (None if none is)."""
        path = self.path / STATE_FILE
        try:
            state = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise WorkFolderError(
                f"{path} is damaged ({error}); it was left as it is: restore it from a backup "
                "or start a new work folder"
            ) from error
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise WorkFolderError(f"{path} is not a multiverseg-widget session file")
        version = state.get("version")
        if version not in READABLE_VERSIONS:
            raise WorkFolderError(
                f"{path} has session format version {version!r}; this version of "
                f"multiverseg-widget reads versions {list(READABLE_VERSIONS)}"
            )
        self.loaded_version = version
        try:
            images = self._load_images(state) if version >= 3 else ImagesRecord.from_json(state)
            state = self.logs.inline(state) if version >= 4 else state
            record = SessionRecord.from_json(state, images, version)
            self.logs.adopt(record)
            named = record.named_files()
            for name in named:
                self.resolve(name)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise WorkFolderError(f"{path} is damaged: {error!r}") from error
        # read when needed (their checksums are checked then): here, a stat
        missing = next((self.path / name for name in named if not self.holds(name)), None)
        return record, missing

    def _load_images(self, state: dict[str, Any]) -> ImagesRecord:
        path = self.path / IMAGES_FILE
        try:
            data = path.read_bytes()
        except OSError as error:
            raise WorkFolderError(f"{path} cannot be read: {error}") from error
        sha = hashlib.sha256(data).hexdigest()
        if sha != state["images_sha256"]:
            raise WorkFolderError(f"{path} is damaged (its checksum does not match)")
        try:
            images = ImagesRecord.from_json(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
            raise WorkFolderError(f"{path} is damaged: {error!r}") from error
        self._images = (images, sha)
        return images

    def migrate(self, record: SessionRecord) -> None:
        """Rewrite a session file of an older version in this version, keeping the old one as
        ``session.v<N>.json`` (both writes atomic: a crash leaves a readable folder). A folder
        open read-only is read as it is and left so."""
        if self.loaded_version in (None, VERSION) or self.read_only:
            return
        old = self.path / STATE_FILE
        atomic_write(self.path / f"session.v{self.loaded_version}.json", old.read_bytes())
        self.commit(record)
        self.loaded_version = VERSION

    def commit(self, record: SessionRecord) -> None:
        """Commit ``record`` (after the files it names are written), then drop unnamed files."""
        self.check_writable()
        make_dir(self.path)
        if self._images is None or self._images[0] is not record.images:
            data = json.dumps(record.images.to_json(), separators=(",", ":")).encode("utf-8")
            atomic_write(self.path / IMAGES_FILE, data)
            self._images = (record.images, hashlib.sha256(data).hexdigest())
        logs = self.logs.write(record)  # appended and fsynced before the commit point
        payload = {
            "format": FORMAT, "version": VERSION, "images_sha256": self._images[1],
            **record.to_json(),
        }  # fmt: skip
        for part in payload["structures"]:
            part["logs"] = logs[part["name"]]
        # compact: it is rewritten on every click, and no person needs to read it line by line
        text = json.dumps(payload, separators=(",", ":"))
        atomic_write(self.path / STATE_FILE, text.encode("utf-8"))
        self.logs.committed()
        self._prune(record.named_files())
        remove_other_propagations(self.path, record.propagations())

    def write_mask(self, folder: str, stem: str, mask: np.ndarray) -> StoredMask:
        """Write a mask PNG named by its content (``folder`` is "masks" for accepted masks,
        "drafts" for hand edits)."""
        self.check_writable()
        data = mask_png(mask)
        sha = hashlib.sha256(data).hexdigest()
        relative = f"{folder}/{stem}_{sha[:16]}.png" if stem else f"{folder}/{sha[:16]}.png"
        target = self.resolve(relative)
        if not target.exists():
            make_dir(target.parent)
            atomic_write(target, data)
        return StoredMask(relative, sha)

    def holds(self, relative: str) -> bool:
        """Whether the file ``relative`` (as a record names it) is in the folder."""
        return self.resolve(relative).is_file()

    def read_mask(self, stored: StoredMask, shape: tuple[int, ...]) -> np.ndarray:
        """Read a mask written by ``write_mask``, checking its content and shape."""
        path = self.resolve(stored.file)
        try:
            data = path.read_bytes()
        except OSError as error:
            message = f"mask file {path} cannot be read: {error}"
            if self.read_only:  # the writer removes a replaced file UNNAMED_KEPT_S later
                message += "; another Session has changed the folder since: resume it again"
            raise WorkFolderError(message) from error
        if hashlib.sha256(data).hexdigest() != stored.sha256:
            raise WorkFolderError(f"mask file {path} is damaged (its checksum does not match)")
        mask = png_mask(data)
        if mask.shape != tuple(shape):
            raise WorkFolderError(f"mask file {path} has shape {mask.shape}, expected {shape}")
        return mask

    def resolve(self, relative: str) -> Path:
        """The path of ``relative``, a file a record names (WorkFolderError if it is unsafe)."""
        if not isinstance(relative, str) or not _RELATIVE.match(relative):
            raise WorkFolderError(f"{self.path / STATE_FILE} names an unsafe file {relative!r}")
        return self.path / relative

    def _prune(self, keep: set[str]) -> None:
        """Remove mask and draft files that the committed state has not named for
        ``UNNAMED_KEPT_S`` (a reader may have loaded the version that named them), and temp
        files. The folders are listed only when the named files have changed or an unnamed file
        is due: most commits (a click) name the same files, and listing thousands of masks on
        every click adds up."""
        now = time.monotonic()
        due = min(self._unnamed.values(), default=now) + UNNAMED_KEPT_S < now
        if keep == self._pruned_for and not due:
            return
        self._pruned_for = keep
        unnamed = {}
        for folder in ("masks", "drafts"):
            directory = self.path / folder
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                relative = f"{folder}/{path.name}"
                if relative in keep:
                    continue
                since = self._unnamed.get(relative, now)
                if now - since < UNNAMED_KEPT_S:
                    unnamed[relative] = since
                else:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
        self._unnamed = unnamed
        for path in self.path.glob(f".{STATE_FILE}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
