"""How much two masks overlap: what the evaluation scores and the context check estimates."""

from __future__ import annotations

import numpy as np


def dice(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice overlap of two masks.

    Args:
        pred, gt: H x W masks of one shape (any nonzero pixel counts as inside).

    Returns:
        2 |pred & gt| / (|pred| + |gt|), in [0, 1]; 1.0 when both are empty (nothing to find,
        none found).
    """
    pred, gt = np.asarray(pred, dtype=bool), np.asarray(gt, dtype=bool)
    total = int(pred.sum()) + int(gt.sum())
    return 1.0 if total == 0 else 2.0 * int((pred & gt).sum()) / total
