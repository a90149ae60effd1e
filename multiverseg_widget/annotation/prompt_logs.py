"""The prompt logs of a work folder: one append-only file per structure and image, so that a click
appends a line instead of rewriting every log of the session.

    logs/<structure>/<image>.<generation>.jsonl    a prompt's JSON per line

``<structure>`` is a digest of the structure's name (names may hold any character). session.json
(version 4) names, for each image with prompts, its file and how many of its bytes are committed:
the log is the file's first ``bytes`` bytes. A new prompt is appended (after cutting away bytes
no commit ever named: a crash's), an undo commits fewer bytes, and any other change (an erase
inside the log, a renamed structure, a prompt after an undo) starts the next generation's file:
bytes a commit once named are never rewritten, so a reader of an older session.json reads that
version's prompts, or finds its file gone and reads session.json again. A crash after an append
but before session.json is replaced reads back exactly the committed prompts; files no committed
record names are removed after the next commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from ..common.atomic import fsync_dir, make_dir, naming
from ..prompts import Prompt, Prompts
from .record import SessionRecord

LOGS = "logs"
_FILE = re.compile(r"^logs/([0-9a-f]{16})/(\d+)\.(\d+)\.jsonl$")


@dataclass(frozen=True)
class StoredLog:
    """A committed log: its file, the end of each prompt's line in it (bytes), the prompts, and
    how many of the file's bytes a commit has named (more than ``ends[-1]`` after an undo)."""

    file: str
    ends: tuple[int, ...]
    prompts: Prompts
    named: int

    @property
    def generation(self) -> int:
        return int(_checked_file(self.file).group(3))

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "bytes": self.ends[-1]}


class PromptLogs:
    """The logs folder of one work folder, and which of its files the committed record names."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._committed: dict[tuple[str, int], StoredLog] = {}
        self._written: dict[tuple[str, int], StoredLog] = {}  # for the commit under way
        self._read: dict[tuple[str, int], tuple[str, tuple[int, ...], int]] = {}  # by inline
        self._swept = False  # whether files of uncommitted writes (a crash) have been removed

    def inline(self, state: dict[str, Any]) -> dict[str, Any]:
        """``state`` (session.json of version 4) with each structure's log files read into its
        ``logs``, as version 3 holds them inline; ValueError when a file is missing, shorter
        than committed or damaged. ``adopt`` then takes the parsed record's logs as committed."""
        self._read = {}
        structures = []
        for part in state["structures"]:
            logs = {}
            for index, ref in part["logs"].items():
                file, size = _checked_file(ref["file"]).group(0), ref["bytes"]
                entries, ends, on_disk = _load(self.root, file, size)
                logs[index] = entries
                # bytes past the committed ones may have been named before an undo: kept
                self._read[(str(part["name"]), int(index))] = (file, ends, on_disk)
            structures.append({**part, "logs": logs})
        return {**state, "structures": structures}

    def adopt(self, record: SessionRecord) -> None:
        """Take the logs ``inline`` read as the committed ones, with ``record``'s prompts."""
        self._committed = {
            (name, index): StoredLog(file, ends, record.structures[name].logs[index], on_disk)
            for (name, index), (file, ends, on_disk) in self._read.items()
        }
        self._read = {}

    def write(self, record: SessionRecord) -> dict[str, dict[str, Any]]:
        """Write what ``record``'s logs add to the committed ones (appended and fsynced, or a new
        file) before session.json is committed; returns each structure's log references for it
        (by structure name, then image index)."""
        self._written = {}
        references: dict[str, dict[str, Any]] = {}
        for name, part in record.structures.items():
            references[name] = {}
            for index, prompts in sorted(part.logs.items()):
                if prompts:
                    stored = self._store((name, index), prompts)
                    self._written[(name, index)] = stored
                    references[name][str(index)] = stored.to_json()
        return references

    def committed(self) -> None:
        """session.json now names the logs ``write`` wrote: remove the files it no longer names
        (and, once, those of writes that were never committed)."""
        named = {stored.file for stored in self._written.values()}
        dropped = {stored.file for stored in self._committed.values()} - named
        self._committed = self._written
        if not self._swept:
            self._swept = True
            folder = self.root / LOGS
            files = folder.glob("*/*") if folder.is_dir() else ()
            dropped |= {f"{LOGS}/{p.parent.name}/{p.name}" for p in files} - named
        for file in dropped:
            with contextlib.suppress(FileNotFoundError):
                (self.root / file).unlink()

    def _store(self, key: tuple[str, int], prompts: Prompts) -> StoredLog:
        """The committed log of ``key`` made ``prompts``: unchanged, cut back (an undo), appended
        to (when no commit named bytes past its end), or written as the next generation's
        file."""
        old = self._committed.get(key)
        if old is not None:
            if old.prompts is prompts or old.prompts == prompts:
                return old
            kept = old.prompts.items
            if kept[: len(prompts)] == prompts.items:  # fewer: a prefix of the committed log
                return StoredLog(old.file, old.ends[: len(prompts)], prompts, old.named)
            if prompts.items[: len(kept)] == kept and old.named == old.ends[-1]:  # appended
                added = _lines(prompts.items[len(kept) :])
                self._append(old.file, old.ends[-1], added)
                ends = old.ends + _ends(added, old.ends[-1])
                return StoredLog(old.file, ends, prompts, ends[-1])
        generation = 0 if old is None else old.generation + 1
        file = f"{LOGS}/{_folder(key[0])}/{key[1]}.{generation}.jsonl"
        lines = _lines(prompts.items)
        self._create(file, lines)
        ends = _ends(lines, 0)
        return StoredLog(file, ends, prompts, ends[-1])

    def _append(self, file: str, size: int, lines: list[bytes]) -> None:
        """Cut ``file`` back to its ``size`` committed bytes (what follows them no commit
        named: a crash's append), append ``lines`` and fsync."""
        with naming(self.root / file), open(self.root / file, "r+b") as f:
            f.truncate(size)
            f.seek(size)
            f.write(b"".join(lines))
            f.flush()
            os.fsync(f.fileno())

    def _create(self, file: str, lines: list[bytes]) -> None:
        path = self.root / file
        with naming(path):
            make_dir(path.parent)
            with open(path, "wb") as f:
                f.write(b"".join(lines))
                f.flush()
                os.fsync(f.fileno())
            fsync_dir(path.parent)


def read_log(workdir: str | Path, reference: dict[str, Any]) -> list[dict[str, Any]]:
    """The prompts' JSON of one log that session.json names (``{"file", "bytes"}``)."""
    return _load(Path(workdir), _checked_file(reference["file"]).group(0), reference["bytes"])[0]


def _load(root: Path, file: str, size: Any) -> tuple[list[Any], tuple[int, ...], int]:
    """The prompts' JSON in the first ``size`` bytes of ``file``, their lines' ends, and the
    file's size."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"log {file} has a committed size of {size!r} bytes")
    path = root / file
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"log file {path} cannot be read: {error}") from None
    if len(data) < size or data[size - 1 : size] != b"\n":
        raise ValueError(f"log file {path} is damaged: it lacks committed prompts")
    lines = data[:size].split(b"\n")[:-1]
    entries = [json.loads(line.decode("utf-8")) for line in lines]
    return entries, _ends([line + b"\n" for line in lines], 0), len(data)


def _folder(structure: str) -> str:
    """A structure's folder in logs/: its name's digest (names may hold any character)."""
    return hashlib.sha256(structure.encode("utf-8")).hexdigest()[:16]


def _checked_file(file: Any) -> re.Match[str]:
    match = _FILE.match(file) if isinstance(file, str) else None
    if match is None:
        raise ValueError(f"session.json names an unsafe log file {file!r}")
    return match


def _lines(prompts: tuple[Prompt, ...]) -> list[bytes]:
    return [(json.dumps(p.to_json(), separators=(",", ":")) + "\n").encode() for p in prompts]


def _ends(lines: list[bytes], start: int) -> tuple[int, ...]:
    return tuple(accumulate((len(line) for line in lines), initial=start))[1:]
