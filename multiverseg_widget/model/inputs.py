"""The network's 5-channel input from an image and the user's prompts in image pixels:
every check that names the bad argument, and the scaling to the 128 x 128 model grid.

Why apart from the Predictor: the baselines and benchmarks build the same input without a
network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..prompts import Box, Click, Prompts, scribble_masks
from .encoding import encode_prompts
from .preprocessing import MODEL_SIZE, as_mask, resize_image, resize_strokes, to_gray_unit


@dataclass(frozen=True)
class PreparedImage:
    """An image normalised and resized to the model grid once (``Predictor.prepare_image``),
    so that a click carries only its prompts."""

    small: torch.Tensor  # 1 x 1 x 128 x 128, in [0, 1]
    shape: tuple[int, int]  # the image's own height and width


def encode_inputs(
    image: np.ndarray | PreparedImage,
    prompts: Prompts | None = None,
    prev_logits: np.ndarray | None = None,
    *,
    clicks: Sequence[tuple[float, float, bool]] | None = None,
    box: Sequence[float] | None = None,
    scribbles: tuple[np.ndarray | None, np.ndarray | None] | None = None,
) -> torch.Tensor:
    """The network input for an image and its prompts (see ``Predictor.predict``): normalised
    image, box, positive and negative clicks + scribbles, previous logits.

    Args:
        image: an H x W (x 1/3/4) numeric or bool image, or one ``PreparedImage``.
        prompts: the image's prompts, in image pixels; or None with the keywords below.
        prev_logits: the previous ``Prediction.logits``, 128 x 128 float, or None.
        clicks: (x, y, positive) clicks in image pixels, instead of ``prompts``.
        box: (x0, y0, x1, y1) in image pixels, end exclusive, instead of ``prompts``.
        scribbles: (positive, negative) H x W masks in [0, 1] (None for absent), instead of
            ``prompts``.

    Returns:
        1 x 5 x 128 x 128 float32.

    Raises:
        ValueError: naming the argument when an input is unusable.
    """
    if isinstance(image, PreparedImage):
        small, (height, width) = image.small, image.shape
    else:
        gray = to_gray_unit(image, "image")
        small, (height, width) = resize_image(gray), gray.shape
    if prompts is None:
        prompts = _keyword_prompts(clicks, box)
    elif clicks is not None or box is not None or scribbles is not None:
        raise ValueError("pass prompts, or the keywords clicks, box and scribbles, not both")
    elif not isinstance(prompts, Prompts):
        raise ValueError(f"prompts must be a Prompts value, got {type(prompts).__name__}")
    else:
        prompts.check_inside(height, width)
        scribbles = scribble_masks(prompts, (height, width))
    coords, labels = _scaled_clicks(prompts.clicks, height, width)
    box_tensor = _scaled_box(prompts.box, height, width)
    scribble_tensor = _scribble_tensor(scribbles, (height, width))
    previous = _previous_logits(prev_logits)
    return encode_prompts(small, coords, labels, box_tensor, scribble_tensor, previous)


def _keyword_prompts(
    clicks: Sequence[tuple[float, float, bool]] | None, box: Sequence[float] | None
) -> Prompts:
    """The README's keyword form as prompts; errors name the keyword (``clicks[2]``, ``box``)."""
    items: list[Click | Box] = []
    for i, click in enumerate(clicks or ()):
        if not isinstance(click, (tuple, list)) or len(click) != 3:
            raise ValueError(f"clicks[{i}] must be (x, y, positive), got {click!r}")
        try:
            items.append(Click(*click))
        except ValueError as error:
            raise ValueError(f"clicks[{i}]: {error}") from None
    if box is not None:
        if not isinstance(box, (tuple, list, np.ndarray)) or len(box) != 4:
            raise ValueError(f"box must be four finite numbers (x0, y0, x1, y1), got {box!r}")
        items.append(Box(*box))
    return Prompts(tuple(items))


def _scaled_clicks(
    clicks: Sequence[Click], height: int, width: int
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    if not clicks:
        return None, None
    for i, click in enumerate(clicks):
        try:
            click.check_inside(height, width)
        except ValueError as error:
            raise ValueError(f"clicks[{i}]: {error}") from None
    coords = [(int(c.x * MODEL_SIZE[1] / width), int(c.y * MODEL_SIZE[0] / height)) for c in clicks]
    labels = [1 if c.positive else 0 for c in clicks]
    return torch.tensor([coords]), torch.tensor([labels])


def _scaled_box(box: Box | None, height: int, width: int) -> torch.Tensor | None:
    if box is None:
        return None
    box.check_inside(height, width)
    sx, sy = MODEL_SIZE[1] / width, MODEL_SIZE[0] / height
    return torch.tensor([[[box.x0 * sx, box.y0 * sy, box.x1 * sx, box.y1 * sy]]])


def _scribble_tensor(
    scribbles: tuple[np.ndarray | None, np.ndarray | None] | None, shape: tuple[int, int]
) -> torch.Tensor | None:
    if scribbles is None:
        return None
    if not isinstance(scribbles, (tuple, list)) or len(scribbles) != 2:
        raise ValueError("scribbles must be a (positive, negative) pair of masks (None for absent)")
    channels = []
    for mask, name in zip(scribbles, ("scribbles[0] (positive)", "scribbles[1] (negative)")):
        if mask is None:
            channels.append(torch.zeros(1, 1, *MODEL_SIZE))
        else:
            channels.append(resize_strokes(as_mask(mask, shape, name)))
    return torch.cat(channels, dim=1)


def _previous_logits(prev_logits: np.ndarray | torch.Tensor | None) -> torch.Tensor | None:
    if prev_logits is None:
        return None
    arr = torch.as_tensor(np.asarray(prev_logits), dtype=torch.float32)
    if arr.numel() != MODEL_SIZE[0] * MODEL_SIZE[1] or arr.shape[-2:] != MODEL_SIZE:
        raise ValueError(
            f"prev_logits must be the previous Prediction.logits ({MODEL_SIZE[0]} x "
            f"{MODEL_SIZE[1]}), got shape {tuple(arr.shape)}"
        )
    if not torch.isfinite(arr).all():
        raise ValueError("prev_logits contains NaN or infinite values")
    return arr.reshape(1, 1, *MODEL_SIZE)
