"""Write js/generated/protocol.js, the front end's side of the wire protocol, from its one
definition in the kernel (multiverseg_widget/widget/): the actions and their fields
(``actions.py``), the limits and export formats (``fields.py``), the notice codes and their args
(``notices.py``), the display options and the brush's range (``traits.py``). The front end
imports its constants from the generated module and builds its message types on its typedefs
(``npx tsc -p .`` checks them); tests/test_protocol_generated.py fails when it is stale.

    python scripts/generate_protocol.py           write it
    python scripts/generate_protocol.py --check   exit 1 if it is out of date
"""

from __future__ import annotations

import inspect
import json
import sys
import textwrap
import typing
from collections.abc import Callable, Iterable
from pathlib import Path

from multiverseg_widget.annotation.image_status import STATUSES
from multiverseg_widget.prompts import INTERACTION_KINDS
from multiverseg_widget.prompts.vocabulary import MAX_STROKE_POINTS
from multiverseg_widget.widget import fields, traits
from multiverseg_widget.widget.actions import ACTIONS, Interact
from multiverseg_widget.widget.notices import NOTICES
from multiverseg_widget.widget.wire import WireAction

TARGET = Path(__file__).resolve().parents[1] / "js" / "generated" / "protocol.js"
COMMAND = "python scripts/generate_protocol.py"
JS_TYPES = {int: "number", float: "number", str: "string", bool: "boolean"}
WIDTH = 100  # characters of a line the generated comments fill

# name -> (value, what it is); each value is the kernel's, read where it is defined
CONSTANTS: dict[str, tuple[object, str]] = {
    "MAX_ACTIONS": (fields.MAX_ACTIONS, "Most actions one batch carries."),
    "MAX_MESSAGE": (fields.MAX_MESSAGE, "Most characters of one message as JSON."),
    "MAX_NAME": (fields.MAX_NAME, "Most characters of a structure's name."),
    "MAX_THUMBNAILS": (fields.MAX_THUMBNAILS, "Most thumbnails one action asks for."),
    "MAX_STROKE_POINTS": (MAX_STROKE_POINTS, "Most points one stroke has."),
    "MIN_BRUSH": (traits.MIN_BRUSH, "The narrowest brush, pixels."),
    "SLIDER_MAX_BRUSH": (traits.SLIDER_MAX_BRUSH, "The widest brush the slider reaches, pixels."),
}


def render() -> str:
    """The generated module's text."""
    parts = [
        "// @ts-check",
        "// The wire protocol as the kernel defines it (multiverseg_widget/widget/: actions.py,",
        "// fields.py, notices.py, traits.py); js/protocol.js builds the messages' types on it.",
        f"// Generated: do not edit, run `{COMMAND}`.",
        "",
        '/** @import { Point } from "../protocol.js" */',
        "",
        *(_constant(name, value, doc) for name, (value, doc) in CONSTANTS.items()),
        _union("ExportFormat", fields.EXPORT_FORMATS, "A format the export control offers."),
        _constant(
            "EXPORT_FORMATS",
            fields.EXPORT_FORMATS,
            "The export control's formats: every format Session.export writes.",
            "readonly ExportFormat[]",
        ),
        _union("Status", STATUSES, "An image's status."),
        _constant(
            "STATUSES", STATUSES, "What the kernel's status codes index.", "readonly Status[]"
        ),
        _union("DisplayTrait", traits.DISPLAY_TRAITS, "The traits the browser sets."),
        _constant(
            "READ_ONLY_KINDS",
            [kind for cls in ACTIONS if cls.READ_ONLY for kind in cls.KINDS],
            "The kinds of action that only ask for something: their answer keeps the status "
            "and error lines.",
            "readonly string[]",
        ),
        _typedef(
            "PromptKind",
            "{kind: " + _literals(INTERACTION_KINDS) + "}",
            "The kinds of prompt the tools send (the prompt vocabulary's); each tool's module "
            "(js/tools/) declares its fields. A tool's action of a kind not named here does not "
            "type-check as an Action.",
        ),
        *(_action(cls) for cls in ACTIONS if cls is not Interact),
        _typedef(
            "WidgetAction",
            " | ".join(_action_name(cls) for cls in ACTIONS if cls is not Interact),
            "Every action besides the prompts.",
        ),
        _constant(
            "NOTICE",
            {code: code for code in NOTICES},
            "The codes of the kernel's notices, which the front end acts on.",
            "const",
        ),
        _typedef(
            "Notice",
            " | ".join(_notice(code, text) for code, text in NOTICES.items()),
            "What a request found out: its code and args (the `notices` trait).",
        ),
    ]
    return "\n".join(parts)


def _doc(text: str) -> list[str]:
    """A docstring as JSDoc lines (``code`` as `code`), wrapped."""
    text = " ".join(inspect.cleandoc(text.replace("``", "`")).split())
    return [f" * {line}" for line in textwrap.wrap(text, WIDTH - 3)]


def _constant(name: str, value: object, doc: str, js_type: str | None = None) -> str:
    tag = [] if js_type is None else [f" * @type {{{js_type}}}"]
    text = json.dumps(value)
    if js_type == "const":
        tag, text = [], f"/** @type {{const}} */ ({json.dumps(value, indent=2)})"
    head = ["/**", *_doc(doc), *tag, " */"]
    if len(head) == 3 and len(f"/** {doc} */") <= WIDTH:
        head = [f"/** {doc} */"]
    return "\n".join([*head, f"export const {name} = {text};", ""])


def _literals(values: Iterable[str]) -> str:
    return " | ".join(json.dumps(v) for v in values)


def _union(name: str, values: Iterable[str], doc: str) -> str:
    return _typedef(name, _literals(values), doc)


def _typedef(name: str, js_type: str, doc: str) -> str:
    """A JSDoc typedef; a long union with a member per line after the first."""
    line = f" * @typedef {{{js_type}}} {name}"
    if len(line) > WIDTH:
        first, *rest = js_type.split(" | ")
        line = "\n".join([f" * @typedef {{{first}", *(f" *   | {m}" for m in rest)]) + f"}} {name}"
    return "\n".join(["/**", *_doc(doc), line, " */", ""])


def _action_name(cls: type[WireAction]) -> str:
    return f"{cls.__name__}Action"


def _action(cls: type[WireAction]) -> str:
    """An action's typedef: its kinds and its fields, the optional ones with a ?."""
    members = [f"kind: {_literals(cls.KINDS)}"]
    for name, field in cls.wire_fields().items():
        members.append(f"{name}{'?' if field.optional else ''}: {field.js}")
    return _typedef(_action_name(cls), "{" + ", ".join(members) + "}", cls.__doc__ or "")


def _notice(code: str, text: Callable[..., str]) -> str:
    """A notice's type: its code and its args, typed as its function's parameters."""
    hints = typing.get_type_hints(text)
    names = inspect.signature(text).parameters
    args = ", ".join(f"{name}: {JS_TYPES[hints[name]]}" for name in names)
    return f'{{code: "{code}", args: {f"{{{args}}}" if args else "Record<string, never>"}}}'


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.is_file() or TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
