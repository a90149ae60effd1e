"""File names from user data: safe (they cannot leave their folder) and unique (repeats are
numbered, case-insensitively, since some file systems ignore case)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, fallback: str = "image") -> str:
    """A file name that cannot leave its folder: no separators, no leading dots, no empties."""
    parts = [p for p in re.split(r"[/\\]+", str(name)) if p not in ("", ".", "..")]
    cleaned = _UNSAFE.sub("_", "_".join(parts)).lstrip(".")[:200]
    return cleaned or fallback


def unique_name(stem: str, taken: Iterable[str], suffix: str = "") -> str:
    """``stem + suffix``, or ``stem-2 + suffix``, ``stem-3 + suffix``... whichever is not taken.
    ``taken`` may be a set of lower-case names, checked as it is (no copy per call)."""
    lowered = taken if isinstance(taken, set) else {name.lower() for name in taken}
    name, n = f"{stem}{suffix}", 1
    while name.lower() in lowered:
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name


def unique_names(names: Iterable[str]) -> list[str]:
    """Every name made unique against those before it (export file names come from these)."""
    out: list[str] = []
    seen: set[str] = set()  # lower case
    for name in names:
        out.append(unique_name(name, seen))
        seen.add(out[-1].lower())
    return out
