"""The context guide's answer as the network's first guess, in training.

Why: the Predictor gives a context-only prediction the context guide's logits as its previous
prediction (``model/context_guide.py``: a random forest on multi-scale features, fitted on the
context set, that finds the structure better than the network does from the context alone).
Trained with such first guesses, the network learns to keep what the forest got right and to
correct the rest with the user's prompts.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..model.context_guide import ContextGuide
from ..model.preprocessing import MODEL_SIZE


def forest_guess(image: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """1 x R x R image and S x 2 x R x R context (image, mask) -> 1 x R x R guide logits, as
    the Predictor computes them (on the 128 x 128 grid; low-resolution training is at 64)."""

    def grid(x: torch.Tensor) -> np.ndarray:
        if x.shape != MODEL_SIZE:
            x = F.interpolate(x[None, None], size=MODEL_SIZE, mode="bilinear")[0, 0]
        return x.cpu().numpy()

    guide = ContextGuide([(grid(pair[0]), grid(pair[1]) > 0.5) for pair in support])
    logits = torch.from_numpy(guide.logits(grid(image[0])))
    if logits.shape != image.shape[-2:]:
        logits = F.interpolate(logits[None, None], size=image.shape[-2:], mode="bilinear")[0, 0]
    return logits[None].to(image)


def forest_guesses(
    images: torch.Tensor, support: torch.Tensor, fraction: float, rng: np.random.Generator
) -> torch.Tensor | None:
    """B x 1 x R x R first guesses: the guide's logits for a ``fraction`` of the samples, zeros
    (no guess, as the network sees it) for the rest; None when no sample drew one."""
    chosen = rng.random(len(images)) < fraction
    if not chosen.any():
        return None
    guesses = torch.zeros_like(images)
    for i in np.flatnonzero(chosen):
        guesses[i] = forest_guess(images[i], support[i])
    return guesses
