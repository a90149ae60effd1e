"""Segmentation tasks for evaluation: the same structure in related images, one npz file each,
and the overlap measure the protocol reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common.overlap import dice as dice  # the tasks' score, imported from here too

# What ``load_task`` reads, for ``multiverseg-widget evaluate --help`` (laid out as printed).
TASK_FILE_HELP = """\
A task file is one .npz of one structure in N related images of one size H x W:
  images     N x H x W (grey), or N x H x W x 3 (RGB) or 4 (RGBA); uint8 (0-255), or any
             other numeric type (each image rescaled between its 0.5 and 99.5 percentiles)
  masks      N x H x W, the structure's ground truth: nonzero (or True) inside it
  scribbles  optional, N x annotators x 2 x H x W: recorded positive and negative scribbles,
             which --protocol human-scribbles replays (MedScribble's)
Make one with NumPy from lists of 2D arrays of one size:
  numpy.savez_compressed("task.npz", images=numpy.stack(images), masks=numpy.stack(masks))"""


@dataclass(frozen=True, eq=False)  # eq would compare arrays elementwise
class Task:
    """One segmentation task: the same structure in related images (one npz file)."""

    name: str
    images: np.ndarray  # N x H x W (x C)
    masks: np.ndarray  # N x H x W, bool
    scribbles: np.ndarray | None = None  # N x annotators x 2 x H x W (MedScribble)
    path: str = ""


def load_task(path: str | Path) -> Task:
    """Read a task file.

    Args:
        path: an npz file with ``images`` (N x H x W, or N x H x W x C), ``masks`` (N x H x W)
            and optionally ``scribbles`` (N x annotators x 2 x H x W, MedScribble's).

    Returns:
        The ``Task``, named after the file, its masks as bool.
    """
    path = Path(path)
    with np.load(path, allow_pickle=False) as data:
        missing = {"images", "masks"} - set(data.files)
        if missing:
            raise ValueError(f"{path} lacks the key(s) {sorted(missing)}; it has {data.files}")
        images, masks = data["images"], data["masks"]
        scribbles = data["scribbles"] if "scribbles" in data.files else None
    if masks.ndim != 3 or images.shape[:3] != masks.shape:
        raise ValueError(
            f"{path}: masks must be N x H x W matching images, got images {images.shape} and "
            f"masks {masks.shape}"
        )
    if scribbles is not None and (scribbles.shape[0] != len(masks) or scribbles.ndim != 5):
        raise ValueError(f"{path}: scribbles must be N x annotators x 2 x H x W")
    return Task(path.stem, images, masks > 0, scribbles, str(path))
