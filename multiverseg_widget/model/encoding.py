"""Prompt encoding: clicks, boxes, scribbles and previous logits -> the networks' 5 input channels.

Conventions (those of the official code, pinned by ``shared/compat``): clicks are (x, y) =
(column, row) with label 1 positive / 0 negative; boxes are [x1, y1, x2, y2] truncated to int,
corners ordered by min/max, end exclusive; several boxes shade their union.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

CHANNELS = ("image", "box", "positive", "negative", "previous logits")


def box_mask(box: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """B x n x 4 boxes -> B x 1 x H x W float mask, the union of the shaded rectangles."""
    out = torch.zeros(box.shape[0], 1, height, width)
    for b, boxes in enumerate(box.int()):
        for x1, y1, x2, y2 in boxes.tolist():
            out[b, 0, min(y1, y2) : max(y1, y2), min(x1, x2) : max(x1, x2)] = 1.0
    return out


def click_maps(
    point_coords: torch.Tensor, point_labels: torch.Tensor, height: int, width: int
) -> torch.Tensor:
    """B x N x 2 (x, y) clicks with B x N labels -> B x 2 x H x W (positive, negative) one-hots.

    Values are assigned in click order, so a later click on the same pixel wins.
    """
    out = torch.zeros(point_coords.shape[0], 2, height, width)
    for b, (coords, labels) in enumerate(zip(point_coords.int(), point_labels)):
        for (x, y), label in zip(coords.tolist(), labels.tolist()):
            out[b, 0, y, x] = label
            out[b, 1, y, x] = 1 - label
    return out


def encode_prompts(
    img: torch.Tensor,
    point_coords: torch.Tensor | None = None,
    point_labels: torch.Tensor | None = None,
    box: torch.Tensor | None = None,
    scribbles: torch.Tensor | None = None,
    mask_input: torch.Tensor | None = None,
) -> torch.Tensor:
    """Build the network input from images in [0, 1] and prompts on the same grid.

    Args:
        img: B x 1 x H x W images in [0, 1].
        point_coords: B x N x 2 clicks (x, y), or None.
        point_labels: B x N labels (1 positive, 0 negative), or None.
        box: B x n x 4 boxes (x0, y0, x1, y1), end exclusive; several shade their union.
        scribbles: B x 2 x H x W (positive, negative) scribble masks in [0, 1], or None.
        mask_input: B x 1 x H x W previous logits, or None.

    Returns:
        B x 5 x H x W, in ``img``'s dtype and device. Channels: image, box, clamp(positive clicks
        + scribbles), clamp(negative clicks + scribbles), previous logits (zeros when absent).
    """
    b, _, h, w = img.shape
    zeros = torch.zeros(b, 1, h, w, dtype=img.dtype, device=img.device)
    box_channel = box_mask(box, h, w).to(img) if box is not None else zeros
    pos_neg = torch.zeros(b, 2, h, w, dtype=img.dtype, device=img.device)
    if point_coords is not None and point_labels is not None:
        pos_neg = click_maps(point_coords, point_labels, h, w).to(img)
    if scribbles is not None:
        pos_neg = pos_neg + scribbles.to(img)
    pos_neg = pos_neg.clamp(0, 1)
    previous = mask_input.to(img) if mask_input is not None else zeros
    return torch.cat([img, box_channel, pos_neg, previous], dim=1)


def rescale_prompts(
    img: torch.Tensor,
    point_coords: torch.Tensor | None = None,
    box: torch.Tensor | None = None,
    scribbles: torch.Tensor | None = None,
    size: tuple[int, int] = (128, 128),
    antialias: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """Resize an image and its prompts to the network's grid (the official ``rescale_inputs``).

    Image and scribbles are resized bilinearly (align_corners=False); x scales by new_W / W and y
    by new_H / H, then truncates to int. ``antialias=True`` low-pass filters when shrinking, which
    the Predictor uses for large images; the official demo uses False.

    Args:
        img: B x C x H x W images.
        point_coords: B x N x 2 clicks (x, y) in image pixels, or None.
        box: B x n x 4 boxes (x0, y0, x1, y1) in image pixels, or None.
        scribbles: B x 2 x H x W scribble masks, or None.
        size: (new_H, new_W), the network's grid.
        antialias: low-pass filter the image and scribbles when shrinking.

    Returns:
        (img B x C x new_H x new_W, point_coords B x N x 2 int, box B x n x 4 int, scribbles
        B x 2 x new_H x new_W), each prompt None where it was None.
    """
    h, w = img.shape[-2:]
    new_h, new_w = size
    scale = torch.tensor([new_w / w, new_h / h])

    def resize(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(
            x, size=size, mode="bilinear", align_corners=False, antialias=antialias
        )

    img = resize(img)
    if scribbles is not None:
        scribbles = resize(scribbles)
    if point_coords is not None:
        point_coords = (point_coords * scale).int()
    if box is not None:
        box = (box * scale.repeat(2)).int()
    return img, point_coords, box, scribbles
