"""The documentation repeats a few things the README and the code say; they stay in step. (The
site itself is built strictly by .ci/run: `mkdocs build --strict`, a few minutes, too slow for
the suite.)"""

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


def documented_keys(page: str) -> set[str]:
    """The single keys of the page's shortcut table (first column; combinations such as ctrl+z
    left out: the code reads them from z)."""
    table = re.search(r"\| key \| action \|\n\|---\|---\|\n((?:\|.*\|\n)+)", page)
    assert table, "the page has no | key | action | table"
    cells = [row.split("|")[1] for row in table.group(1).splitlines()]
    words = (word.strip() for cell in cells for word in re.split(r"[/,]", cell))
    return {word for word in words if word and "+" not in word}


def test_widget_page_lists_the_codes_shortcuts():
    """The table on the widget page names exactly the keys js/shortcuts.js acts on (the tools'
    keys, from js/tools/*.js, included), and the tools in the toolbar's order."""
    shortcuts = (ROOT / "js" / "shortcuts.js").read_text()
    widget_keys = re.search(r"const KEYS = \{(.*?)\};", shortcuts, flags=re.S).group(1)
    code = set(re.findall(r'^\s*"?([^\s":]+)"?: "[a-z-]+",$', widget_keys, flags=re.M))
    order = re.search(r"TOOLS = \[(.*?)\]", (ROOT / "js" / "tools.js").read_text()).group(1)
    tools = [name.strip() for name in order.split(",")]
    keys = [re.search(r'key: "(.)"', (ROOT / "js" / "tools" / f"{t}.js").read_text()).group(1)
            for t in tools]  # fmt: skip
    code |= {*keys, "z"}  # z: undo, shift+z: redo (commandForKey)
    code.discard("escape")  # closes the help and cancels a question: said under the table
    page = (DOCS / "widget.md").read_text()
    assert documented_keys(page) == code
    assert f"| {' / '.join(keys)} | {' / '.join(tools)} tool |" in page


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


def readme_section(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    return re.search(rf"^## {heading}\n(.*?)(?=^## )", text, flags=re.S | re.M).group(1)


# The first 10 minutes' figures that no benchmark prints: the install timed by hand, the
# notebooks' progress-bar threshold, and the first suggestion reckoned from propagate's rate.
NOT_FROM_A_BENCHMARK = {"99", "139", "10", "2"}


def test_readmes_first_minutes_quote_the_benchmarks_page():
    """Each wait the README's "first 10 minutes" quotes is a figure of docs/benchmarks.md or
    docs/data.md (the large-dataset table), and each command it names exists: when a
    benchmark is measured again, the README's summary is found out of date here."""
    section = readme_section("The first 10 minutes")
    pages = (DOCS / "benchmarks.md").read_text() + (DOCS / "data.md").read_text()
    figures = set(re.findall(r"(\d+(?:\.\d+)?) m?s\b", section)) - NOT_FROM_A_BENCHMARK
    assert len(figures) >= 6, figures
    for figure in figures:
        assert re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d]|\.\d)", pages), figure
    commands = re.findall(r"python (benchmarks/\w+\.py)", section)
    assert len(commands) >= 4, commands
    for command in commands:
        assert (ROOT / command).is_file() and command in pages, command


def test_readmes_links_lead_to_files():
    """Every relative link of the README (to the docs pages, notebooks, the model card) resolves."""
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text())
    assert len(links) >= 15
    for link in links:
        assert (ROOT / link).exists(), link


def test_every_page_is_in_the_sites_navigation():
    """A page of docs/ that the navigation leaves out is a page nobody finds."""
    nav = (ROOT / "mkdocs.yml").read_text().split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r": (\S+\.md)$", nav, flags=re.M))
    assert listed == {page.name for page in DOCS.glob("*.md")}
