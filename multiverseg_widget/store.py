"""The work folder: every accepted mask and every change of session state, on disk at once.

Layout (all writes atomic: temp file in the same folder, fsync, rename, fsync the folder):

    session.json                 the session state; written last, it is the commit point
    masks/<name>_<sha>.png       accepted masks (0/255), named by content so that a crash while
                                 re-accepting never overwrites the file session.json points to
    drafts/<sha>.png             masks set by hand (Session.set_mask), named in interaction logs
    images/<index>.npy           copies of in-memory images (files are re-read from their paths)

Files that session.json no longer names are removed after each commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .model.digest import array_digest

STATE_FILE = "session.json"
FORMAT = "multiverseg-widget session"
VERSION = 1
MANAGED = ("masks", "drafts", "images")
_RELATIVE = re.compile(r"^(masks|drafts|images)/[A-Za-z0-9_-][A-Za-z0-9._-]*$")


class WorkFolderError(ValueError):
    """A work folder that cannot be used as asked: missing, damaged, or another dataset's."""


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
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
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    """Make a rename durable: on POSIX the directory entry lives in the folder's own inode."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dir(path: Path) -> None:
    """Create a folder (and its parents) durably: each new entry is fsynced in its parent."""
    if path.is_dir():
        return
    _make_dir(path.parent)
    path.mkdir(exist_ok=True)
    _fsync_dir(path.parent)


def mask_to_png(mask: np.ndarray) -> bytes:
    """A boolean mask as a 0/255 8-bit grayscale PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(mask, dtype=bool).astype(np.uint8) * 255).save(buffer, "PNG")
    return buffer.getvalue()


def png_to_mask(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L")) > 127


def fingerprint(images: Sequence[np.ndarray]) -> str:
    """A digest of every image's pixels, shape and dtype: tells datasets apart on resume."""
    return array_digest(images)


class WorkFolder:
    """A session's folder on disk. ``create`` refuses a folder that already holds a session."""

    def __init__(self, path: Path) -> None:
        self.path = path

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

    def read_state(self) -> dict[str, Any]:
        """The committed session state; a damaged file is reported, never replaced."""
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
        if state.get("version") != VERSION:
            raise WorkFolderError(
                f"{path} has session format version {state.get('version')!r}; this version of "
                f"multiverseg-widget reads version {VERSION}"
            )
        return state

    def write_state(self, state: dict[str, Any]) -> None:
        """Commit ``state`` (after the files it names are written), then drop unnamed files."""
        _make_dir(self.path)
        payload = {"format": FORMAT, "version": VERSION, **state}
        atomic_write(self.path / STATE_FILE, json.dumps(payload, indent=1).encode("utf-8"))
        self._prune(_named_files(payload))

    def write_mask(self, folder: str, stem: str, mask: np.ndarray) -> tuple[str, str]:
        """Write a mask PNG named by its content; return (relative path, sha256)."""
        data = mask_to_png(mask)
        sha = hashlib.sha256(data).hexdigest()
        relative = f"{folder}/{stem}_{sha[:16]}.png" if stem else f"{folder}/{sha[:16]}.png"
        target = self._resolve(relative)
        if not target.exists():
            _make_dir(target.parent)
            atomic_write(target, data)
        return relative, sha

    def read_mask(self, relative: str, sha: str, shape: tuple[int, ...]) -> np.ndarray:
        """Read a mask written by ``write_mask``, checking its content and shape."""
        path = self._resolve(relative)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise WorkFolderError(f"mask file {path} cannot be read: {error}") from error
        if hashlib.sha256(data).hexdigest() != sha:
            raise WorkFolderError(f"mask file {path} is damaged (its checksum does not match)")
        mask = png_to_mask(data)
        if mask.shape != tuple(shape):
            raise WorkFolderError(f"mask file {path} has shape {mask.shape}, expected {shape}")
        return mask

    def save_images(self, images: Sequence[np.ndarray]) -> list[str]:
        """Copy in-memory images into the folder, so that resume does not depend on the caller."""
        _make_dir(self.path / "images")
        names = []
        for i, image in enumerate(images):
            relative = f"images/{i:05d}.npy"
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(image), allow_pickle=False)
            atomic_write(self._resolve(relative), buffer.getvalue())
            names.append(relative)
        return names

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
        """Remove mask and draft files that the committed state does not name, and temp files."""
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


def _named_files(state: dict[str, Any]) -> set[str]:
    named = {entry["file"] for entry in state.get("accepted", {}).values()}
    for log in state.get("logs", {}).values():
        named.update(step["file"] for step in log if step.get("kind") == "mask")
    return named
