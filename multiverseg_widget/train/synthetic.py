"""Synthetic segmentation tasks, generated on the fly so the network learns in-context
segmentation in general rather than a handful of datasets.

A task is a recipe: a few structure classes (blobs, smooth regions, thin curves, branching trees,
cell membranes, cells), each with its own intensity and texture, drawn into every image of the
task at new random places. One class is the target in all of the task's images, so a single
image is ambiguous and the context says which structure is meant. Images then get a smooth
background, blur, a bias field and noise. Everything is batched torch, on any device.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

Device = str | torch.device
KINDS = ("blob", "region", "curve", "tree", "membrane", "cells")


def smooth_noise(
    n: int, size: int, cells: int, gen: torch.Generator, device: Device
) -> torch.Tensor:
    """n x size x size smooth random field with about ``cells`` bumps per side, unit-ish std."""
    coarse = torch.randn(n, 1, cells, cells, generator=gen, device=device)
    return F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)[:, 0]


def _uniform(
    shape: tuple[int, ...], low: float, high: float, gen: torch.Generator, device: Device
) -> torch.Tensor:
    return low + (high - low) * torch.rand(shape, generator=gen, device=device)


def _grid(size: int, device: Device) -> tuple[torch.Tensor, torch.Tensor]:
    coords = (torch.arange(size, device=device) + 0.5) / size
    y, x = torch.meshgrid(coords, coords, indexing="ij")  # in (0, 1)
    return y, x


def blobs(n: int, size: int, gen: torch.Generator, device: Device) -> torch.Tensor:
    """Irregular star-convex blobs (nuclei, organs): 1-6 per image."""
    count = int(torch.randint(1, 7, (1,), generator=gen))
    y, x = _grid(size, device)
    cy, cx = _uniform((2, n, count, 1, 1), 0.1, 0.9, gen, device)
    radius = _uniform((n, count, 1, 1), 0.04, 0.22 / math.sqrt(count), gen, device)
    dy, dx = y - cy, x - cx
    angle = torch.atan2(dy, dx)
    wobble = torch.zeros_like(angle)
    for harmonic in range(2, 5):
        amp = _uniform((n, count, 1, 1), 0, 0.25 / harmonic, gen, device)
        phase = _uniform((n, count, 1, 1), 0, 2 * math.pi, gen, device)
        wobble = wobble + amp * torch.cos(harmonic * angle + phase)
    stretch = _uniform((n, count, 1, 1), 0.6, 1.0, gen, device)
    dist = torch.sqrt(dx**2 + (dy * stretch) ** 2)
    return (dist < radius * (1 + wobble)).any(dim=1)


def regions(n: int, size: int, gen: torch.Generator, device: Device) -> torch.Tensor:
    """Smooth irregular regions (tissue, organ-like areas): a thresholded smooth field."""
    cells = int(torch.randint(2, 7, (1,), generator=gen))
    field = smooth_noise(n, size, cells, gen, device)
    level = float(_uniform((1,), 0.5, 1.2, gen, "cpu"))
    return field > level


def _draw_points(points: torch.Tensor, size: int, width: int) -> torch.Tensor:
    """Rasterise n x P x 2 points in (0, 1) as n x size x size masks, dilated to ``width``."""
    n = points.shape[0]
    idx = (points.clamp(0, 1 - 1e-6) * size).long()
    flat = torch.zeros(n, size * size, device=points.device)
    flat.scatter_(1, idx[..., 0] * size + idx[..., 1], 1.0)
    canvas = flat.view(n, 1, size, size)
    if width > 1:
        canvas = F.max_pool2d(canvas, 2 * (width // 2) + 1, stride=1, padding=width // 2)
    return canvas[:, 0] > 0


def _random_paths(
    n: int,
    paths: int,
    steps: int,
    step: float,
    gen: torch.Generator,
    device: Device,
    start: torch.Tensor | None = None,
) -> torch.Tensor:
    """Smooth random walks: n x paths x steps x 2 points (y, x), turning smoothly."""
    if start is None:
        start = _uniform((n, paths, 1, 2), 0.05, 0.95, gen, device)
    heading = _uniform((n, paths, 1), 0, 2 * math.pi, gen, device)
    turn_rate = torch.randn(n, paths, steps, generator=gen, device=device) * 0.15
    turn = F.avg_pool1d(turn_rate.view(n * paths, 1, steps), 9, 1, 4).view(n, paths, steps)
    angle = heading + torch.cumsum(turn, dim=-1)
    moves = torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1) * step
    return start + torch.cumsum(moves, dim=2)


def curves(n: int, size: int, gen: torch.Generator, device: Device) -> torch.Tensor:
    """Thin smooth curves (vessels, fibres): 1-4 per image, 1-3 pixels wide."""
    count = int(torch.randint(1, 5, (1,), generator=gen))
    width = int(torch.randint(1, 4, (1,), generator=gen))
    steps = 2 * size
    pts = _random_paths(n, count, steps, 0.5 / size, gen, device)
    return _draw_points(pts.flatten(1, 2), size, width)


def trees(n: int, size: int, gen: torch.Generator, device: Device) -> torch.Tensor:
    """Branching vessel trees: a trunk with thinner branches leaving from random points on it."""
    trunk_width = int(torch.randint(2, 5, (1,), generator=gen))
    steps = 2 * size
    trunk = _random_paths(n, 1, steps, 0.5 / size, gen, device)
    branches = int(torch.randint(2, 7, (1,), generator=gen))
    at = torch.randint(0, steps, (n, branches), generator=gen, device=device)
    start = torch.gather(trunk[:, 0], 1, at[..., None].expand(-1, -1, 2))[:, :, None]
    twigs = _random_paths(n, branches, steps // 2, 0.5 / size, gen, device, start=start)
    mask = _draw_points(trunk.flatten(1, 2), size, trunk_width)
    return mask | _draw_points(twigs.flatten(1, 2), size, max(1, trunk_width - 1))


def _voronoi(
    n: int, size: int, gen: torch.Generator, device: Device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances to the nearest and second-nearest of 8-40 random seeds, and the nearest index."""
    seeds = int(torch.randint(8, 41, (1,), generator=gen))
    y, x = _grid(size, device)
    pts = torch.rand(n, seeds, 2, generator=gen, device=device)
    d = (y.flatten()[None, None] - pts[..., 0:1]) ** 2 + (
        x.flatten()[None, None] - pts[..., 1:2]
    ) ** 2
    two = torch.topk(d, 2, dim=1, largest=False)
    gap = (two.values[:, 1].sqrt() - two.values[:, 0].sqrt()).view(n, size, size)
    return gap, two.indices[:, 0].view(n, size, size)


def membranes(n: int, size: int, gen: torch.Generator, device: Device) -> torch.Tensor:
    """Cell boundaries (EM membranes): the thin band where two Voronoi cells meet."""
    gap, _ = _voronoi(n, size, gen, device)
    width = float(_uniform((1,), 1.0, 3.0, gen, "cpu")) / size
    return gap < width


def cells(n: int, size: int, gen: torch.Generator, device: Device) -> torch.Tensor:
    """Some Voronoi cells, shrunk away from their borders (touching cells, cytoplasm)."""
    gap, nearest = _voronoi(n, size, gen, device)
    chosen = (nearest % 3) == 0
    return chosen & (gap > 2.0 / size)


DRAW = {
    "blob": blobs,
    "region": regions,
    "curve": curves,
    "tree": trees,
    "membrane": membranes,
    "cells": cells,
}


MIN_TARGET_PIXELS = 12
MIN_TARGET_CONTRAST = 0.2  # |target mean - background mean|, so the target is visible


def synthetic_task(
    n: int, size: int, gen: torch.Generator, device: Device = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """n images of one synthetic task: (n x 1 x size x size images in [0, 1], binary masks).

    Every image holds at least a few pixels of the target structure.
    """
    while True:
        image, target = _draw_task(n, size, gen, device)
        if (target.sum(dim=(1, 2, 3)) >= MIN_TARGET_PIXELS).all():
            return image, target


def _draw_task(
    n: int, size: int, gen: torch.Generator, device: Device
) -> tuple[torch.Tensor, torch.Tensor]:
    n_classes = int(torch.randint(2, 5, (1,), generator=gen))
    order = torch.randperm(len(KINDS), generator=gen)[:n_classes].tolist()
    kinds = [KINDS[i] for i in order]
    means = torch.rand(n_classes + 1, generator=gen).tolist()
    while abs(means[1] - means[0]) < MIN_TARGET_CONTRAST:
        means[1] = float(torch.rand(1, generator=gen))
    textures = (_uniform((n_classes + 1,), 0.0, 0.15, gen, "cpu")).tolist()
    texture_cells = torch.randint(4, 33, (n_classes + 1,), generator=gen).tolist()

    image = means[0] + textures[0] * smooth_noise(n, size, texture_cells[0], gen, device)
    image = image + 0.15 * smooth_noise(n, size, 3, gen, device)
    # The target (class 0) is drawn first, so other classes may occlude parts of it.
    target = DRAW[kinds[0]](n, size, gen, device)
    for k, kind in enumerate(kinds):
        mask = target if k == 0 else DRAW[kind](n, size, gen, device)
        if k > 0:
            target = target & ~mask
        value = means[k + 1] + textures[k + 1] * smooth_noise(
            n, size, texture_cells[k + 1], gen, device
        )
        image = torch.where(mask, value, image)

    image = image[:, None]
    sigma = float(_uniform((1,), 0.0, 1.5, gen, "cpu"))
    if sigma > 0.3:
        image = _blur(image, sigma)
    bias = 1 + 0.3 * smooth_noise(n, size, 2, gen, device)[:, None]
    image = image * bias + float(_uniform((1,), 0, 0.08, gen, "cpu")) * torch.randn(
        image.shape, generator=gen, device=device
    )
    lo = image.amin(dim=(1, 2, 3), keepdim=True)
    hi = image.amax(dim=(1, 2, 3), keepdim=True)
    image = (image - lo) / (hi - lo).clamp_min(1e-6)
    return image, target[:, None].float()


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), k.view(1, 1, -1, 1))
