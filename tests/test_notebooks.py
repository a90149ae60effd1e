"""Every notebook runs top to bottom without a browser (the widget cells drive the widget
through its Python API) and shows a progress bar in every cell that takes more than a few
seconds. A notebook that keeps its work in folders runs again: a user's Restart + Run All in
the same folder, in a fresh kernel, continues them instead of failing on them; one that keeps
nothing leaves no file in the user's folder. What notebook 02's text says, its printed
measurements bear out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
NOTICE = "Continuing the session"  # what Session(images, workdir=...) prints on a session
# "More than a few seconds": every other cell takes under 7 s even with the machine's 2 cores
# loaded 4 times over, and about 2 s idle. The first code cell, which imports PyTorch, is exempt.
SLOW_S = 10.0
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PROGRESS_MODELS = {"FloatProgressModel", "IntProgressModel"}  # tqdm.auto's bar in a notebook
Run = Callable[[Path], tuple[nbformat.NotebookNode, Path]]


def run_notebook(path: Path, folder: Path) -> nbformat.NotebookNode:
    """The notebook run in a fresh kernel with ``folder`` as its working directory, with its
    widgets' state and its cells' timing. Raises CellExecutionError, naming the cell, on any
    error."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    return notebook


def printed(notebook: nbformat.NotebookNode) -> str:
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


def seconds(cell: nbformat.NotebookNode) -> float:
    """How long the cell ran, from the kernel's timestamps."""
    times = cell.metadata["execution"]
    start, end = (
        times[k].replace("Z", "+00:00") for k in ("iopub.execute_input", "shell.execute_reply")
    )
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def shows_progress(notebook: nbformat.NotebookNode, cell: nbformat.NotebookNode) -> bool:
    """Whether the cell displays a progress bar widget (tqdm.auto's: a box holding a bar)."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for output in cell.get("outputs", []):
        view = output.get("data", {}).get(WIDGET_VIEW)
        children = (
            state.get(view["model_id"], {}).get("state", {}).get("children", []) if view else []
        )
        models = [state.get(c.removeprefix("IPY_MODEL_"), {}).get("model_name") for c in children]
        if PROGRESS_MODELS & set(models):
            return True
    return False


def workdirs(path: Path) -> int:
    """How many sessions with a work folder the notebook opens (one per ``workdir=``)."""
    cells = nbformat.read(path, as_version=4).cells
    return sum(c.source.count("workdir=") for c in cells if c.cell_type == "code")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Each notebook's first run in a new folder, made once for the tests that read it."""
    runs: dict[Path, tuple[nbformat.NotebookNode, Path]] = {}

    def run(path: Path) -> tuple[nbformat.NotebookNode, Path]:
        if path not in runs:
            folder = tmp_path_factory.mktemp(path.stem)
            runs[path] = run_notebook(path, folder), folder
        return runs[path]

    return run


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3
    with_workdir = {p.stem for p in NOTEBOOKS if workdirs(p)}
    assert with_workdir >= {"01_quickstart", "03_your_dataset"}
    assert "02_in_context_explained" not in with_workdir


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_with_progress_for_slow_cells(path, first_run):
    notebook, folder = first_run(path)
    assert NOTICE not in printed(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    silent = [
        f"cell {notebook.cells.index(c)}: {seconds(c):.0f} s"
        for c in code[1:]
        if seconds(c) > SLOW_S and not shows_progress(notebook, c)
    ]
    assert not silent, f"{path.name}: slow cells without a progress bar: {silent}"
    if not workdirs(path):
        assert not list(folder.iterdir()), "a notebook without a work folder writes no file"


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if workdirs(p)], ids=[p.stem for p in NOTEBOOKS if workdirs(p)]
)
def test_notebook_runs_again(path, first_run):
    _, folder = first_run(path)
    again = printed(run_notebook(path, folder))  # Restart + Run All in the same folder
    assert again.count(NOTICE) == workdirs(path)  # every session continued, none started over


def test_the_quickstart_shows_the_simulated_users_progress(first_run):
    notebook, _ = first_run(next(p for p in NOTEBOOKS if p.stem == "01_quickstart"))
    cell = next(c for c in notebook.cells if "simulated user" in c.source and c.cell_type == "code")
    assert shows_progress(notebook, cell)


def numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"\d+\.\d+", line)]


def test_in_context_notebook_says_what_it_measures(first_run):
    """The claims of 02's text, on the numbers its cells print: the context decides what the
    X-ray gives (near nothing without it, most of the way with one image), the first context
    image matters most, the nuclei need no context, and with a growing context every image
    after the first needs fewer clicks, from a first prediction that beats one click from
    nothing and that the first click lowers a little."""
    notebook, _ = first_run(next(p for p in NOTEBOOKS if p.stem == "02_in_context_explained"))
    lines = printed(notebook).splitlines()
    line = {key: next(s for s in lines if s.startswith(key)) for key in (
        "femur: mean Dice", "femoral head: mean Dice", "nuclei, no context", "none: clicks",
        "growing: clicks", "none: Dice after", "growing: Dice after",
    )}  # fmt: skip
    for structure in ("femur", "femoral head"):
        alone, one, two, four = numbers(line[f"{structure}: mean Dice"])
        assert alone < 0.3 and one > 0.6 and alone < one <= two <= four
        assert one - alone > four - one
    assert numbers(line["nuclei, no context"])[0] > 0.9
    none, growing = numbers(line["none: clicks"]), numbers(line["growing: clicks"])
    assert none[0] == growing[0] and all(g < n for g, n in zip(growing[1:], none[1:]))
    context_alone, after_one = numbers(line["growing: Dice after"])[:2]
    assert context_alone > numbers(line["none: Dice after"])[0]  # ("-" at 0 clicks: no context)
    assert after_one < context_alone
