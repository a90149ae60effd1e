"""How much reduced precision changes the predicted masks, and whether it is faster.

For each eval task: predict every image with a few center clicks and 0 or 4 ground-truth context
images, in fp32 and in each reduced precision; print the Dice between the fp32 and the reduced
masks and the median time per predict. Runs on CUDA when available (bf16 and fp16), else on the
CPU (bf16 only: the CPU has no fast fp16 convolutions).
Usage: python benchmarks/precision.py --eval-dir PATH [--checkpoint PATH | --official-size]
  [--device cuda]   (--official-size: the authors' network size with random weights: the Dice
  then measures numerical agreement only, for machines that cannot download the weights)
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from eval_data import add_eval_dir, eval_files
from session_step import official_size

from multiverseg_widget.common.overlap import dice
from multiverseg_widget.evaluation.tasks import load_task
from multiverseg_widget.evaluation.users import CenterClickUser
from multiverseg_widget.model import load_model


def masks_and_times(model, task, context_size: int) -> tuple[list[np.ndarray], list[float]]:
    user, rng = CenterClickUser(), np.random.default_rng(0)
    masks, times = [], []
    for i in range(context_size, len(task.images)):
        context = [(task.images[j], task.masks[j]) for j in range(context_size)]
        prompts = user.first(task.masks[i], rng)
        model.predict(task.images[i], prompts, context=context)  # warm-up, context cached
        start = time.perf_counter()
        pred = model.predict(task.images[i], prompts, context=context)
        times.append(time.perf_counter() - start)
        masks.append(pred.mask)
    return masks, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--official-size", action="store_true", help="official v1 nets, random")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    add_eval_dir(parser)
    args = parser.parse_args()
    files = eval_files(parser, args.eval_dir)
    precisions = ["bf16", "fp16"] if args.device == "cuda" else ["bf16"]
    if args.official_size:
        models = {p: official_size(args.device, p) for p in ["fp32", *precisions]}
    else:
        models = {p: load_model(args.checkpoint, device=args.device, precision=p)
                  for p in ["fp32", *precisions]}  # fmt: skip
    print(f"device {args.device}; Dice of reduced-precision masks against fp32, median ms")
    print(f"{'task':<28}{'context':>8}{'fp32 ms':>9}" + "".join(f"{p + ' Dice':>11}{p + ' ms':>9}"
                                                           for p in precisions))  # fmt: skip
    for path in files:
        task = load_task(path)
        for context_size in (0, 4):
            if len(task.images) <= context_size:
                continue
            reference, ref_times = masks_and_times(models["fp32"], task, context_size)
            row = f"{task.name:<28}{context_size:>8}{1e3 * statistics.median(ref_times):>9.1f}"
            for p in precisions:
                masks, times = masks_and_times(models[p], task, context_size)
                agreement = np.mean([dice(a, b) for a, b in zip(masks, reference)])
                row += f"{agreement:>11.4f}{1e3 * statistics.median(times):>9.1f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
