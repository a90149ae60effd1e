"""The checks of the single fields of the widget's messages (numbers, names, paths, lists), each
a ValueError that says what is wrong, and the messages' limits; the actions (``actions.py``)
check their fields with them. The front end reads the limits and formats it needs from
js/generated/protocol.js (``scripts/generate_protocol.py``)."""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from ..annotation.whole_dataset import LABEL_MAP_FORMATS
from ..data import EXPORT_FORMATS as MASK_FORMATS

MAX_INT = 2**53 - 1  # the browser reads ids and versions back as JavaScript numbers
MAX_NAME = 100  # characters of a structure's name: it is shown in the toolbar and file names
# the export control's: every format Session.export writes, a mask file per image in each of the
# formats table's (data/formats.py) and every structure in one label map per image
EXPORT_FORMATS = (*MASK_FORMATS, *LABEL_MAP_FORMATS)
MAX_PATH = 4096  # characters of an export folder's path
MAX_JUMP = 1000  # characters of the jump box's text (an image's name or number)
MAX_THUMBNAILS = 64  # thumbnails one action may ask for (the gallery asks for those in view)
# Actions of one batch: the browser sends what the user did while the kernel was busy, and splits
# a longer queue (js/queue.js); 10,000 undos in one batch held the kernel for 13 s.
MAX_ACTIONS = 1000
# Characters of one message as JSON: four strokes of the most points (MAX_STROKE_POINTS) fit; the
# browser packs its batches to half of it (js/queue.js MAX_MESSAGE).
MAX_MESSAGE = 2_000_000

_REPR = reprlib.Repr()  # values in messages: a few items, two levels deep
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 40, 40
short = _REPR.repr


def structure_name(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a structure name must be a string, got {short(value)}")
    if len(value) > MAX_NAME:
        raise ValueError(f"a structure name has at most {MAX_NAME} characters, got {len(value)}")
    return value


def export_format(value: Any) -> str:
    if value not in EXPORT_FORMATS:
        raise ValueError(f"export format {short(value)} is not one of {', '.join(EXPORT_FORMATS)}")
    return cast(str, value)


def export_folder(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"an export folder must be a non-empty path, got {short(value)}")
    if len(value) > MAX_PATH or "\0" in value:
        raise ValueError(f"an export folder is a path of at most {MAX_PATH} characters, no NUL")
    return value


def jump_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"jump to: give an image's name or number, got {short(value)}")
    if len(value) > MAX_JUMP:
        raise ValueError(f"jump to: at most {MAX_JUMP} characters, got {len(value)}")
    return value.strip()


def thumbnail_indices(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_THUMBNAILS:
        raise ValueError(
            f"thumbnails: indices must be a list of 1 to {MAX_THUMBNAILS}, got {short(value)}"
        )
    return tuple(integer(i, "thumbnail index") for i in value)


def erase_positions(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"erase positions must be a non-empty list, got {short(value)}")
    positions = tuple(integer(k, "erase position") for k in value)
    if len(set(positions)) != len(positions):
        raise ValueError(f"erase positions repeat: {short(value)}")
    return positions


def boolean(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be a bool, got {short(value)}")
    return value


Checked = TypeVar("Checked")


def or_none(check: Callable[[Any], Checked]) -> Callable[[Any], Checked | None]:
    """``check`` for a field that may also be null."""
    return lambda value: None if value is None else check(value)


def integer(value: Any, what: str, signed: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an int, got {short(value)}")
    if value < 0 and not signed:
        raise ValueError(f"{what} must not be negative, got {value}")
    if abs(value) > MAX_INT:
        raise ValueError(f"{what} {short(value)} is out of range")
    return value


def message_size(value: Any, limit: int = MAX_MESSAGE) -> int:
    """About how many characters ``value`` (parsed JSON) has as JSON text, counted only until it
    passes ``limit``: a flood of a message costs no more to refuse than a message at the limit.

    Args:
        value: the message's content as the comm delivers it (dicts, lists, strings, numbers).
        limit: stop counting once the size passes it.

    Returns:
        The size in characters, or the first count past ``limit``.
    """
    size, stack = 0, [value]
    while stack and size <= limit:
        item = stack.pop()
        if isinstance(item, Mapping):
            size += 2 + 2 * len(item)  # braces, a colon and a comma each; the keys as strings
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            size += 2 + len(item)
            stack.extend(item)
        elif isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, int) and not isinstance(item, bool):
            size += 2 + int(item.bit_length() * math.log10(2))  # str() refuses huge ints
        else:
            size += len(repr(item))
    return size
