"""What a request found out, for the status line, structured: a ``Notice`` has a ``code`` (what
the browser acts on, e.g. the Undo it offers after an image left the context set), ``args`` (the
values it names, plain JSON) and ``text`` (what the status line shows). Each kind of notice is a
function here, registered by ``notice``: its name is the code, its parameters are the args (their
JavaScript types are generated into js/generated/protocol.js), and it returns the text."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec

Args = ParamSpec("Args")
NOTICES: dict[str, Callable[..., str]] = {}  # code -> the notice's text from its args


@dataclass(frozen=True)
class Notice:
    """One notice: ``code``, ``args`` and ``text`` (see the module)."""

    code: str
    args: dict[str, int | float | str]
    text: str

    def to_wire(self) -> dict[str, object]:
        """As the ``notices`` trait sends it: the browser acts on the code, never on the text."""
        return {"code": self.code, "args": self.args}


def notice(text: Callable[Args, str]) -> Callable[Args, Notice]:
    """Register a kind of notice: the function's name is its code, its parameters its args."""
    NOTICES[text.__name__] = text
    signature = inspect.signature(text)

    @functools.wraps(text)
    def make(*args: Args.args, **kwargs: Args.kwargs) -> Notice:
        named = signature.bind(*args, **kwargs).arguments
        return Notice(text.__name__, dict(named), text(*args, **kwargs))

    return make


@notice
def context_removed(index: int) -> str:
    """Image ``index`` left the context set (the gallery's ×): the browser offers Undo."""
    return f"image {index + 1} left the context set"


@notice
def checking() -> str:
    """The new context set is being checked (the answer follows once it is)."""
    return "checking the context set (and adapting to it if it predicts its own images well)…"


@notice
def adapting(images: int) -> str:
    """The network is being adapted to a new context set of ``images`` images."""
    return f"adapting the network to {images} context images…"


@notice
def suggesting() -> str:
    """Suggest next predicts the open images first (the first suggestion for a context set)."""
    return "suggest next: predicting the open images from the context set…"


@notice
def suggested(confidence: float, below: int, open_images: int, sure: float) -> str:
    """The suggested image is the least sure: its confidence, and how many of the open images
    are below ``sure``."""
    return (
        f"suggested: the least sure, confidence {confidence:.0%}; "
        f"{below} of {open_images} open images below {sure:.0%}"
    )


@notice
def suggested_first_open() -> str:
    """Without a context set every image is as unsure: the first open one is suggested."""
    return "suggested the first open image: no context set yet, nothing to be sure about"


@notice
def exported(images: int, format: str, folder: str) -> str:
    """An export wrote the masks of ``images`` images to ``folder``: the count is of images,
    not of files (a label map's labels.json and the manifest are files too; one npz or NIfTI
    file may hold many masks)."""
    plural = "" if images == 1 else "s"
    return f"exported the masks of {images} image{plural} as {format} to {folder}"


@notice
def not_exported(would_overwrite: str) -> str:
    """An export was not done: it would overwrite those files (the export bar asks)."""
    return f"not exported: {would_overwrite}"


@notice
def read_only() -> str:
    """The widget views a work folder that another process writes to."""
    return "read-only: viewing the work folder; changes are refused"
