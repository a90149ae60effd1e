"""An exponential moving average of the network's weights, kept beside the trained weights.

Small batches on the CPU make single steps noisy; the average smooths that noise out. The loop
validates both sets of weights at every validation, so the two are compared at equal compute
in the same run, and ``best.pt`` keeps whichever scored higher.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """``decay`` near 1: the average spans about ``1 / (1 - decay)`` recent steps."""

    def __init__(self, net: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema_decay must lie between 0 and 1 (exclusive), not {decay}")
        self.decay = decay
        self.averaged = {k: v.detach().clone() for k, v in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: nn.Module) -> None:
        """Move the average towards the current weights (integer buffers are copied)."""
        for name, value in net.state_dict().items():
            if value.is_floating_point():
                self.averaged[name].lerp_(value, 1.0 - self.decay)
            else:
                self.averaged[name].copy_(value)

    @contextmanager
    def applied(self, net: nn.Module) -> Iterator[None]:
        """Run the block with the averaged weights in ``net``; the trained ones come back after."""
        trained = {k: v.detach().clone() for k, v in net.state_dict().items()}
        net.load_state_dict(self.averaged)
        try:
            yield
        finally:
            net.load_state_dict(trained)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.averaged

    def load_state_dict(self, averaged: dict[str, torch.Tensor]) -> None:
        missing = set(self.averaged) ^ set(averaged)
        if missing:
            raise ValueError(f"the saved weight average does not match the network: {missing}")
        self.averaged = {k: v.clone() for k, v in averaged.items()}
