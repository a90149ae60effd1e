"""The documentation repeats a few things the README says; they stay in step. (The site itself is
built strictly by .ci/run: `mkdocs build --strict`, a few minutes, too slow for the suite.)"""

from __future__ import annotations

import re
from pathlib import Path

from .test_readme import bash_blocks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_getting_started_gives_the_readmes_two_commands():
    page = (DOCS / "getting-started.md").read_text()
    for command in bash_blocks()[:2]:
        assert f"```bash\n{command}```" in page


def test_widget_page_gives_the_readmes_shortcuts():
    table = re.search(r"\| key \| action \|\n(\|.*\|\n)+", (ROOT / "README.md").read_text())
    assert table and table.group(0) in (DOCS / "widget.md").read_text()


def test_evaluation_page_quotes_the_command_that_draws_its_figure():
    hooks = (ROOT / "scripts" / "docs_hooks.py").read_text()
    flags = re.search(r"EVALUATE = \[(.*?)\]", hooks, flags=re.S).group(1)
    page = (DOCS / "evaluation.md").read_text()
    for flag in re.findall(r'"(--[a-z-]+)", "(\w+)"', flags):
        assert " ".join(flag) in page, flag
    for task in re.findall(r'DEMO / "(\w+\.npz)"', flags):
        assert f"demo_files/{task}" in page, task


def test_every_tool_has_its_screenshot():
    for tool in ("click", "box", "scribble", "eraser", "paint"):
        path = DOCS / "images" / f"tool-{tool}.png"
        assert path.is_file(), f"{path.name}: python scripts/docs_screenshots.py makes it"
