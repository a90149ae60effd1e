"""Where the benchmarks find the unseen eval tasks: the folder named by ``--eval-dir``.

The repository ships no eval data (tests/data holds demo and train images only), so a benchmark
that measures unseen tasks must be told where they are; it never falls back to a default folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_eval_dir(parser: argparse.ArgumentParser) -> None:
    """The required ``--eval-dir PATH`` option."""
    parser.add_argument(
        "--eval-dir",
        type=Path,
        required=True,
        metavar="PATH",
        help="folder of the unseen eval tasks, one *.npz per task (images, masks[, scribbles])",
    )


def eval_files(parser: argparse.ArgumentParser, folder: Path) -> list[Path]:
    """The task files in ``folder``, sorted; a usage error that names --eval-dir if none."""
    if not folder.is_dir():
        parser.error(f"--eval-dir {folder}: no such folder")
    files = sorted(folder.glob("*.npz"))
    if not files:
        parser.error(f"--eval-dir {folder}: no *.npz tasks in it")
    return files
