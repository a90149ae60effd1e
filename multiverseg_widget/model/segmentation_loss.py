"""The segmentation loss, shared by training and by adaptation to a context set."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def segmentation_loss(
    logits: torch.Tensor, masks: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """(Weighted) BCE plus soft Dice (Dice keeps thin and small structures from being ignored)."""
    bce = F.binary_cross_entropy_with_logits(logits, masks, weight=weights)
    prob = torch.sigmoid(logits)
    inter = (prob * masks).sum(dim=(1, 2, 3))
    dice = (2 * inter + 1) / (prob.sum(dim=(1, 2, 3)) + masks.sum(dim=(1, 2, 3)) + 1)
    return bce + (1 - dice).mean()
