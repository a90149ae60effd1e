"""Helpers shared by the session, store and crash tests: real data and folder snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from .conftest import DATA


def real_task(name: str = "bbbc039_nuclei") -> dict[str, np.ndarray]:
    """A demo task from ../shared/data: images, ground-truth masks (bool) and names."""
    with np.load(DATA / "demo" / f"{name}.npz") as f:
        return {"images": f["images"], "masks": f["masks"].astype(bool), "names": f["names"]}


def deepest_point(mask: np.ndarray) -> tuple[int, int]:
    """(x, y) of the pixel farthest from the region's border, as a user would click."""
    depth = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(np.argmax(depth), mask.shape)
    return int(x), int(y)


def tight_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def folder_snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its bytes: to show that nothing was written."""
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run torch on one thread: on this shared 2-core machine two spinning OpenMP threads
    competing with other jobs make a small forward pass up to 50 times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
