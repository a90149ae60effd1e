"""js/generated/protocol.js is the wire protocol as the kernel defines it (the actions and their
fields, the limits, the export formats, the notice codes): generated, never edited, so that the
front end cannot drift from the kernel. This fails when it is stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "generate_protocol", ROOT / "scripts" / "generate_protocol.py"
)
assert _spec is not None and _spec.loader is not None
generate_protocol = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_protocol)


def test_the_generated_js_protocol_is_current():
    generated = generate_protocol.TARGET
    assert generated.is_file(), f"{generated} is missing: run {generate_protocol.COMMAND}"
    assert generated.read_text() == generate_protocol.render(), (
        f"{generated.relative_to(ROOT)} is stale: run {generate_protocol.COMMAND}"
    )
