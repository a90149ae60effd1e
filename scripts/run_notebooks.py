"""Run the notebooks and commit their outputs: ``python scripts/run_notebooks.py [NAME ...]``.

Each notebook runs top to bottom in a fresh kernel inside a temporary folder, so the files it
makes (work folders, masks, figures) never land in the repository; only the notebook itself is
rewritten, with its outputs (less the kernel's state: widget views, execution counts) and a
digest of what made them (the package's sources, its weights and demo data, its code cells).
``tests/test_notebook_outputs.py`` compares that digest with the checkout's, so stale outputs
fail the tests instead of misleading a reader. The documentation build
(``scripts/docs_hooks.py``) runs the notebooks with the same function.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "multiverseg_widget"
NOTEBOOKS = ROOT / "notebooks"
COMMAND = "python scripts/run_notebooks.py"
METADATA_KEY = "multiverseg_widget"  # notebook metadata: {"sources_sha256", "cells_sha256"}
# What the outputs depend on besides the notebook: the code, the widget's front end, the
# built-in weights and the demo data the notebooks load.
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SOURCE_PATTERNS = ("**/*.py", "widget/static/*", "weights/*.pt", "data/demo_files/*.npz")


def sources_sha256() -> str:
    """SHA-256 over the package files the notebooks' outputs depend on (names and contents)."""
    digest = hashlib.sha256()
    files = {p for pattern in SOURCE_PATTERNS for p in PACKAGE.glob(pattern) if p.is_file()}
    for path in sorted(files):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cells_sha256(notebook: nbformat.NotebookNode) -> str:
    """SHA-256 of the notebook's code cells, so that an edited cell also makes outputs stale."""
    digest = hashlib.sha256()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode() + b"\0")
    return digest.hexdigest()


def execute(path: Path, folder: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` run in a fresh kernel with ``folder`` as its working folder.

    Raises ``nbclient.exceptions.CellExecutionError`` (naming the cell) on any error. Widget
    state is not stored: a saved widget cannot predict without its kernel, so the documentation
    shows screenshots of the real widget instead.
    """
    notebook = nbformat.read(path, as_version=4)
    made_by = sources_sha256()  # before running: the sources these outputs come from
    nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the cells: smaller diffs
        store_widget_state=False,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    notebook.metadata[METADATA_KEY] = {
        "sources_sha256": made_by,
        "cells_sha256": cells_sha256(notebook),
    }
    return notebook


def without_kernel_state(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as a reader opens it in a new kernel: no widget views (their models lived
    in the kernel that ran it, so JupyterLab could only say "model not found") and no execution
    counts (a "[1]:" prompt would claim the cell ran in the reader's kernel; the browser tests
    also run the quickstart's first cell only while its prompt is empty)."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        cell.outputs = [o for o in cell.outputs if WIDGET_MIME not in o.get("data", {})]
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = None
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook stems (default: all)")
    args = parser.parse_args(argv)
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
    for path in paths:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="mvw-notebook-") as folder:
            notebook = execute(path, Path(folder))
        nbformat.write(without_kernel_state(notebook), path)
        print(f"{path.name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
