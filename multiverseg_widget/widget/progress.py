"""The progress strip's data at any dataset size: every image's status and its confidence in the
last propagation, as binary arrays (codec.py) that the browser bins to the strip's width.

Why arrays, binned in the browser: a click must not cost a Python loop over 100,000 images, and
the strip's bins depend on its width in pixels, which only the browser knows (a resize re-bins
without a round trip; hovering and clicking a bin read the exact images it covers). The arrays
are encoded again only when they change (a status changes on an image's first prompt, an accept,
an undo back to nothing, a structure switch; the confidence when the session propagates), and
traitlets sends a trait only when its value changed, so a plain click sends neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..annotation.image_status import STATUSES
from ..annotation.session import Session
from .codec import encode_array

ACCEPTED = STATUSES.index("accepted")


class Progress:
    """The strip's two arrays for one widget, kept with what they were built from."""

    def __init__(self) -> None:
        self._codes: np.ndarray | None = None
        self._codes_sent: dict[str, Any] = {}
        self._source: Mapping[int, float] | None = None
        self._source_size = -1
        self._confidence = np.empty(0, np.float32)
        self._confidence_sent = encode_array(self._confidence)

    def encoded_statuses(self, s: Session) -> dict[str, Any]:
        """Every image's status, uint8 indices into ``STATUSES``, encoded; the same object as
        last time while no status changed (so that the trait is not sent again)."""
        codes = s.status_codes()
        if self._codes is None or not np.array_equal(codes, self._codes):
            self._codes, self._codes_sent = codes, encode_array(codes)
        return self._codes_sent

    def confidence(self, s: Session) -> np.ndarray:
        """Image i's confidence in the current structure's last propagation, float32, NaN where
        it has none; empty when there is no propagation. Rebuilt only when the propagation
        changed (another mapping, or one that grew: it may be read lazily), not per click."""
        known = None if s.propagated is None else s.propagated.confidence
        size = -1 if known is None else len(known)
        if known is not self._source or size != self._source_size:
            self._source, self._source_size = known, size
            self._confidence = _dense(known, len(s))
            self._confidence_sent = encode_array(self._confidence)
        return self._confidence

    def encoded_confidence(self, s: Session) -> dict[str, Any]:
        """``confidence`` encoded; the same object while it is unchanged."""
        self.confidence(s)
        return self._confidence_sent


def _dense(known: Mapping[int, float] | None, count: int) -> np.ndarray:
    """A sparse image -> confidence mapping as one float32 array of ``count`` (NaN: none)."""
    if known is None:
        return np.empty(0, np.float32)
    dense = np.full(count, np.nan, np.float32)
    pairs = np.fromiter(known.items(), dtype=[("i", np.int64), ("c", np.float64)], count=len(known))
    dense[pairs["i"]] = pairs["c"]
    return dense
