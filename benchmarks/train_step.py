"""What a training step costs on this machine: the same fixed batches (seeded, the training
config's mix of context sizes, 128 x 128) through ``train_step``, timed one by one; prints the
median seconds per context size and the samples per second over the whole set.

CPU training speed decides how much the built-in weights can learn in a session, so recipe and
network changes that touch the step are measured here. The weights start random (or from
--init): the step's cost does not depend on them.
Usage: python benchmarks/train_step.py --data-dir TRAIN [--batches 24] [--rounds 2]
  [--init CHECKPOINT] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict

import numpy as np
import torch

from multiverseg_widget.model import MultiverSegNet
from multiverseg_widget.train.batch import sample_batch
from multiverseg_widget.train.config import TrainConfig
from multiverseg_widget.train.loop import continue_from_checkpoint, train_step
from multiverseg_widget.train.real_tasks import load_tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder of training tasks (*.npz)")
    parser.add_argument("--batches", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the same batches")
    parser.add_argument("--init", help="a checkpoint to start from (default: random weights)")
    parser.add_argument("--set", nargs="*", default=[], help="config overrides key=json_value")
    args = parser.parse_args()
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    config = TrainConfig.from_dict({**TrainConfig().to_dict(), **overrides})

    torch.manual_seed(config.seed)
    net = MultiverSegNet(**config.network_config())
    net.support_chunk = config.max_context  # as train() sets it
    if args.init:
        continue_from_checkpoint(net, args.init)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-6)  # tiny: the weights barely move
    train_tasks, _ = load_tasks(args.data_dir, config.holdout_fraction)
    gen = torch.Generator().manual_seed(config.seed)
    batches = [sample_batch(config, train_tasks, 128, gen, "cpu") for _ in range(args.batches)]

    per_size: dict[int, list[float]] = defaultdict(list)
    total = 0.0
    for round_index in range(1 + args.rounds):  # the first pass warms up, not timed
        rng = np.random.default_rng(config.seed)
        for batch in batches:
            start = time.perf_counter()
            train_step(net, optimizer, batch, config, rng)
            elapsed = time.perf_counter() - start
            if round_index:
                k = 0 if batch.support is None else batch.support.shape[1]
                per_size[k].append(elapsed)
                total += elapsed
    for k in sorted(per_size):
        print(
            f"context {k}: median {statistics.median(per_size[k]):.2f} s per step "
            f"({len(per_size[k])} steps)"
        )
    samples = args.rounds * args.batches * config.batch_size
    print(
        f"{samples / total:.2f} samples/s over {args.rounds} x {args.batches} batches "
        f"(torch threads {torch.get_num_threads()})"
    )


if __name__ == "__main__":
    main()
