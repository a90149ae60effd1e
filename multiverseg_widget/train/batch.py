"""One training batch: tasks (synthetic or real), the context size, and the targets."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config import TrainConfig
from .real_tasks import RealTask, sample_real_task
from .synthetic import synthetic_task


@dataclass
class Batch:
    images: torch.Tensor  # B x 1 x R x R, the images to segment
    masks: torch.Tensor  # B x 1 x R x R, their ground truth
    support: torch.Tensor | None  # B x S x 2 x R x R (image, label), None without context


def sample_context_size(config: TrainConfig, gen: torch.Generator) -> int:
    """0 with probability ``no_context_fraction`` (the first image of every dataset), else
    uniform in 1..max_context."""
    if torch.rand(1, generator=gen) < config.no_context_fraction:
        return 0
    return int(torch.randint(1, config.max_context + 1, (1,), generator=gen))


def sample_batch(
    config: TrainConfig,
    tasks: list[RealTask],
    size: int,
    gen: torch.Generator,
    device: str | torch.device,
) -> Batch:
    """``batch_size`` tasks, each a target image plus ``k`` context pairs (one k per batch)."""
    k = sample_context_size(config, gen)
    images, masks = [], []
    for _ in range(config.batch_size):
        if not tasks or torch.rand(1, generator=gen) < config.synthetic_fraction:
            im, m = synthetic_task(k + 1, size, gen)
        else:
            im, m = sample_real_task(tasks, k + 1, gen)
            if size != im.shape[-1]:
                im = F.interpolate(im, size=(size, size), mode="bilinear", antialias=True)
                m = (
                    F.interpolate(m, size=(size, size), mode="bilinear", antialias=True) >= 0.5
                ).float()
        images.append(im)
        masks.append(m)
    images_t, masks_t = torch.stack(images).to(device), torch.stack(masks).to(device)
    support = torch.cat([images_t[:, 1:], masks_t[:, 1:]], dim=2) if k else None
    return Batch(images_t[:, 0], masks_t[:, 0], support)
