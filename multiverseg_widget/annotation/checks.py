"""Argument checks and mask freezing shared by the session's parts (ValueError naming what is
wrong, before anything changes)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np


def checked_index(i: Any, n: int, what: str = "image index") -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
        raise ValueError(f"{what} must be an int in [0, {n}), got {i!r}")
    return int(i)


AUTO: Literal["auto"] = "auto"  # max_context: as many items as the latency budget allows
MaxContext = int | Literal["auto"] | None  # a cap, the budget, or every item


def check_max_context(max_context: Any) -> MaxContext:
    if max_context is None or max_context == AUTO:
        return max_context  # type: ignore[no-any-return]  # None or "auto", as checked
    if isinstance(max_context, bool) or not isinstance(max_context, int) or max_context < 1:
        raise ValueError(
            f'max_context must be "auto", None or a positive int, got {max_context!r}'
        )
    return max_context


def image_shape(image: np.ndarray) -> tuple[int, int]:
    return (int(image.shape[0]), int(image.shape[1]))


def frozen(mask: np.ndarray) -> np.ndarray:
    """A read-only bool copy: masks held by the session cannot be changed behind its back."""
    out = np.array(mask, dtype=bool, copy=True)
    out.flags.writeable = False
    return out
