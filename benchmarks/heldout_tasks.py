"""Write the held-back part of every training task as its own task file, at full resolution, so
that `multiverseg-widget evaluate` can measure the built-in weights on images of the training
families it never trained on (training keeps the last ``holdout_fraction`` of each file apart:
``train/real_tasks.py``). Tasks with fewer than 2 held-back images are left out: with one, a
growing context set never holds anything.

    python benchmarks/heldout_tasks.py --data-dir TRAIN --out DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from multiverseg_widget.train.config import TrainConfig
from multiverseg_widget.train.real_tasks import holdout_start, masks_at_model_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="the training tasks, *.npz")
    parser.add_argument("--out", type=Path, required=True, help="folder for the held-back tasks")
    parser.add_argument("--holdout-fraction", type=float, default=TrainConfig().holdout_fraction)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.data_dir.glob("*.npz")):
        with np.load(path) as task:
            images, masks, names = task["images"], task["masks"], task["names"]
        # the same images as training's split: non-empty at the model's size, then the last part
        small = masks_at_model_size(torch.from_numpy(masks.astype(np.float32))[:, None])
        kept = np.flatnonzero(small.sum(dim=(1, 2, 3)).numpy() > 0)
        held = kept[holdout_start(len(kept), args.holdout_fraction) :]
        if len(held) < 2:
            print(f"{path.stem}: {len(held)} of {len(kept)} images held back: left out")
            continue
        target = args.out / path.name
        np.savez_compressed(target, images=images[held], masks=masks[held], names=names[held])
        print(f"{path.stem}: {len(held)} held-back images -> {target}")


if __name__ == "__main__":
    main()
