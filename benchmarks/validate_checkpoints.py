"""The training validation (held-out training images and fixed synthetic tasks) of checkpoints
written at any time, with today's metrics: a run's history.jsonl holds only the metrics its code
had, so two runs compare at equal compute by validating their checkpoints here.

Each argument is a loadable checkpoint (default.pt, best.pt) or a run's last.pt, whose trained
weights and, when the run kept one, weight average are both validated.
--guided: the context episodes start from the context guide's logits, as the Predictor does;
--adapted: they use the network adapted to their context set, as the Predictor does.
Usage: python benchmarks/validate_checkpoints.py --data-dir TRAIN [--guided] [--adapted]
  CHECKPOINT [...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from multiverseg_widget.model import MultiverSegNet, load_model
from multiverseg_widget.train.config import TrainConfig
from multiverseg_widget.train.real_tasks import load_tasks
from multiverseg_widget.train.validate import PROBES, validate

COLUMNS = ("click1", "click3", "context", "context_click1", "score", *PROBES)


def networks(path: Path) -> list[tuple[str, MultiverSegNet, int]]:
    """(label, network, training samples) of each set of weights the file holds."""
    content = torch.load(path, map_location="cpu", weights_only=True)
    if "optimizer" not in content:  # a loadable checkpoint
        model = load_model(path, precision="fp32")
        return [(str(path), model.multiverseg, model.metadata["samples"])]
    config = TrainConfig.from_dict(content["config"])
    found = []
    for key, label in (("model", "trained"), ("weight_average", "average")):
        if key in content:
            net = MultiverSegNet(**config.network_config())
            net.load_state_dict(content[key])
            found.append((f"{path} ({label})", net, content["state"]["samples"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="the training tasks (*.npz)")
    parser.add_argument("--holdout-fraction", type=float, default=TrainConfig.holdout_fraction)
    parser.add_argument("--guided", action="store_true", help="start from the context guide")
    parser.add_argument("--adapted", action="store_true", help="adapt to each context set")
    parser.add_argument("checkpoints", type=Path, nargs="+")
    args = parser.parse_args()
    _, held = load_tasks(args.data_dir, args.holdout_fraction)
    print(f"{'weights':<60} {'samples':>8}" + "".join(f"{c:>15}" for c in COLUMNS))
    for path in args.checkpoints:
        for label, net, samples in networks(path):
            metrics = validate(net, held, "cpu", guided=args.guided, adapted=args.adapted)
            print(f"{label:<60} {samples:>8}" + "".join(f"{metrics[c]:>15.3f}" for c in COLUMNS))


if __name__ == "__main__":
    main()
