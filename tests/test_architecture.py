"""The package's shape, as docs/ARCHITECTURE.md describes it: layers that import only downward,
and modules small enough to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "multiverseg_widget"
MAX_LINES = 300

# Each part of the package, and the parts it may import (its own modules always).
LAYERS: dict[str, set[str]] = {
    "common": set(),
    "prompts": set(),
    "model": {"common", "prompts"},
    "data": {"common", "model"},
    "annotation": {"common", "prompts", "model", "data"},
    "evaluation": {"common", "prompts", "model", "data"},
    "train": {"common", "prompts", "model", "data", "evaluation"},
    "widget": {"common", "prompts", "model", "data", "annotation"},
    # the entry points sit on top of everything
    "__init__": {"model", "annotation", "widget", "threads"},
    "cli": {"model", "data", "evaluation", "train", "demo", "bench", "weights_cli"},
    "demo": {"threads"},
    "threads": set(),
    "bench": {"model", "data"},
    "weights_cli": {"model"},
}


def _part(module: Path) -> str:
    relative = module.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_parts(module: Path) -> set[str]:
    """Parts of the package that ``module`` imports (absolute or relative)."""
    tree = ast.parse(module.read_text())
    package_parts = module.relative_to(PACKAGE).parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package_parts[: len(package_parts) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from . import x" at the top: x is the part
                    found.update(alias.name for alias in node.names)
                    continue
            elif node.module and node.module.startswith("multiverseg_widget."):
                target = node.module.split(".")[1:]
            else:
                continue
            found.add(target[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("multiverseg_widget."):
                    found.add(alias.name.split(".")[1])
    return found


def test_every_module_imports_only_lower_layers():
    wrong = []
    for module in sorted(PACKAGE.rglob("*.py")):
        part = _part(module)
        assert part in LAYERS, f"{module}: a new part of the package needs its place in LAYERS"
        for imported in _imported_parts(module) - {part}:
            if imported not in LAYERS[part]:
                wrong.append(f"{module.relative_to(PACKAGE)} imports {imported}")
    assert not wrong, wrong


def test_no_module_is_longer_than_the_limit():
    long = {
        str(m.relative_to(PACKAGE)): n
        for m in PACKAGE.rglob("*.py")
        if (n := len(m.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long
