"""The notebooks run on the README's install, not only on the dev one: a fresh clone of the
repository's committed HEAD, set up with the README's main command (no extras), runs every
notebook top to bottom with that environment's own Jupyter, in a folder of its own. The dev
install has more (dask, pytest, ...), so a notebook that imports one of them passes
test_notebooks.py and fails a new user here. Uncommitted edits are not tested: commit first.

Its time goes mostly to pip (about 75 s with pip's cache warm; the cache is the user's, as on
any machine) and to the notebooks themselves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from .test_readme import bash_blocks

ROOT = Path(__file__).resolve().parents[1]
DEMO = "multiverseg-widget demo"
DEV_ONLY = ("dask", "pytest", "nibabel")  # extras ([dev], [io]): not in the README's install
PROBE = (
    "import importlib.util, json, sys\n"
    "print(json.dumps({'python': sys.executable,\n"
    f"    'dev': [m for m in {DEV_ONLY!r} if importlib.util.find_spec(m)]}}))"
)


def install_command() -> str:
    """The README's main command up to the demo it starts."""
    install, demo = bash_blocks()[0].strip().rsplit(" && ", 1)
    assert demo == DEMO
    return install


def new_shell_environment() -> dict[str, str]:
    """This process's environment without the dev virtual environment that runs the tests, as
    a new terminal has it (pip's own settings and cache stay)."""
    dev_bin = str(Path(sys.prefix) / "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != dev_bin)
    return env


def shell(command: str, cwd: Path, env: dict[str, str], timeout: float) -> None:
    """Run ``command`` with bash in ``cwd``; fails the test with its output's end if it fails."""
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"`{command}` failed:\n{(done.stdout + done.stderr)[-4000:]}"


def execute(clone: Path, notebook: Path, folder: Path, env: dict[str, str]) -> Path:
    """``notebook`` copied into ``folder`` and run there by the clone's own Jupyter (activated,
    as a user runs it); returns the executed copy."""
    folder.mkdir()
    copy = folder / notebook.name
    copy.write_bytes(notebook.read_bytes())
    activate = f". {clone / '.venv/bin/activate'}"
    run = "jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600"
    shell(f"{activate} && {run} {copy.name}", folder, env, timeout=1200)
    return copy


def test_every_notebook_runs_on_the_readme_install(tmp_path):
    env, clone = new_shell_environment(), tmp_path / "clone"
    start = time.perf_counter()
    shell(f"git clone --quiet {ROOT} {clone}", tmp_path, env, timeout=120)
    shell(install_command(), clone, env, timeout=1500)
    took = {"install": time.perf_counter() - start}

    probe = tmp_path / "probe" / "probe.ipynb"
    probe.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)]), probe)
    ran = nbformat.read(execute(clone, probe, tmp_path / "probe-run", env), as_version=4)
    kernel = json.loads(ran.cells[0].outputs[0].text)
    assert Path(kernel["python"]).parent == clone / ".venv" / "bin"  # the clone's own kernel
    assert kernel["dev"] == []  # the README's install: no dev extras

    notebooks = sorted((clone / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 3
    for notebook in notebooks:
        start = time.perf_counter()
        executed = nbformat.read(execute(clone, notebook, tmp_path / notebook.stem, env), 4)
        errors = [
            o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"
        ]
        assert not errors, f"{notebook.name}: {errors[0].ename}: {errors[0].evalue}"
        took[notebook.stem] = time.perf_counter() - start
    print("seconds:", {k: round(v) for k, v in took.items()})
