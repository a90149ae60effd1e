"""``multiverseg-widget demo``: JupyterLab on the quickstart notebook, with the built-in demo
data and weights, in a folder of the user's (the notebooks ship inside the package)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

QUICKSTART = "01_quickstart.ipynb"


def bundled_notebooks() -> list[Path]:
    folder = Path(str(resources.files("multiverseg_widget") / "notebooks"))
    return sorted(folder.glob("*.ipynb"))


def prepare_folder(directory: Path) -> Path:
    """Copy the notebooks into ``directory``; a notebook already there is the user's: kept."""
    directory.mkdir(parents=True, exist_ok=True)
    for notebook in bundled_notebooks():
        target = directory / notebook.name
        if not target.exists():
            shutil.copyfile(notebook, target)
    return directory / QUICKSTART


def lab_command(quickstart: Path, extra: Sequence[str] = ()) -> list[str]:
    """The JupyterLab command line serving ``quickstart``'s folder and opening it. As root (a
    container, a fresh cloud machine) JupyterLab refuses to start without --allow-root."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [
        sys.executable, "-m", "jupyterlab", str(quickstart.name),
        f"--ServerApp.root_dir={quickstart.parent}", "--ServerApp.ip=127.0.0.1", *as_root, *extra,
    ]  # fmt: skip


def run_demo(directory: Path, extra: Sequence[str] = ()) -> int:
    quickstart = prepare_folder(directory)
    print(f"Starting JupyterLab on {quickstart}; open the URL it prints below (Ctrl+C stops it).")
    return subprocess.call(lab_command(quickstart, extra), cwd=directory)
