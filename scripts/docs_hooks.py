"""MkDocs hooks (``mkdocs.yml`` ``hooks:``): what the site shows is made while it builds.

- The notebooks run top to bottom (``run_notebooks.execute``, each in a temporary folder, so
  nothing is written into the repository); a cell that raises fails the build. The executed
  copies become the pages ``notebooks/NAME/``, rendered by mkdocs-jupyter. Their widget
  outputs need a kernel, so the annotation widget's shows a screenshot of the real widget
  (``docs/images/``) and the progress bars' go.
- ``multiverseg-widget evaluate`` draws the evaluation figure with the built-in weights on the
  demo data (``images/evaluation.png``), through the command line a user runs; its printed
  summary replaces the line ``<!-- evaluation summary -->`` of the evaluation page.
- The model card page includes ``multiverseg_widget/weights/MODEL_CARD.md`` (pymdownx.snippets
  reads it from the repository root); nothing to do here.
"""

from __future__ import annotations

import importlib.util
import posixpath
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "multiverseg_widget" / "data" / "demo_files"
# The figure's command, as the evaluation page quotes it (small: two demo tasks, one ordering).
EVALUATE = [
    "evaluate", str(DEMO / "bbbc039_nuclei.npz"), str(DEMO / "medscribble_HipXRay.npz"),
    "--compare", "--orderings", "1", "--max-images", "5", "--no-progress",
]  # fmt: skip
log = get_plugin_logger("multiverseg_widget")
_spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts/run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_notebooks)

SCREENSHOT = "images/tool-click.png"  # made by scripts/docs_screenshots.py
SUMMARY_MARKER = "<!-- evaluation summary -->"
_made: Path | None = None  # this build's generated files, removed when it ends
_summary = ""


@event_priority(100)  # before mkdocs-jupyter wraps the notebook files
def on_files(files: Files, config: MkDocsConfig) -> Files:
    global _made, _summary
    on_shutdown()  # the previous build's files, under `mkdocs serve`
    _made = Path(tempfile.mkdtemp(prefix="mvw-docs-"))
    for path in sorted(run_notebooks.NOTEBOOKS.glob("*.ipynb")):
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="mvw-notebook-") as folder:
            try:
                notebook = run_notebooks.execute(path, Path(folder))
            except Exception as error:  # the cell, its code and its traceback
                raise PluginError(f"{path.name} failed:\n{error}") from error
        target = _made / "notebooks" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        # the page's folder as mkdocs-jupyter will place it (a page, not a copied file)
        page = f"notebooks/{path.stem}" if config.use_directory_urls else "notebooks"
        widget = "widget/" if config.use_directory_urls else "widget.html"
        links = posixpath.relpath(SCREENSHOT, page), posixpath.relpath(widget, page)
        nbformat.write(_without_live_widgets(notebook, *links), target)
        log.info(f"ran {path.name} in {time.perf_counter() - start:.0f} s")
        files.append(_file(f"notebooks/{path.name}", config))
    start = time.perf_counter()
    figure = _made / "images" / "evaluation.png"
    figure.parent.mkdir(parents=True)
    run = subprocess.run(
        [sys.executable, "-m", "multiverseg_widget.cli", *EVALUATE, "--plot", str(figure)],
        capture_output=True, text=True, cwd=_made,
    )  # fmt: skip
    if run.returncode:
        raise PluginError(f"multiverseg-widget evaluate failed:\n{run.stderr}")
    _summary = run.stdout
    log.info(f"drew images/evaluation.png in {time.perf_counter() - start:.0f} s")
    files.append(_file("images/evaluation.png", config))
    return files


def _without_live_widgets(
    notebook: nbformat.NotebookNode, screenshot: str, widget_page: str
) -> nbformat.NotebookNode:
    """The notebook with the annotation widget's output as a screenshot and the other widget
    outputs (tqdm's bars) dropped: their text is a Python repr, not what a reader would see."""
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if run_notebooks.WIDGET_MIME not in data:
                outputs.append(output)
            elif "SegmentWidget" in data.get("text/plain", ""):
                output.data = {
                    "text/html": f'<img src="{screenshot}" alt="the annotation widget"><p><em>A '
                    "screenshot of the widget (on six of these images): a saved widget has no "
                    f'kernel to segment with; see <a href="{widget_page}">the widget</a>.</em></p>'
                }
                outputs.append(output)
        if cell.cell_type == "code":
            cell.outputs = outputs
    return notebook


def _file(path: str, config: MkDocsConfig) -> File:
    return File(path, str(_made), config.site_dir, config.use_directory_urls)


def on_page_markdown(markdown: str, page, config: MkDocsConfig, files: Files) -> str:
    if SUMMARY_MARKER in markdown:
        markdown = markdown.replace(SUMMARY_MARKER, f"```text\n{_summary.strip()}\n```")
    return markdown


def on_shutdown() -> None:
    if _made is not None:
        shutil.rmtree(_made, ignore_errors=True)
