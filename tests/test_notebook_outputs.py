"""The notebooks are committed with their outputs (a reader on GitHub sees what they do without
running them); those outputs must be what the current code gives. ``scripts/run_notebooks.py``
stores a digest of what made them in each notebook; here it is compared with the checkout."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts/run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_notebooks)

NOTEBOOKS = sorted(run_notebooks.NOTEBOOKS.glob("*.ipynb"))
REGENERATE = f"regenerate them with `{run_notebooks.COMMAND}` (about a minute)"


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_hold_no_error(path):
    errors = [
        f"cell {k}: {o.get('ename')}: {o.get('evalue')}"
        for k, cell in enumerate(code_cells(path))
        for o in cell.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors, f"{path.name} holds errors {errors}; fix them, then {REGENERATE}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_come_from_the_current_code(path):
    notebook = nbformat.read(path, as_version=4)
    made_by = notebook.metadata.get(run_notebooks.METADATA_KEY, {})
    assert made_by, f"{path.name} has no outputs from {run_notebooks.COMMAND}; {REGENERATE}"
    assert made_by.get("cells_sha256") == run_notebooks.cells_sha256(notebook), (
        f"{path.name}: its code cells changed since its outputs were made; {REGENERATE}"
    )
    assert made_by.get("sources_sha256") == run_notebooks.sources_sha256(), (
        f"{path.name}: the package's sources, weights or demo data changed since its outputs "
        f"were made; {REGENERATE}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_shown_is_in_the_outputs(path):
    """A cell that calls ``plt.show()`` shows an image: the notebooks are read for their plots
    (a library that switches matplotlib's backend on import would silently hide them)."""
    missing = [
        k
        for k, cell in enumerate(code_cells(path))
        if "plt.show()" in cell.source
        and not any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    ]
    assert not missing, f"{path.name}: code cells {missing} call plt.show() but show no figure"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_kernel_state_is_committed(path):
    """A notebook saved from JupyterLab keeps its widget views (dead without their kernel) and
    execution counts (the quickstart's browser test runs its first cell only while its prompt
    is empty); the command commits neither."""
    kept = [
        k
        for k, cell in enumerate(code_cells(path))
        if cell.execution_count is not None
        or any(run_notebooks.WIDGET_MIME in o.get("data", {}) for o in cell.outputs)
    ]
    assert not kept, f"{path.name}: code cells {kept} hold a kernel's state; {REGENERATE}"
