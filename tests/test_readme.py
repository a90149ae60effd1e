"""The README's commands stay true: CI runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_ci_runs_the_readme_test_command():
    test_command = bash_blocks()[1].strip()
    assert test_command.endswith("pytest -q")
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1] == test_command


def test_readme_main_command_starts_the_demo():
    assert bash_blocks()[0].strip().endswith("multiverseg-widget demo")
