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

Files that session.json no longer names are removed after each commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..common.atomic import atomic_write, make_dir
from ..data import Dataset, load
from ..data.writers import mask_png, png_mask
from .prompt_logs import LOGS, PromptLogs
from .propagation_results import remove_other_propagations
from .record import VERSION, ImagesRecord, SessionRecord, StoredMask

STATE_FILE = "session.json"
IMAGES_FILE = "images.json"
FORMAT = "multiverseg-widget session"
READABLE_VERSIONS = (1, 2, 3, VERSION)  # older versions are migrated on the next commit
MANAGED = ("masks", "drafts", "images", LOGS)
_RELATIVE = re.compile(r"^(masks|drafts|images)/[A-Za-z0-9_-][A-Za-z0-9._-]*$")


class WorkFolderError(ValueError):
    """A work folder that cannot be used as asked: missing, damaged, or another dataset's."""


class WorkFolder:
    """A session's folder on disk. ``create`` refuses a folder that already holds a session."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.loaded_version: int | None = None  # of the session file read by ``load``
        self._images: tuple[ImagesRecord, str] | None = None  # in images.json, with its SHA-256
        self._pruned_for: set[str] | None = None  # the files named at the last prune
        self.logs = PromptLogs(path)

    @classmethod
    def create(cls, path: str | Path) -> WorkFolder:
        folder = Path(path).expanduser()
        if (folder / STATE_FILE).exists():
            raise WorkFolderError(
                f"{folder} already holds a session ({STATE_FILE}); continue it with "
                "Session.resume(workdir) or choose another folder"
            )
        if folder.exists() and not folder.is_dir():
            raise WorkFolderError(f"{folder} exists and is not a folder")
        return cls(folder)

    @classmethod
    def open(cls, path: str | Path) -> WorkFolder:
        folder = Path(path).expanduser()
        if not (folder / STATE_FILE).is_file():
            raise WorkFolderError(f"{folder} holds no session ({STATE_FILE} is missing)")
        return cls(folder)

    def load(self) -> SessionRecord:
        """The committed session; a damaged file is reported, never replaced. A file of an older
        version is read as it is; ``migrate`` then keeps a backup and rewrites it."""
        path = self.path / STATE_FILE
        try:
            state = json.loads(path.read_bytes().decode("utf-8"))
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
                self._resolve(name)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise WorkFolderError(f"{path} is damaged: {error!r}") from error
        for name in named:  # read when needed (their checksums are checked then): here, a stat
            if not self.holds(name):
                raise WorkFolderError(f"mask file {self.path / name} cannot be read: it is missing")
        return record

    def _load_images(self, state: dict) -> ImagesRecord:
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
        ``session.v<N>.json`` (both writes atomic: a crash leaves a readable folder)."""
        if self.loaded_version in (None, VERSION):
            return
        old = self.path / STATE_FILE
        atomic_write(self.path / f"session.v{self.loaded_version}.json", old.read_bytes())
        self.commit(record)
        self.loaded_version = VERSION

    def commit(self, record: SessionRecord) -> None:
        """Commit ``record`` (after the files it names are written), then drop unnamed files."""
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
        data = mask_png(mask)
        sha = hashlib.sha256(data).hexdigest()
        relative = f"{folder}/{stem}_{sha[:16]}.png" if stem else f"{folder}/{sha[:16]}.png"
        target = self._resolve(relative)
        if not target.exists():
            make_dir(target.parent)
            atomic_write(target, data)
        return StoredMask(relative, sha)

    def holds(self, relative: str) -> bool:
        """Whether the file ``relative`` (as a record names it) is in the folder."""
        return self._resolve(relative).is_file()

    def read_mask(self, stored: StoredMask, shape: tuple[int, ...]) -> np.ndarray:
        """Read a mask written by ``write_mask``, checking its content and shape."""
        path = self._resolve(stored.file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise WorkFolderError(f"mask file {path} cannot be read: {error}") from error
        if hashlib.sha256(data).hexdigest() != stored.sha256:
            raise WorkFolderError(f"mask file {path} is damaged (its checksum does not match)")
        mask = png_mask(data)
        if mask.shape != tuple(shape):
            raise WorkFolderError(f"mask file {path} has shape {mask.shape}, expected {shape}")
        return mask

    def save_images(self, images: Sequence[np.ndarray]) -> list[str]:
        """Copy in-memory images into the folder, so that resume does not depend on the caller."""
        make_dir(self.path / "images")
        names = []
        for i, image in enumerate(images):
            relative = f"images/{i:05d}.npy"
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(image), allow_pickle=False)
            atomic_write(self._resolve(relative), buffer.getvalue())
            names.append(relative)
        return names

    def load_dataset(self, record: SessionRecord) -> Dataset:
        """The images a work folder was made for: re-read from their files, or its own copies."""
        source = record.images.dataset
        try:
            if "files" in source:
                return load(list(source["files"]), axis=source["axis"])
            images = self.load_images(source["arrays"])
        except ValueError as error:
            raise WorkFolderError(f"the session's images cannot be read: {error}") from error
        except (KeyError, TypeError) as error:
            raise WorkFolderError(f"{self.path} names no readable images: {error!r}") from error
        return Dataset(images, list(record.images.names), list(record.images.slices))

    def load_images(self, relatives: Sequence[str]) -> list[np.ndarray]:
        images = []
        for relative in relatives:
            path = self._resolve(relative)
            try:
                images.append(np.load(path, allow_pickle=False))
            except (OSError, ValueError) as error:
                raise WorkFolderError(f"image copy {path} cannot be read: {error}") from error
        return images

    def contains(self, path: Path) -> bool:
        """Whether ``path`` is this folder or lies in one of the folders it manages."""
        resolved = path.expanduser().resolve()
        root = self.path.resolve()
        return resolved == root or any(resolved.is_relative_to(root / m) for m in MANAGED)

    def _resolve(self, relative: str) -> Path:
        if not isinstance(relative, str) or not _RELATIVE.match(relative):
            raise WorkFolderError(f"{self.path / STATE_FILE} names an unsafe file {relative!r}")
        return self.path / relative

    def _prune(self, keep: set[str]) -> None:
        """Remove mask and draft files that the committed state does not name, and temp files.
        The folders are listed only when the named files have changed: most commits (a click)
        name the same files, and listing thousands of masks on every click adds up."""
        if keep == self._pruned_for:
            return
        self._pruned_for = keep
        for folder in ("masks", "drafts"):
            directory = self.path / folder
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                if f"{folder}/{path.name}" not in keep:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
        for path in self.path.glob(f".{STATE_FILE}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
