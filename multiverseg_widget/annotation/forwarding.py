"""A front's method that is one of its parts' methods: ``Session.click`` is
``ImageEditor.click`` of the session's editor. The part's method keeps its signature, defaults
and docstring (``help``, the documentation site and the type checker all read them there), so
that each is written once, beside the code it describes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
Part = TypeVar("Part")


def forward(
    part: Callable[[Any], Part], method: Callable[Concatenate[Part, P], R]
) -> Callable[Concatenate[Any, P], R]:
    """A method for a front class that calls ``method`` on ``part(front)``.

    Args:
        part: the front -> the part that does the work (e.g. ``lambda s: s._editor``).
        method: the part's method, unbound (e.g. ``ImageEditor.click``).

    Returns:
        A function to assign in the front's class body, with ``method``'s name, docstring and
        signature (``inspect.signature`` follows ``__wrapped__``).
    """

    @functools.wraps(method)
    def forwarded(front: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(part(front), *args, **kwargs)

    return forwarded


def forward_property(part: Callable[[Any], Part], method: Callable[[Part], R]) -> property:
    """A read-only property for a front class: ``method`` of ``part(front)``, with its doc.

    Args:
        part: the front -> the part that knows the value.
        method: the part's method without arguments, unbound.

    Returns:
        The property, to assign in the front's class body.
    """
    return property(lambda front: method(part(front)), doc=method.__doc__)
