"""Every file and folder that docs/ARCHITECTURE.md names exists in the repository.

The rule, applied to each span in backticks (a span with spaces, such as a command, is split
into words):

- A word is a path when it is made of letters, digits, ``_``, ``-``, ``.`` and ``/`` only and
  ends in ``/`` (a folder) or in a source file's suffix (``.py``, ``.js``, ``.mjs``, ``.md``,
  ``.yml``, ...). Files the program writes at run time (``session.json``, ``index.jsonl``,
  ``writer.lock``, PNGs) have other suffixes, and the work folder's own folders (``masks/``,
  ``drafts/``, ``images/``, ``logs/``, ``propagation/``: the layout ``annotation/store.py``
  writes) are not repository paths: neither is checked.
- A path with a slash before its end (``annotation/session.py``, ``js/queue.js``,
  ``tools/tool.js``, ``widget/static/``) must exist relative to the repository root, to
  ``multiverseg_widget/`` or to ``js/`` (the page names front-end modules from there).
- A bare name (``digest.py``, ``static/``) is read in the folder its text names, or else at the
  repository root (``js/``, ``mkdocs.yml``): in a block (a table row, list item or paragraph)
  whose first backticked span is a folder (the layers table's ``common/``, the front end's
  ``js/``), in that folder; under the heading "The session and its parts", in
  ``multiverseg_widget/annotation/``. Anywhere else a file or folder of that name must exist at
  the repository root or somewhere under ``multiverseg_widget/`` or ``js/``.
- A name ending in ``/`` must be a folder, any other a file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "ARCHITECTURE.md"
BASES = (ROOT, ROOT / "multiverseg_widget", ROOT / "js")
SUFFIXES = (
    ".py", ".js", ".mjs", ".ts", ".md", ".yml", ".yaml", ".toml", ".sha256", ".pt", ".ipynb",
    ".sh", ".css", ".html",
)  # fmt: skip
SECTION_FOLDERS = {"The session and its parts": "multiverseg_widget/annotation"}
WORD = re.compile(r"\w[\w.-]*(/[\w.-]+)*/?")
WORK_FOLDER = {"masks/", "drafts/", "images/", "logs/", "propagation/"}


def _blocks(text: str) -> list[tuple[int, str, str]]:
    """(first line number, heading, text) of each table row, list item and paragraph."""
    blocks: list[tuple[int, str, list[str]]] = []
    heading, current = "", None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            heading, current = line.lstrip("#").strip(), None
        elif not line.strip():
            current = None
        elif line.startswith("|") or re.match(r"(- |\d+\. )", line) or current is None:
            current = [line]
            blocks.append((number, heading, current))
        else:
            current.append(line)
    return [(number, heading, " ".join(lines)) for number, heading, lines in blocks]


def _is_path(word: str) -> bool:
    return (
        WORD.fullmatch(word) is not None
        and word.endswith(("/", *SUFFIXES))
        and word not in WORK_FOLDER
    )


def _exists(path: Path, folder: bool) -> bool:
    return path.is_dir() if folder else path.is_file()


def _anywhere(name: str, folder: bool) -> bool:
    if _exists(ROOT / name, folder):
        return True
    for base in BASES[1:]:
        if any(_exists(found, folder) for found in base.rglob(name.rstrip("/"))):
            return True
    return False


def named_paths() -> list[tuple[int, str, str | None]]:
    """(line, path, folder of a bare name or None) for every path the page names."""
    found = []
    for number, heading, block in _blocks(PAGE.read_text()):
        spans = re.findall(r"`([^`]+)`", block)
        first = spans[0] if spans else ""
        folder = SECTION_FOLDERS.get(heading)
        if first.endswith("/") and _is_path(first):
            folder = _resolve(first)
        for index, span in enumerate(spans):
            for word in span.split():
                if _is_path(word):
                    # the folder a block names is itself found as any other name
                    bare = "/" not in word.rstrip("/") and not (index == 0 and word == first)
                    found.append((number, word, folder if bare else None))
    return found


def _resolve(path: str) -> str | None:
    """The folder a named folder is, relative to the root (None when it is nowhere)."""
    for base in BASES:
        if (base / path).is_dir():
            return str((base / path).relative_to(ROOT))
    return None


def _path_exists(path: str, folder: str | None) -> bool:
    is_folder = path.endswith("/")
    if "/" not in path.rstrip("/"):
        if folder is not None:
            return _exists(ROOT / folder / path, is_folder) or _exists(ROOT / path, is_folder)
        return _anywhere(path, is_folder)
    return any(_exists(base / path, is_folder) for base in BASES)


def test_the_page_names_paths_the_rule_finds():
    paths = {path for _, path, _ in named_paths()}
    # one of each kind the rule reads: a package file, a front-end module, a folder, a bare name
    assert {"annotation/session.py", "queue.js", "js/tools/", "model/predictor.py"} <= paths
    assert {"digest.py", "panels.js", "structure.py", "mkdocs.yml"} <= paths


@pytest.mark.parametrize(
    ("line", "path", "folder"),
    named_paths(),
    ids=[f"line {line}: {path}" for line, path, _ in named_paths()],
)
def test_named_path_exists(line, path, folder):
    where = f"in {folder}/ or at the root" if folder else "in multiverseg_widget/, js/ or the root"
    assert _path_exists(path, folder), f"docs/ARCHITECTURE.md line {line} names {path}: not {where}"
