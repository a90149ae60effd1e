"""Command line of the training pipeline (also reached as ``multiverseg-widget train``)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from ..model.checkpoint import read_checkpoint_file
from .config import TrainConfig
from .loop import train

DESCRIPTION = (  # the command's --help, for both ways of reaching it
    "Train the built-in network's weights on a folder of task files (.npz with images and "
    "masks, as multiverseg-widget evaluate reads them). Checkpoints and history go to "
    "--run-dir; run again with the same --run-dir to resume from its last.pt. Training stops "
    "cleanly after --minutes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="JSON file of TrainConfig settings (defaults otherwise)")
    parser.add_argument("--run-dir", default="runs/default", help="checkpoints and history go here")
    parser.add_argument("--minutes", type=float, required=True, help="stop cleanly after this long")
    parser.add_argument(
        "--init",
        help="without a last.pt: start from this checkpoint's weights, progress and "
        "recorded settings, e.g. multiverseg_widget/weights/default.pt",
    )
    parser.add_argument(
        "--data-dir",
        help="folder of training tasks (*.npz: images, masks); a resumed run keeps its own",
    )
    parser.add_argument("--max-steps", type=int, help="also stop after this many more steps")
    parser.add_argument(
        "--device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="cuda or cpu (default: cuda where PyTorch sees a GPU)",
    )
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=JSON",
        help="override settings, e.g. --set batch_size=16 data_dir='\"path\"'",
    )


def base_settings(
    config_file: str | None, run_dir: str, init: str | None = None
) -> dict[str, Any]:
    """The settings that ``--set`` overrides: the ``--config`` file, else those of the run being
    resumed (so that resuming changes only what is asked), else the recipe recorded in the
    ``--init`` checkpoint (so that continuing the shipped weights continues their recipe, not
    the defaults' higher learning rate), else the defaults."""
    if config_file:
        return TrainConfig.from_file(config_file).to_dict()
    last = Path(run_dir) / "last.pt"
    if last.is_file():
        saved = torch.load(last, map_location="cpu", weights_only=True)["config"]
        return TrainConfig.from_dict(saved).to_dict()
    if init:
        recorded = read_checkpoint_file(init).get("metadata", {}).get("train_config")
        if recorded:
            return TrainConfig.from_dict(recorded).to_dict()
    return TrainConfig().to_dict()


def run(args: argparse.Namespace) -> int:
    values = base_settings(args.config, args.run_dir, args.init)
    if args.data_dir:
        values["data_dir"] = args.data_dir
    for item in args.set:
        key, _, value = item.partition("=")
        values[key] = json.loads(value)
    config = TrainConfig.from_dict(values)
    state = train(config, args.run_dir, args.minutes, args.device, args.max_steps, args.init)
    print(json.dumps(state))
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="multiverseg-widget train", description=DESCRIPTION)
    add_arguments(parser)
    run(parser.parse_args(argv))
