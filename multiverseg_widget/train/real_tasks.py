"""Real labelled tasks (``shared/data/train``) for training, with augmentation.

Each npz file is one task. Images and masks are resized once to 128 x 128 the way the Predictor
resizes user data (antialiased bilinear), so training sees what inference sees. The last
``holdout_fraction`` of every file is kept apart for validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..model.preprocessing import MODEL_SIZE


@dataclass
class RealTask:
    name: str
    images: torch.Tensor  # N x 1 x 128 x 128 in [0, 1]
    masks: torch.Tensor  # N x 1 x 128 x 128 binary


def load_tasks(
    data_dir: str | Path, holdout_fraction: float
) -> tuple[list[RealTask], list[RealTask]]:
    """(training tasks, held-out tasks) from every npz file in ``data_dir``."""
    if not str(data_dir):
        raise FileNotFoundError("no training data folder: pass --data-dir PATH (tasks as *.npz)")
    files = sorted(Path(data_dir).glob("*.npz"))
    if not files:
        raise FileNotFoundError(f"no training tasks (*.npz) in {data_dir}")
    train, held = [], []
    for path in files:
        with np.load(path) as f:
            images = torch.from_numpy(f["images"].astype(np.float32) / 255.0)[:, None]
            masks = torch.from_numpy(f["masks"].astype(np.float32))[:, None]
        images = F.interpolate(images, size=MODEL_SIZE, mode="bilinear", antialias=True)
        masks = masks_at_model_size(masks)
        keep = masks.sum(dim=(1, 2, 3)) > 0
        images, masks = images[keep], masks[keep]
        split = holdout_start(len(images), holdout_fraction)
        train.append(RealTask(path.stem, images[:split], masks[:split]))
        if split < len(images):
            held.append(RealTask(path.stem, images[split:], masks[split:]))
    return train, held


def sample_real_task(
    tasks: list[RealTask], n: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """n augmented images (with replacement when a task is small) of one random task."""
    task = tasks[int(torch.randint(len(tasks), (1,), generator=gen))]
    count = len(task.images)
    idx = (
        torch.randperm(count, generator=gen)[:n]
        if count >= n
        else torch.randint(count, (n,), generator=gen)
    )
    return augment(task.images[idx], task.masks[idx], gen)


def augment(
    images: torch.Tensor, masks: torch.Tensor, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Flips and 90-degree turns shared by the whole task (left/right may matter within a task);
    per image: affine, elastic warp, gamma, contrast, blur and noise."""
    if torch.rand(1, generator=gen) < 0.5:
        images, masks = images.flip(-1), masks.flip(-1)
    if torch.rand(1, generator=gen) < 0.3:
        images, masks = images.flip(-2), masks.flip(-2)
    turns = int(torch.randint(4, (1,), generator=gen)) if torch.rand(1, generator=gen) < 0.3 else 0
    images, masks = images.rot90(turns, (-2, -1)), masks.rot90(turns, (-2, -1))

    n, _, h, w = images.shape
    angle = (torch.rand(n, generator=gen) - 0.5) * (math.pi / 6)
    scale = 0.85 + 0.3 * torch.rand(n, generator=gen)
    shift = (torch.rand(n, 2, generator=gen) - 0.5) * 0.2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)
    coarse = torch.randn(n, 2, 4, 4, generator=gen) * 0.03
    grid = grid + F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False).permute(
        0, 2, 3, 1
    )
    images = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    masks = (
        F.grid_sample(masks, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        >= 0.5
    ).float()

    gamma = torch.exp((torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.8)
    images = images.clamp(0, 1) ** gamma
    contrast = 0.8 + 0.4 * torch.rand(n, 1, 1, 1, generator=gen)
    brightness = (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.2
    images = (images - 0.5) * contrast + 0.5 + brightness
    if torch.rand(1, generator=gen) < 0.3:
        images = F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    images = images + torch.randn(images.shape, generator=gen) * 0.03 * torch.rand(
        n, 1, 1, 1, generator=gen
    )
    return images.clamp(0, 1), masks


def masks_at_model_size(masks: torch.Tensor) -> torch.Tensor:
    """N x 1 x H x W binary masks -> N x 1 x 128 x 128, as the Predictor resizes them."""
    resized = F.interpolate(masks.float(), size=MODEL_SIZE, mode="bilinear", antialias=True)
    return (resized >= 0.5).float()


def holdout_start(n_images: int, holdout_fraction: float) -> int:
    """Where the held-out part of a task's images (those with a non-empty mask) starts: the
    last ``holdout_fraction`` of them, at least one; a task of 4 or fewer keeps none apart."""
    n_held = max(1, math.ceil(holdout_fraction * n_images)) if n_images > 4 else 0
    return n_images - n_held
