"""A classical in-context yardstick: a pixel classifier trained on the context set, as ilastik
does (a random forest on multi-scale intensity, edge and texture features).

Why: where it beats the network's context-only prediction, the network's context path has room
to grow. It learns from the context images' masks and, when there are prompts, from the clicked
and scribbled pixels of the image itself; a box's outside counts as background. Everything runs
at the model's 128 x 128, like the network, and the probabilities are upsampled.
"""

from __future__ import annotations

import numpy as np

from ..model.context_guide import PixelForest, context_pixels, pixel_features
from ..model.prediction import upsample_logits
from ..model.preprocessing import MODEL_SIZE, as_mask, resize_image, to_gray_unit
from ..prompts import Prompts, scribble_masks
from .baselines import ClassicalSegmenter


class ContextForest(ClassicalSegmenter):
    name = "context-forest"

    def __init__(
        self,
        trees: int = 50,
        pixels_per_image: int = 3000,
        max_depth: int | None = None,
        seed: int = 0,
    ) -> None:
        """``pixels_per_image``: training pixels sampled per context image, half from each
        class; ``max_depth``: None grows every tree to purity."""
        self.trees = trees
        self.pixels_per_image = pixels_per_image
        self.max_depth = max_depth
        self.seed = seed

    def segment(
        self, image: np.ndarray, prompts: Prompts, context: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Train on the context (and the prompts' pixels), then classify the image's pixels."""
        rng = np.random.default_rng(self.seed)
        pairs = []
        for k, (context_image, context_mask) in enumerate(context):
            gray = to_gray_unit(context_image, f"context[{k}] image")
            mask = as_mask(context_mask, gray.shape, f"context[{k}] mask")
            pairs.append((_small(gray), _small(mask) > 0.5))
        features, labels = context_pixels(pairs, self.pixels_per_image, rng)
        target = pixel_features(_small(to_gray_unit(image, "image")))
        seeds = _prompt_seeds(prompts, np.shape(image)[:2])
        if seeds is not None:
            positive, negative = seeds
            for mask, label in ((positive, True), (negative, False)):
                features.append(target[mask.reshape(-1)])
                labels.append(np.full(int(mask.sum()), label))
        forest = PixelForest(features, labels, self.trees, self.max_depth, self.seed)
        prob_small = forest.probabilities(target).reshape(MODEL_SIZE)
        return upsample_logits(prob_small, np.shape(image)[:2]), prob_small


def _small(image: np.ndarray) -> np.ndarray:
    return resize_image(image)[0, 0].numpy()


def _prompt_seeds(prompts: Prompts, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
    """(positive, negative) 128 x 128 seed masks from the clicks, scribbles and box outside."""
    if not prompts:
        return None
    positive, negative = np.zeros(MODEL_SIZE, bool), np.zeros(MODEL_SIZE, bool)
    sy, sx = MODEL_SIZE[0] / shape[0], MODEL_SIZE[1] / shape[1]
    for click in prompts.clicks:
        (positive if click.positive else negative)[int(click.y * sy), int(click.x * sx)] = True
    masks = scribble_masks(prompts, shape)
    if masks is not None:
        for mask, seeds in zip(masks, (positive, negative)):
            if mask is not None:
                seeds |= _small(mask.astype(np.float32)) > 0
    if prompts.box is not None:
        inside = np.zeros(MODEL_SIZE, bool)
        box = prompts.box
        inside[
            int(box.y0 * sy) : int(np.ceil(box.y1 * sy)),
            int(box.x0 * sx) : int(np.ceil(box.x1 * sx)),
        ] = True
        negative |= ~inside
    return positive, negative & ~positive
