"""The demo datasets that ship inside the package (see ``demo_files/ATTRIBUTION.md``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .loading import load

DEMO_NAMES = ("bbbc039_nuclei", "medscribble_BTCV", "medscribble_HipXRay", "medscribble_SCD")


def demo_dataset(name: str) -> Dataset:
    """A demo task bundled with the package (images, names and ground-truth masks).

    Args:
        name: one of ``DEMO_NAMES``.

    Returns:
        The ``Dataset`` of the task's 2D images, with ``masks``: one H x W bool ground-truth
        mask per image.
    """
    if name not in DEMO_NAMES:
        raise ValueError(f"unknown demo dataset {name!r}; choose one of {list(DEMO_NAMES)}")
    path = Path(str(resources.files("multiverseg_widget") / "data" / "demo_files" / f"{name}.npz"))
    dataset = load(path)
    with np.load(path, allow_pickle=False) as f:
        dataset.masks = [m.astype(bool) for m in f["masks"]]
    return dataset
