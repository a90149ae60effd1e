"""PyTorch's threads sleep while they wait (``threads.py``): set when the package is imported
before torch, and for the kernels of the demo's JupyterLab; a value the user set is kept."""

from __future__ import annotations

import os
import subprocess
import sys

from multiverseg_widget.demo import quiet_lab_config

READ = "import multiverseg_widget, os; print(os.environ['OMP_WAIT_POLICY'])"


def _policy_after_import(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | environment
    run = subprocess.run([sys.executable, "-c", READ], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_importing_the_package_makes_the_threads_sleep_unless_the_user_chose():
    assert _policy_after_import() == "PASSIVE"
    assert _policy_after_import(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"


def test_the_demos_kernels_get_it_too(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert quiet_lab_config(tmp_path)["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert quiet_lab_config(tmp_path)["OMP_WAIT_POLICY"] == "ACTIVE"
