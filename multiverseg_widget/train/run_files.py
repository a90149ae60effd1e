"""The run directory's files: ``last.pt`` (weights, optimizer and RNG state: resume from
here), ``best.pt`` (the best validated weights, in the loadable checkpoint format) and
``history.jsonl`` (one line of validation metrics per validation, the learning curve); and the
training state they record."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import torch

from ..common.logs import package_logger
from ..model.checkpoint import (
    checkpoint_kind,
    load_into,
    read_checkpoint_file,
    save_checkpoint,
    write_torch_file,
)
from ..model.multiverseg_net import MultiverSegNet
from .config import TrainConfig
from .real_tasks import RealTask
from .validate import validate
from .weight_average import WeightAverage

log = package_logger(__name__)


class TrainState(TypedDict):
    """How far a run has come; ``last.pt`` keeps it, ``best.pt`` records it."""

    step: int
    samples: int
    seconds: float  # of training, over every resumed part
    best_score: float  # the best validation score so far (-1 before the first)


def validate_and_keep_best(
    net: MultiverSegNet,
    average: WeightAverage | None,
    held_tasks: list[RealTask],
    config: TrainConfig,
    state: TrainState,
    run_dir: Path,
    device: str,
) -> None:
    """Validate the trained weights (and their average, under ``"ema"``), append the record to
    the learning curve, and write ``best.pt`` when either beats the best score so far."""
    metrics = validate(net, held_tasks, device)
    record: dict[str, Any] = {  # the metrics, and the averaged weights' under "ema"
        **metrics,
        "step": state["step"],
        "samples": state["samples"],
        "seconds": round(state["seconds"]),
    }
    weights: contextlib.AbstractContextManager[None]
    chosen, score, weights = "trained", metrics["score"], contextlib.nullcontext()
    if average is not None:
        with average.applied(net):
            record["ema"] = validate(net, held_tasks, device)
        if record["ema"]["score"] > score:
            chosen, score, weights = "ema", record["ema"]["score"], average.applied(net)
    with open(run_dir / "history.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")
    log.info("validation %s", json.dumps(record))
    if score > state["best_score"]:
        state["best_score"] = score
        with weights:
            save_best(net, config, state, {**record, "weights": chosen}, run_dir / "best.pt")


def continue_from_checkpoint(net: MultiverSegNet, path: Path) -> TrainState:
    """Load a best.pt / default.pt into ``net``; return the training state it records."""
    content = read_checkpoint_file(path)
    if checkpoint_kind(content) != "own" or "steps" not in content["metadata"]:
        raise ValueError(f"{path} is not a checkpoint written by this training pipeline")
    if content["multiverseg"]["config"] != net.config:
        raise ValueError(f"{path} holds a network of another shape; set encoder_blocks to match")
    load_into(net, content["multiverseg"]["state_dict"], path)
    meta = content["metadata"]
    return {
        "step": meta["steps"],
        "samples": meta["samples"],
        "seconds": float(meta["train_seconds"]),
        "best_score": meta["validation"]["score"],
    }


def save_last(
    net: MultiverSegNet,
    optimizer: torch.optim.Optimizer,
    average: WeightAverage | None,
    config: TrainConfig,
    state: TrainState,
    gen: torch.Generator,
    rng: np.random.Generator,
    path: Path,
) -> None:
    write_torch_file(
        path,
        {
            "model": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "config": config.to_dict(),
            "state": state,
            "torch_rng": gen.get_state(),
            "numpy_seed": int(rng.integers(2**62)),
            **({} if average is None else {"weight_average": average.state_dict()}),
        },
    )


def save_best(
    net: MultiverSegNet, config: TrainConfig, state: TrainState, record: dict[str, Any], path: Path
) -> None:
    metadata = {
        "train_config": config.to_dict(),
        "steps": state["step"],
        "samples": state["samples"],
        "train_seconds": round(state["seconds"]),
        "validation": record,
    }
    save_checkpoint(path, net, metadata=metadata)
