"""The demo datasets that ship inside the package (see ``demo_files/ATTRIBUTION.md``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from scipy import ndimage

from .dataset import Dataset
from .loading import load

DEMO_NAMES = ("bbbc039_nuclei", "medscribble_BTCV", "medscribble_HipXRay", "medscribble_SCD")
# femoral_head: the disk that stands for the head is sought within HEAD_DEPTH pixels of the
# femur's top (at the demo's 256 x 256, the head's extent), and widened by HEAD_SCALE.
HEAD_DEPTH = 45
HEAD_SCALE = 1.2


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


def femoral_head(femur: np.ndarray) -> np.ndarray:
    """A second structure for the demo's hip X-rays, whose masks label the femur only, so that
    the notebooks can show one image with two structures and a context set that says which is
    meant: the femoral head, as the femur within the largest disk that fits in it near its top.
    A stand-in drawn from the femur's shape, not an expert's label.

    Args:
        femur: H x W bool, a femur mask of ``demo_dataset("medscribble_HipXRay")``.

    Returns:
        H x W bool: the femoral head, inside ``femur``.
    """
    femur = np.asarray(femur, dtype=bool)
    if femur.ndim != 2 or not femur.any():
        raise ValueError(f"femoral_head needs a 2D mask holding a femur, got shape {femur.shape}")
    depth = ndimage.distance_transform_edt(femur)
    depth[np.flatnonzero(femur.any(axis=1))[0] + HEAD_DEPTH :] = 0
    cy, cx = np.unravel_index(depth.argmax(), femur.shape)
    yy, xx = np.ogrid[: femur.shape[0], : femur.shape[1]]
    head: np.ndarray = femur & ((yy - cy) ** 2 + (xx - cx) ** 2 <= (HEAD_SCALE * depth.max()) ** 2)
    return head
