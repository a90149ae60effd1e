"""Where a propagation's results go as they arrive: the work folder, or memory for sessions
without one. Results already there are skipped by the next propagate of the same context set,
so an interrupted propagate continues where it stopped, and memory stays bounded: a stored
mask is read back only when it is asked for.

On disk: ``propagation/<key>/`` holds one PNG per image, named by its index, and
``index.jsonl``, a line ``[index, confidence, sha256]`` appended once the PNG is written. The
index is the commit point: a line cut short by a crash is ignored (with the lines after it), and
a mask file whose content does not match its line is reported when it is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import numpy as np

from ..common.atomic import fsync_dir
from ..data.writers import mask_png, png_mask
from .checks import frozen

FOLDER = "propagation"
INDEX = "index.jsonl"


class PropagatedMasks(Mapping[int, np.ndarray]):
    """Masks of a propagation in the work folder, read when asked for."""

    def __init__(self, folder: Path, index: Mapping[int, tuple[float, str]]) -> None:
        self._folder = folder
        self._index = index

    def __getitem__(self, i: int) -> np.ndarray:
        _, sha = self._index[i]
        path = self._folder / f"{i}.png"
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ValueError(f"propagated mask {path} cannot be read: {error}") from error
        if hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"propagated mask {path} is damaged: propagate again")
        return frozen(png_mask(data))

    def __iter__(self) -> Iterator[int]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


class MemoryResults:
    """Results kept in memory (a session without a work folder)."""

    def __init__(self, masks: Mapping[int, np.ndarray], confidence: Mapping[int, float]) -> None:
        """Starting from the results of an earlier propagate of the same context set."""
        self.masks, self.confidence = dict(masks), dict(confidence)

    def add(self, i: int, mask: np.ndarray, confidence: float) -> None:
        """Keep image i's result in memory.

        Args:
            i: the image's index in the dataset.
            mask: H x W bool of image i's shape (kept as a read-only copy).
            confidence: in [0, 1].
        """
        self.masks[i], self.confidence[i] = frozen(mask), confidence

    def flush(self) -> None:
        """Nothing to make durable in memory."""


class FolderResults:
    """Results in ``<workdir>/propagation/<key>``, read back from there when reopened."""

    def __init__(self, workdir: Path, key: str) -> None:
        self.folder = workdir / FOLDER / key
        self._entries: dict[int, tuple[float, str]] = _read_index(self.folder / INDEX)
        self.confidence = _Confidence(self._entries)
        self.masks = PropagatedMasks(self.folder, self._entries)
        self._index: IO[str] | None = None

    def add(self, i: int, mask: np.ndarray, confidence: float) -> None:
        """Write image i's mask as a PNG, then its index line: both durable once ``flush``ed.

        Args:
            i: the image's index in the dataset.
            mask: H x W bool of image i's shape.
            confidence: in [0, 1].
        """
        data = mask_png(mask)
        if self._index is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._index = (self.folder / INDEX).open("a", encoding="utf-8")
        target = self.folder / f"{i}.png"
        temporary = target.with_name(f".{i}.png.tmp")
        temporary.write_bytes(data)  # made durable with the index line, in ``flush``
        os.replace(temporary, target)
        sha = hashlib.sha256(data).hexdigest()
        self._index.write(json.dumps([i, confidence, sha]) + "\n")
        self._entries[i] = (confidence, sha)

    def flush(self) -> None:
        """Make the results so far durable: those the index names survive a crash."""
        if self._index is not None:
            self._index.flush()
            os.fsync(self._index.fileno())
            fsync_dir(self.folder)

    def close(self) -> None:
        """Flush, and close the index file (a later ``add`` opens it again)."""
        if self._index is not None:
            self.flush()
            self._index.close()
            self._index = None


class _Confidence(Mapping[int, float]):
    def __init__(self, entries: Mapping[int, tuple[float, str]]) -> None:
        self._entries = entries

    def __getitem__(self, i: int) -> float:
        return self._entries[i][0]

    def __iter__(self) -> Iterator[int]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def _read_index(path: Path) -> dict[int, tuple[float, str]]:
    entries: dict[int, tuple[float, str]] = {}
    with contextlib.suppress(FileNotFoundError), path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                i, confidence, sha = json.loads(line)
                entries[int(i)] = (float(confidence), str(sha))
            except (ValueError, TypeError):
                break  # the line a crash cut short, and nothing after it
    return entries


def remove_other_propagations(workdir: Path, keep: set[str]) -> None:
    """Delete the propagations no structure names any more (each keeps its latest)."""
    root = workdir / FOLDER
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
