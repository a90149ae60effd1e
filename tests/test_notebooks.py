"""Every notebook runs top to bottom without a browser (the widget cells drive the widget
through its Python API), and runs again: a user's Restart + Run All in the same folder, in a
fresh kernel, continues the work folders the first run made instead of failing on them."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
NOTICE = "Continuing the session"  # what Session(images, workdir=...) prints on a session


def run_notebook(path: Path, folder: Path) -> str:
    """Run the notebook in a fresh kernel with ``folder`` as its working directory; return what
    it printed. Raises CellExecutionError, naming the cell, on any error."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


def workdirs(path: Path) -> int:
    """How many sessions with a work folder the notebook opens (one per ``workdir=``)."""
    cells = nbformat.read(path, as_version=4).cells
    return sum(c.source.count("workdir=") for c in cells if c.cell_type == "code")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3
    with_workdir = {p.stem for p in NOTEBOOKS if workdirs(p)}
    assert with_workdir >= {"01_quickstart", "03_your_dataset"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_runs_again(path, tmp_path):
    first = run_notebook(path, tmp_path)
    assert NOTICE not in first
    again = run_notebook(path, tmp_path)  # Restart + Run All in the same folder
    assert again.count(NOTICE) == workdirs(path)  # every session continued, none started over
