"""Synthetic image folders for benchmarks/scale.py: N grayscale PNGs of bright blurred blobs on a
noisy background, generated once into a cache folder and reused while complete.

Blobs, so that a click on the brightest point gives a non-empty mask; noise, so that the files
are not trivially compressible (the reader and the digests see realistic bytes per pixel).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

VERSION = 1  # bump when the images change: a cache of another version is regenerated
MARKER = "complete.json"
CHUNK = 500  # images per generation task


def synthetic_image(seed: int, side: int) -> np.ndarray:
    """Image ``seed`` of a folder: 2 to 5 flat-topped blobs on a textured background (uint8)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    image = np.full((side, side), 40.0, dtype=np.float32)
    for _ in range(int(rng.integers(2, 6))):
        cy, cx = rng.uniform(0.15, 0.85, 2) * side
        radius = rng.uniform(0.06, 0.16) * side
        d2 = ((yy - cy) ** 2 + (xx - cx) ** 2) / radius**2
        image += rng.uniform(110, 170) * np.exp(-(d2**2))
    image += ndimage.gaussian_filter(rng.normal(0, 14, (side, side)), 1.0)
    return np.clip(image, 0, 255).astype(np.uint8)


def _write_chunk(job: tuple[str, int, int, int]) -> int:
    """Write images [start, stop) that are missing (atomically: a crash leaves no half file)."""
    folder, start, stop, side = job
    written = 0
    for i in range(start, stop):
        path = Path(folder) / f"img_{i:06d}.png"
        if path.exists():
            continue
        tmp = path.with_suffix(".tmp")
        Image.fromarray(synthetic_image(i, side)).save(tmp, format="PNG")
        os.replace(tmp, path)
        written += 1
    return written


def ensure_folder(cache: Path, count: int, side: int, workers: int = 2) -> tuple[Path, float, bool]:
    """The folder of ``count`` images of ``side`` x ``side`` under ``cache``: (folder, seconds
    spent generating, whether it was reused). Generated in parallel processes when missing."""
    folder = cache / f"blobs_{count}_{side}px"
    marker = folder / MARKER
    expected = {"version": VERSION, "count": count, "side": side}
    if marker.is_file() and json.loads(marker.read_text()) == expected:
        return folder, 0.0, True
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    jobs = [(str(folder), k, min(k + CHUNK, count), side) for k in range(0, count, CHUNK)]
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_write_chunk, jobs):
                pass
    else:
        for job in jobs:
            _write_chunk(job)
    for stray in folder.glob("*.tmp"):
        stray.unlink()
    marker.write_text(json.dumps(expected))
    return folder, time.perf_counter() - start, False


def click_point(image: np.ndarray) -> tuple[int, int]:
    """(x, y) of the brightest point of the smoothed image: inside a blob."""
    smooth = ndimage.gaussian_filter(np.asarray(image, dtype=np.float32), max(image.shape) / 40)
    y, x = np.unravel_index(int(np.argmax(smooth)), smooth.shape)
    return int(x), int(y)


def blob_mask(image: np.ndarray) -> np.ndarray:
    """A stand-in mask (the bright blobs) for when the model's mask of a click is empty."""
    return ndimage.gaussian_filter(np.asarray(image, dtype=np.float32), 1.5) > 120
