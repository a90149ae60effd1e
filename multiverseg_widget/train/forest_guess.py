"""The context forest's answer as the network's first guess, in training.

Why: on held-out training data a random forest on multi-scale features, trained on 4 context
images, scores a context-only Dice of 0.65 against the network's 0.52 (on the unseen eval tasks
0.61 against 0.42). The network already reads a previous prediction (its fifth input channel);
given the forest's logits there, it can learn to keep what the forest got right and to correct
the rest with the user's prompts.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..evaluation.context_forest import GUIDE_SETTINGS, ContextForest

GUIDE = ContextForest(**GUIDE_SETTINGS)


def forest_guess(image: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """1 x R x R image and S x 2 x R x R context (image, mask) -> 1 x R x R forest logits."""
    context = [(pair[0].cpu().numpy(), pair[1].cpu().numpy() > 0.5) for pair in support]
    logits = torch.from_numpy(GUIDE.predict(image[0].cpu().numpy(), context=context).logits)
    size = image.shape[-2:]
    if logits.shape != size:  # the forest answers at 128 x 128; low-resolution training is 64
        logits = F.interpolate(logits[None, None], size=size, mode="bilinear")[0, 0]
    return logits[None].to(image)


def forest_guesses(
    images: torch.Tensor, support: torch.Tensor, fraction: float, rng: np.random.Generator
) -> torch.Tensor | None:
    """B x 1 x R x R first guesses: the forest's logits for a ``fraction`` of the samples, zeros
    (no guess, as the network sees it) for the rest; None when no sample drew one."""
    chosen = rng.random(len(images)) < fraction
    if not chosen.any():
        return None
    guesses = torch.zeros_like(images)
    for i in np.flatnonzero(chosen):
        guesses[i] = forest_guess(images[i], support[i])
    return guesses
