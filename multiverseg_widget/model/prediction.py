"""What a prediction returns: the mask at the image's own size, and the logits on the model grid
to feed back at the next step."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .context_check import ContextEstimate


@dataclass
class Prediction:
    """A prediction at the image's own resolution, plus the logits to feed back next step.

    ``prob`` is computed from the logits when first read: a session keeps a prediction per
    undo step and rarely needs a full-size probability map of any of them."""

    mask: np.ndarray  # H x W bool: where the upsampled logits are positive
    logits: np.ndarray  # 128 x 128 float32, model resolution: pass as prev_logits
    network: str  # "multiverseg", "scribbleprompt", or "none" (the context policy's empty guess)
    context_used: list[int] = field(default_factory=list)  # indices into the given context
    seconds: float = 0.0
    known_prob: np.ndarray | None = field(default=None, repr=False)  # set by non-network models
    adapted: bool = False  # made by the network adapted to the context set (adapt_to_context)
    context_estimate: ContextEstimate | None = None  # how well the context predicts itself
    withheld: Prediction | None = None  # the context-only guess the policy did not show

    @property
    def prob(self) -> np.ndarray:
        """H x W float32 in [0, 1]."""
        if self.known_prob is None:
            self.known_prob = _sigmoid(upsample_logits(self.logits, self.mask.shape))
        return self.known_prob


def upsample_logits(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """128 x 128 logits -> H x W, bilinear: thresholding after upsampling keeps edges smooth."""
    x = torch.from_numpy(np.ascontiguousarray(logits, dtype=np.float32))[None, None]
    return F.interpolate(x, size=shape, mode="bilinear", align_corners=False)[0, 0].numpy()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (0.5 * (np.tanh(0.5 * x) + 1.0)).astype(np.float32)
