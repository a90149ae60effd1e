"""``load_model``: any supported checkpoint file -> a ready Predictor."""

from __future__ import annotations

from pathlib import Path

import torch

from .checkpoint import (
    CheckpointError,
    build_multiverseg,
    build_scribbleprompt,
    is_own_checkpoint,
    read_checkpoint_file,
)
from .predictor import Predictor

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "weights" / "default.pt"
OFFICIAL_MIN_CONTEXT = 1


def load_model(
    path: str | Path | None = None,
    scribbleprompt: str | Path | None = None,
    device: str | torch.device | None = None,
    max_context: int | None = None,
    precision: str = "fp32",
) -> Predictor:
    """Load the built-in weights (no path), an official MultiverSeg file (optionally with the
    official ScribblePrompt file for the no-context case) or a checkpoint saved by this project.
    """
    if path is None:
        if not DEFAULT_CHECKPOINT.is_file():
            raise FileNotFoundError(
                f"the built-in default weights are missing ({DEFAULT_CHECKPOINT}); reinstall "
                "multiverseg-widget, or pass the path of a checkpoint to load_model(path)"
            )
        path = DEFAULT_CHECKPOINT
    path = Path(path)
    content = read_checkpoint_file(path)
    metadata: dict = {"source": str(path)}
    min_context = OFFICIAL_MIN_CONTEXT
    sp_net = None
    if is_own_checkpoint(content):
        mvs_net = build_multiverseg(
            content["multiverseg"]["state_dict"], path, content["multiverseg"]["config"]
        )
        if content.get("scribbleprompt"):
            part = content["scribbleprompt"]
            sp_net = build_scribbleprompt(part["state_dict"], path, part["config"])
        min_context = int(content.get("min_context", OFFICIAL_MIN_CONTEXT))
        metadata.update(content.get("metadata", {}))
    elif isinstance(content, dict) and isinstance(content.get("model"), dict):
        mvs_net = build_multiverseg(content["model"], path)
    elif isinstance(content, dict) and any(str(k).startswith("enc_blocks.") for k in content):
        mvs_net = build_multiverseg(content, path)
    elif isinstance(content, dict) and any(str(k).startswith("downs.") for k in content):
        raise CheckpointError(
            f"{path} is a ScribblePrompt UNet file; pass it as load_model(multiverseg_file, "
            "scribbleprompt=this_file)"
        )
    else:
        raise CheckpointError(
            f"{path} is a torch file but not a MultiverSeg checkpoint: expected the official "
            "file (a dict with the state dict under 'model'), a bare MultiverSeg state dict, or "
            "a checkpoint written by multiverseg_widget"
        )
    if scribbleprompt is not None:
        sp_path = Path(scribbleprompt)
        sp_content = read_checkpoint_file(sp_path)
        if isinstance(sp_content, dict) and any(
            str(k).startswith("enc_blocks.") for k in sp_content
        ):
            raise CheckpointError(
                f"{sp_path} is a MultiverSeg state dict; pass it as the first argument of "
                "load_model, and the ScribblePrompt file as scribbleprompt="
            )
        sp_net = build_scribbleprompt(sp_content, sp_path)
        metadata["scribbleprompt_source"] = str(sp_path)
    return Predictor(
        mvs_net,
        sp_net,
        min_context=min_context,
        max_context=max_context,
        device=device,
        precision=precision,
        metadata=metadata,
    )
