"""What an official weights file is: a torch file (not a web page, not cut short) in the official
layout, with exactly the official keys and shapes.

Kept apart from the downloading (``official.py``) so that the definition of "the official file"
reads in one place; the shapes come from the networks built with the official constructor
arguments on the meta device, so no copy of them has to be kept in step.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import torch

from .checkpoint import CheckpointError, state_dict_problems
from .multiverseg_net import MultiverSegNet
from .scribbleprompt_unet import ScribblePromptUNet

# The constructor arguments of the official code (multiverseg/models/sp_mvs.py builds v0 and v1
# alike; scribbleprompt/models/unet.py for ScribblePrompt v1).
OFFICIAL_NETWORKS: dict[str, tuple[type[torch.nn.Module], dict[str, Any]]] = {
    "multiverseg": (
        MultiverSegNet,
        {
            "in_channels": [5, 2],
            "encoder_blocks": [256] * 4,
            "block_kws": {"conv_kws": {"norm": "layer"}},
            "cross_relu": True,
        },
    ),
    "scribbleprompt": (
        ScribblePromptUNet,
        {"in_channels": 5, "out_channels": 1, "features": [192] * 4},
    ),
}
# How each network's file holds its state dict, as published
LAYOUTS = {
    "multiverseg": "a dict with the state dict under 'model'",
    "scribbleprompt": "a bare state dict",
}


class WeightsError(CheckpointError):
    """A weights file that is not the official one; the message says how to get the right one."""


def check_official_file(path: Path, network: str, what: str, fix: str) -> None:
    """Refuse anything but the official ``network`` file: a web page, a truncated or foreign
    file, a checkpoint in another layout or with other keys or shapes. ``what`` names the file
    in the message and ``fix`` ends it."""
    with open(path, "rb") as f:
        head = f.read(512).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head:
        raise WeightsError(
            f"{what} is a web page (HTML), not the weights: Dropbox sends one instead of the file "
            f"when a link lacks dl=1 or asks to sign in. {fix}"
        )
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for foreign and cut files
        reason = (str(err).strip().splitlines() or [""])[0][:200]
        raise WeightsError(
            f"{what} is truncated or not a PyTorch checkpoint ({type(err).__name__}: {reason}). "
            f"{fix}"
        ) from None
    wrapped = network == "multiverseg"
    state = content.get("model") if wrapped and isinstance(content, dict) else content
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise WeightsError(f"{what} is not laid out as published ({LAYOUTS[network]}). {fix}")
    problems = state_dict_problems(state, official_shapes(network))
    if problems:
        listed = "; ".join(
            f"{len(items)} {label} ({', '.join(items[:3])})" for label, items in problems.items()
        )
        raise WeightsError(f"{what} does not match the official {network} network: {listed}. {fix}")


@functools.cache
def official_shapes(network: str) -> dict[str, tuple[int, ...]]:
    """Every key and shape of the official network, built on the meta device (no memory)."""
    cls, config = OFFICIAL_NETWORKS[network]
    with torch.device("meta"):
        net = cls(**config)
    return {key: tuple(value.shape) for key, value in net.state_dict().items()}
