"""The suite tests a fresh clone: it reads only files committed under tests/, and stays lean."""

from __future__ import annotations

from pathlib import Path

from .conftest import COMPAT, DATA

TESTS = Path(__file__).resolve().parent
# Spelled in pieces so that this file does not match itself.
FORBIDDEN = ("../" + "shared", "MVW_" + "SHARED")
# These two say where the data came from, so they may name the folder outside the repository.
ALLOWED = {DATA / "make_test_data.py", DATA / "README.md"}
MAX_DATA_BYTES = 8_000_000


def _files(folder: Path) -> list[Path]:
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not {"__pycache__", "node_modules"} & set(p.parts)
    ]


def test_no_test_reads_outside_the_repository():
    offenders = []
    for path in _files(TESTS):
        if path in ALLOWED:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # data files: npz, xz
            continue
        offenders += [f"{path.relative_to(TESTS)}: {word}" for word in FORBIDDEN if word in text]
    assert not offenders, offenders


def test_data_folders_are_inside_tests_and_present():
    for folder in (DATA, COMPAT, DATA / "demo", DATA / "train"):
        assert folder.resolve().is_relative_to(TESTS) and folder.is_dir(), folder


def test_test_data_stays_small():
    total = sum(p.stat().st_size for p in _files(DATA))
    assert total < MAX_DATA_BYTES, f"tests/data holds {total:,} bytes (limit {MAX_DATA_BYTES:,})"
