"""File names from user data: safe (they cannot leave their folder), recognisable (accents
keep their letter, names of other scripts a short hash of themselves) and unique (repeats are
numbered, case-insensitively, since some file systems ignore case)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SEPARATORS = re.compile(r"[/\\]+")
MAX_STEM = 200  # characters of a safe name
HASH_CHARS = 8  # hex digits of the hash that stands for the letters a name loses


def safe_name(name: str, fallback: str = "image") -> str:
    """A file name that cannot leave its folder: no separators, no leading dots, no empties.

    Accented letters keep their base letter (``café`` -> ``cafe``: Unicode NFKD without the
    combining marks). A name whose letters have no such form (Chinese, Japanese, Greek...), or
    that holds no letter or digit at all, keeps its identity with a short hash of the original
    name: ``肝臓`` -> ``image-e02b510c``, ``scan 肝臓`` -> ``scan-472aa0d9``; two such names
    never become the same ``_``. The rest (spaces, punctuation) becomes ``_``.
    """
    parts = [p for p in _SEPARATORS.split(str(name)) if p not in ("", ".", "..")]
    decomposed = unicodedata.normalize("NFKD", "_".join(parts))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = _UNSAFE.sub("_", letters).lstrip(".")[:MAX_STEM]
    lost = any(c.isalnum() and not c.isascii() for c in letters)
    if not lost and cleaned.strip("_-."):
        return cleaned
    original = unicodedata.normalize("NFC", str(name)).encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(original).hexdigest()[:HASH_CHARS]
    stem = cleaned.strip("_-.")[: MAX_STEM - HASH_CHARS - 1] or fallback
    return f"{stem}-{digest}"


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
