"""The wheel a user installs: it carries the JS, the default weights and the demo data, and works
from a fresh virtual environment without this checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
    )
    (path,) = out.glob("multiverseg_widget-*.whl")
    return path


def test_wheel_contains_weights_demo_data_and_front_end(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "multiverseg_widget/weights/default.pt" in names
    assert "multiverseg_widget/weights/default.pt.sha256" in names
    assert "multiverseg_widget/weights/MODEL_CARD.md" in names
    assert "multiverseg_widget/data/demo_files/ATTRIBUTION.md" in names
    assert "multiverseg_widget/data/demo_files/bbbc039_nuclei.npz" in names
    static = "multiverseg_widget/widget/static/"
    assert any(n.startswith(static) and n.endswith(".js") for n in names)


def test_wheel_works_in_a_fresh_environment(wheel, tmp_path):
    """Install the wheel alone into a new venv (its dependencies come from this environment via
    a .pth file, so nothing is downloaded), then predict from outside the checkout."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = (
        "import multiverseg_widget as mvw\n"
        f"assert mvw.__file__.startswith({str(venv)!r}), mvw.__file__\n"
        "from multiverseg_widget.data import demo_dataset\n"
        "demo = demo_dataset('bbbc039_nuclei')\n"
        "pred = mvw.load_model().predict(demo.images[0], clicks=[(100, 100, True)])\n"
        "assert pred.mask.shape == demo.images[0].shape\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [python, "-c", script], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    assert result.stdout.strip().endswith("ok")


def test_model_session_and_training_import_without_the_widget_stack():
    """A GPU training machine or a batch job may lack anywidget and Jupyter: only the widget
    itself needs them."""
    code = (
        "import sys\n"
        "sys.modules['anywidget'] = None\n"  # makes `import anywidget` fail
        "import multiverseg_widget as mvw\n"
        "import multiverseg_widget.train.loop\n"
        "mvw.Session, mvw.load_model\n"
        "try:\n"
        "    mvw.SegmentWidget\n"
        "except ImportError:\n"
        "    print('widget needs anywidget')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "widget needs anywidget"
