"""Training settings: one dataclass, read from a JSON file and overridable on the command line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass
class TrainConfig:
    """Everything that decides a training run; stored in every checkpoint it writes."""

    encoder_blocks: list[int] = field(default_factory=lambda: [32, 32, 32, 32])
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    total_steps: int = 200_000  # cosine schedule length; stopping earlier is fine
    # Resolution curriculum: train at 64 x 64 until this many samples, then at 128 x 128.
    low_res_until: int = 20_000
    synthetic_fraction: float = 0.5
    max_context: int = 8
    no_context_fraction: float = 0.3
    # Of the samples with context, the share that starts from the context alone (no prompt),
    # then gets corrective clicks: the first step of every image after the first.
    context_only_fraction: float = 0.5
    # Corrective rounds after the first interaction, each with the previous logits fed back.
    corrective_rounds: int = 2
    click_loss_weight: float = 4.0  # extra BCE weight in a small disk around every click
    # The chance that a corrective round is a negative click on the largest false-positive
    # component (when there is one), and the extra BCE weight on that whole component after it.
    false_positive_click_fraction: float = 0.0
    false_positive_loss_weight: float = 0.0
    # The chance that a corrective round is a stray negative scribble on background far from
    # the structure and the prediction instead, so the network learns it changes nothing (arm H
    # of the model card: at equal compute, such scribbles harmed 8% of held-out episodes
    # against 25-28% without; 17-22% 316 steps later).
    stray_scribble_fraction: float = 0.25
    # The share of samples with context whose first round gets the context guide's logits as
    # the previous prediction (``forest_guess.py``), so the network learns to build on them.
    forest_guess_fraction: float = 0.0
    # Autocast: "auto" is bf16 on a GPU that computes it and fp32 on the CPU (there, even with
    # AVX512-BF16, a training step in bf16 measured no faster: 0.99x over 20 batches); or
    # "bf16" or "fp32" anywhere.
    precision: str = "auto"
    # Exponential moving average of the weights (0: none), validated beside the trained ones.
    ema_decay: float = 0.0
    validate_every: int = 150  # steps
    checkpoint_every_minutes: float = 10.0
    seed: int = 0
    data_dir: str = ""  # folder of training tasks (*.npz): --data-dir; kept in the run
    holdout_fraction: float = 0.1  # last part of each train file, used for validation only

    def network_config(self) -> dict[str, Any]:
        return {
            "in_channels": [5, 2],
            "encoder_blocks": list(self.encoder_blocks),
            "block_kws": {"conv_kws": {"norm": "layer"}},
            "cross_relu": True,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(unknown)}")
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))
