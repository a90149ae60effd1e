"""The prompt vocabulary: what a user (human or simulated) tells the model about one image.

One typed form everywhere: the session logs it, the widget's messages are parsed into it, the
simulated users and the training loop build it, and ``Predictor.predict`` reads it. Values are
frozen and round-trip to JSON (the work folder's interaction log is this JSON).

Coordinates are image pixels, (x, y) = (column, row), as in the official code; a box is end
exclusive. Construction checks types and shapes (ValueError naming what is wrong); whether a
prompt lies inside a given image is checked by ``check_inside``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_BRUSH = 256.0  # widest stroke, pixels
# Most points one stroke (a scribble or a paint stroke) may have. The browser sends a point per
# pointer move (60 to 240 a second), so a drag of a minute stays under it; beyond it a stroke is
# no drawing but a flood (10^6 points took 78 s to rasterise and bloated the log to 43 MB).
# Simulated scribbles (Stroke.from_mask) have at most one image side's pixels.
MAX_STROKE_POINTS = 10_000


@dataclass(frozen=True)
class Click:
    """A positive (on the structure) or negative click at one pixel."""

    x: float
    y: float
    positive: bool = True

    def __post_init__(self) -> None:
        _set(self, x=_number(self.x, "click x"), y=_number(self.y, "click y"))
        _set(self, positive=_flag(self.positive, "click positive"))

    def to_json(self) -> dict[str, Any]:
        return {"kind": "click", "x": self.x, "y": self.y, "positive": self.positive}

    def check_inside(self, height: int, width: int) -> None:
        _check_point(self.x, self.y, height, width, "click")


@dataclass(frozen=True)
class Box:
    """A bounding box (x0, y0, x1, y1), end exclusive. Corners given in any order are
    normalised (x0 <= x1, y0 <= y1); a box without area is refused."""

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        x0, y0, x1, y1 = (_number(v, "box") for v in (self.x0, self.y0, self.x1, self.y1))
        if x0 == x1 or y0 == y1:
            raise ValueError(f"box ({x0}, {y0}, {x1}, {y1}) has zero area")
        _set(self, x0=min(x0, x1), x1=max(x0, x1), y0=min(y0, y1), y1=max(y0, y1))

    @property
    def corners(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "box", "box": list(self.corners)}

    def check_inside(self, height: int, width: int) -> None:
        if self.x0 < 0 or self.y0 < 0 or self.x1 > width or self.y1 > height:
            raise ValueError(f"box {self.corners} reaches outside the image ({width} x {height})")


@dataclass(frozen=True)
class Stroke:
    """A scribble: a round brush ``width`` pixels wide along the polyline through ``points``,
    or, with ``joined=False``, a dot at each point (how a scribble known only as pixels, such
    as a simulated or recorded one, is written)."""

    points: tuple[tuple[float, float], ...]
    positive: bool = True
    width: float = 3.0
    joined: bool = True

    def __post_init__(self) -> None:
        points = self.points
        if isinstance(points, (str, bytes, Mapping)) or not isinstance(
            points, (Sequence, np.ndarray)
        ):
            raise ValueError("scribble points must be a list of (x, y) pairs")
        if len(points) == 0:
            raise ValueError("a scribble needs at least one point")
        if len(points) > MAX_STROKE_POINTS:
            raise ValueError(
                f"a stroke has at most {MAX_STROKE_POINTS:,} points, got {len(points):,}: "
                "draw it as several strokes"
            )
        pairs = tuple(_pair(p, f"scribble point {k}") for k, p in enumerate(points))
        width = _number(self.width, "scribble width")
        if not 1 <= width <= MAX_BRUSH:
            raise ValueError(f"scribble width must be in [1, {MAX_BRUSH:g}] pixels, got {width}")
        _set(self, points=pairs, width=width, positive=_flag(self.positive, "scribble positive"))
        _set(self, joined=_flag(self.joined, "scribble joined"))

    @classmethod
    def from_mask(cls, mask: np.ndarray, positive: bool = True) -> Stroke | None:
        """The pixels of a scribble mask as dots one pixel wide (None for an empty mask)."""
        rows, cols = np.nonzero(np.asarray(mask, dtype=bool))
        if rows.size == 0:
            return None
        return cls(tuple(zip(cols.tolist(), rows.tolist())), positive, 1.0, joined=False)

    def to_json(self) -> dict[str, Any]:
        out = {
            "kind": "scribble",
            "points": [list(p) for p in self.points],
            "positive": self.positive,
            "width": self.width,
        }
        return out if self.joined else {**out, "joined": False}

    def check_inside(self, height: int, width: int) -> None:
        for k, (x, y) in enumerate(self.points):
            _check_point(x, y, height, width, f"scribble point {k}")


@dataclass(frozen=True)
class MaskEdit:
    """The mask replaced by hand (painted, or set from Python); ``file`` and ``sha256`` name
    the stored copy in the work folder, None when there is none."""

    file: str | None = None
    sha256: str | None = None

    def __post_init__(self) -> None:
        for name in ("file", "sha256"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"a mask edit's {name} must be a non-empty string or absent")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "mask"}
        if self.file is not None:
            out["file"] = self.file
        if self.sha256 is not None:
            out["sha256"] = self.sha256
        return out

    def check_inside(self, height: int, width: int) -> None:
        """A stored mask is checked against the image when it is read back."""


Prompt = Click | Box | Stroke | MaskEdit


def prompt_from_json(entry: Any) -> Prompt:
    """One prompt from its JSON form (a logged or received dict); ValueError when malformed."""
    kind = entry.get("kind") if isinstance(entry, Mapping) else None
    fields = _FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise ValueError(f"a prompt must be a click, box, scribble or mask, got {entry!r}")
    required, optional = fields
    missing = sorted(required - entry.keys())
    if missing:
        raise ValueError(f"{kind} lacks {missing}")
    unknown = sorted(set(entry) - required - optional - {"kind"})
    if unknown:
        raise ValueError(f"{kind} has unknown fields {unknown}")
    if kind == "click":
        return Click(entry["x"], entry["y"], entry["positive"])
    if kind == "box":
        box = entry["box"]
        if isinstance(box, (str, bytes, Mapping)) or not isinstance(box, (Sequence, np.ndarray)):
            raise ValueError(f"a box needs [x0, y0, x1, y1], got {box!r}")
        if len(box) != 4:
            raise ValueError(f"a box needs [x0, y0, x1, y1], got {box!r}")
        return Box(*box)
    if kind == "scribble":
        return Stroke(entry["points"], entry["positive"], entry["width"], entry.get("joined", True))
    return MaskEdit(entry.get("file"), entry.get("sha256"))


_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "click": ({"x", "y", "positive"}, set()),
    "box": ({"box"}, set()),
    "scribble": ({"points", "positive", "width"}, {"joined"}),
    "mask": (set(), {"file", "sha256"}),
}
# What a user sends (a mask edit is made by the session, from a mask, never sent as one).
INTERACTION_KINDS = tuple(kind for kind in _FIELDS if kind != "mask")


@dataclass(frozen=True)
class Prompts:
    """Every prompt given to one image, in order. Clicks and strokes accumulate; the latest box
    counts; a mask edit replaces the mask by hand (the prompts before it still shape the
    prediction that the next prompt refines)."""

    items: tuple[Prompt, ...] = ()

    def __post_init__(self) -> None:
        items = tuple(self.items)
        for k, item in enumerate(items):
            if not isinstance(item, (Click, Box, Stroke, MaskEdit)):
                raise ValueError(f"prompt {k} must be a Click, Box, Stroke or MaskEdit: {item!r}")
        _set(self, items=items)

    def __len__(self) -> int:
        return len(self.items)

    def __add__(self, more: Prompts | Iterable[Prompt]) -> Prompts:
        extra = more.items if isinstance(more, Prompts) else tuple(more)
        return Prompts(self.items + extra)

    def without(self, positions: Iterable[int]) -> Prompts:
        drop = set(positions)
        return Prompts(tuple(p for k, p in enumerate(self.items) if k not in drop))

    @property
    def clicks(self) -> list[Click]:
        return [p for p in self.items if isinstance(p, Click)]

    @property
    def box(self) -> Box | None:
        boxes = [p for p in self.items if isinstance(p, Box)]
        return boxes[-1] if boxes else None

    @property
    def strokes(self) -> list[Stroke]:
        return [p for p in self.items if isinstance(p, Stroke)]

    @property
    def has_model_input(self) -> bool:
        """Whether anything here reaches the network (a mask edit does not)."""
        return any(not isinstance(p, MaskEdit) for p in self.items)

    def check_inside(self, height: int, width: int) -> None:
        for item in self.items:
            item.check_inside(height, width)

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.items]

    @classmethod
    def from_json(cls, entries: Any) -> Prompts:
        """Prompts from a list of their JSON forms; an error names the entry's position."""
        if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Sequence):
            raise ValueError(f"prompts must be a list, got {type(entries).__name__}")
        items = []
        for k, entry in enumerate(entries):
            try:
                items.append(prompt_from_json(entry))
            except ValueError as error:
                raise ValueError(f"interaction {k}: {error}") from None
        return cls(tuple(items))


def _set(obj: object, **values: Any) -> None:
    """Normalise fields of a frozen dataclass in ``__post_init__``."""
    for name, value in values.items():
        object.__setattr__(obj, name, value)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for any float
        digits = len(str(value))
        raise ValueError(f"{what} is out of range: an integer of {digits} digits") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a number, got non-finite {value!r}")
    return number


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, (bool, np.bool_)) and not (
        isinstance(value, (int, np.integer)) and value in (0, 1)
    ):
        raise ValueError(f"{what} must be true or false, got {value!r}")
    return bool(value)


def _pair(point: Any, what: str) -> tuple[float, float]:
    if isinstance(point, (str, bytes, Mapping)) or not isinstance(point, (Sequence, np.ndarray)):
        raise ValueError(f"{what} must be an (x, y) pair, got {point!r}")
    if len(point) != 2:
        raise ValueError(f"{what} must be an (x, y) pair, got {point!r}")
    return (_number(point[0], what), _number(point[1], what))


def _check_point(x: float, y: float, height: int, width: int, what: str) -> None:
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"{what} ({x}, {y}) lies outside the image ({width} wide, {height} high)")
