"""The context guide: a pixel classifier trained on the context set, whose answer is the
network's first guess of an image's context-only prediction.

Why: a random forest on multi-scale intensity, edge and texture features, trained on the
context images' pixels (as ilastik does), finds the structure in a new image better than the
built-in network does from the context alone: on held-out training data a context-only Dice of
0.65 against 0.52. Given the forest's logits as its previous prediction, the network keeps what
the forest got right and corrects the rest with the user's prompts. Everything runs on the
128 x 128 model grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from skimage.feature import multiscale_basic_features
from sklearn.ensemble import RandomForestClassifier

from .context import PreparedItem
from .context_set_cache import ContextSetCache

SIGMAS = (1.0, 16.0)  # the feature scales, in pixels at 128 x 128
LOGIT_CLIP = 1e-4  # probabilities are clipped to [LOGIT_CLIP, 1 - LOGIT_CLIP] before the logit
# The guide's forest: on held-out training data (4 context images) as good as 50 trees grown to
# purity from 3000 pixels per image (Dice 0.653 against 0.650), in a quarter of the time
# (0.28 s against 1.31 s on one core).
GUIDE_SETTINGS = {"trees": 20, "pixels_per_image": 1000, "max_depth": 12}


def pixel_features(small: np.ndarray) -> np.ndarray:
    """(h * w) x F multi-scale intensity, edge and texture features of an h x w image."""
    stack: np.ndarray = multiscale_basic_features(small, sigma_min=SIGMAS[0], sigma_max=SIGMAS[1])
    return stack.reshape(-1, stack.shape[-1])


def context_pixels(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]], pixels_per_image: int, rng: np.random.Generator
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Features and labels of up to ``pixels_per_image`` pixels of every (image, bool mask)
    pair, half inside the mask and half outside."""
    features, labels = [], []
    for image, mask in pairs:
        flat = mask.reshape(-1)
        chosen = []
        for where in (np.flatnonzero(flat), np.flatnonzero(~flat)):
            take = min(len(where), pixels_per_image // 2)
            chosen.append(rng.choice(where, size=take, replace=False) if take else where[:0])
        pixels = np.concatenate(chosen)
        features.append(pixel_features(image)[pixels])
        labels.append(flat[pixels])
    return features, labels


class PixelForest:
    """A random forest from pixel features to the probability of the structure; a constant
    where the training pixels hold one class only (or none: background)."""

    def __init__(
        self,
        features: list[np.ndarray],
        labels: list[np.ndarray],
        trees: int,
        max_depth: int | None,
        seed: int = 0,
    ) -> None:
        y = np.concatenate(labels) if labels else np.zeros(0, dtype=bool)
        self.forest = None
        self.constant = float(y.all()) if y.size else 0.0
        if y.size and y.any() and not y.all():
            self.forest = RandomForestClassifier(
                trees, max_depth=max_depth, n_jobs=1, random_state=seed
            )
            self.forest.fit(np.concatenate(features), y)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if self.forest is None:
            return np.full(len(features), self.constant)
        prob: np.ndarray = self.forest.predict_proba(features)[:, 1]
        return prob


def probability_logits(prob: np.ndarray) -> np.ndarray:
    """Probabilities -> float32 logits, clipped so that a sure pixel stays finite."""
    p = np.clip(prob, LOGIT_CLIP, 1 - LOGIT_CLIP)
    logits: np.ndarray = np.log(p / (1 - p)).astype(np.float32)
    return logits


class ContextGuide:
    """The guide's forest fitted on one context set of (128 x 128 image, bool mask) pairs."""

    def __init__(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]], seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        settings = GUIDE_SETTINGS
        features, labels = context_pixels(pairs, settings["pixels_per_image"], rng)
        self.forest = PixelForest(features, labels, settings["trees"], settings["max_depth"], seed)

    @classmethod
    def from_items(cls, items: Sequence[PreparedItem]) -> ContextGuide:
        """The guide fitted on prepared context items (the predictor's context set)."""
        return cls([(it.image[0].cpu().numpy(), it.label[0].cpu().numpy() > 0.5) for it in items])

    def logits(self, small: np.ndarray) -> np.ndarray:
        """The forest's h x w logits for an h x w image."""
        prob = self.forest.probabilities(pixel_features(small))
        return probability_logits(prob).reshape(small.shape)


class ContextGuides:
    """The guide of each of the last few context sets, kept by the content of their items
    (``context_set_cache.py``): fitted once per set, reused by every context-only prediction."""

    def __init__(self) -> None:
        self._fitted: ContextSetCache[ContextGuide] = ContextSetCache()

    def __len__(self) -> int:
        return len(self._fitted)

    def start_logits(self, items: Sequence[PreparedItem], small: np.ndarray) -> np.ndarray:
        """The guide's h x w logits for the h x w ``small`` image (the model grid), from the
        guide of ``items`` (fitted now if needed)."""
        return self._fitted.get(items, lambda: ContextGuide.from_items(items)).logits(small)
