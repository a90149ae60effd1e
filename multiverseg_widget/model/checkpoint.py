"""Loading and saving network weights: the official files as published, and this project's own
single-file format (weights + config + metadata).

Everything loads with ``torch.load(weights_only=True)``: a checkpoint never runs code. Each
failure names the file and says what is wrong and how to fix it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..common.atomic import atomic_write
from .multiverseg_net import MultiverSegNet
from .scribbleprompt_unet import ScribblePromptUNet

FORMAT_NAME = "multiverseg-widget"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used, with the reason and a fix in its message."""


def read_checkpoint_file(path: str | Path) -> Any:
    """torch.load(weights_only=True) with errors that say what kind of file this is."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint not found: {path} (check the path; load_model('official') downloads "
            "the authors' weights)"
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for foreign files; all mean the same here
        if "Weights only load failed" in str(err):
            raise CheckpointError(
                f"{path} needs pickled Python code to load, which is refused for safety "
                "(weights_only=True). Re-save only the tensors, e.g. "
                "torch.save(model.state_dict(), path)."
            ) from None
        raise CheckpointError(
            f"{path} is not a PyTorch checkpoint or is truncated ({type(err).__name__}: {err})"
        ) from None


def checkpoint_kind(content: Any) -> str | None:
    """What a loaded file holds: "own" (this project's format), "official-multiverseg" (a dict
    with the state dict under "model"), "multiverseg" / "scribbleprompt" (bare state dicts)."""
    if not isinstance(content, dict):
        return None
    if content.get("format") == FORMAT_NAME:
        return "own"
    if isinstance(content.get("model"), dict):
        return "official-multiverseg"
    keys = [str(k) for k in content]
    if any(k.startswith("enc_blocks.") for k in keys):
        return "multiverseg"
    if any(k.startswith("downs.") for k in keys):
        return "scribbleprompt"
    return None


def _block_count(state_dict: dict[str, torch.Tensor], prefix: str) -> int:
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.")
    indices = {int(m.group(1)) for key in state_dict if (m := pattern.match(key))}
    return max(indices) + 1 if indices else 0


def _shape(state_dict: dict[str, torch.Tensor], key: str, path: Path, dim: int) -> int:
    if key not in state_dict:
        raise CheckpointError(f"{path}: missing key {key!r}; is this the right network's file?")
    return int(state_dict[key].shape[dim])


def multiverseg_config_from_state_dict(
    state_dict: dict[str, torch.Tensor], path: Path
) -> dict[str, Any]:
    """Read the constructor arguments off the tensor shapes, so v0, v1 and smaller nets all load."""
    n_enc, n_dec = _block_count(state_dict, "enc_blocks"), _block_count(state_dict, "dec_blocks")
    if n_enc == 0:
        raise CheckpointError(
            f"{path}: no 'enc_blocks.*' keys; this is not a MultiverSeg state dict"
        )
    weight = "{}.{}.cross.cross_conv.weight"
    encoder = [_shape(state_dict, weight.format("enc_blocks", i), path, 0) for i in range(n_enc)]
    decoder = [_shape(state_dict, weight.format("dec_blocks", i), path, 0) for i in range(n_dec)]
    in_total = _shape(state_dict, weight.format("enc_blocks", 0), path, 1)
    norm = "layer" if "enc_blocks.0.target.vmapped.norml.weight" in state_dict else None
    return {
        "in_channels": [in_total - 2, 2],
        "encoder_blocks": encoder,
        "decoder_blocks": decoder,
        "block_kws": {"conv_kws": {"norm": norm}},
        "cross_relu": True,
        "out_channels": _shape(state_dict, "out_conv.conv.weight", path, 0),
    }


def scribbleprompt_config_from_state_dict(
    state_dict: dict[str, torch.Tensor], path: Path
) -> dict[str, Any]:
    n_down = _block_count(state_dict, "downs")
    if n_down == 0:
        raise CheckpointError(
            f"{path}: no 'downs.*' keys; this is not a ScribblePrompt UNet state dict"
        )
    return {
        "in_channels": _shape(state_dict, "downs.0.conv.0.weight", path, 1),
        "out_channels": _shape(state_dict, "final_conv.conv.0.weight", path, 0),
        "features": [
            _shape(state_dict, f"downs.{i}.conv.0.weight", path, 0) for i in range(n_down)
        ],
    }


def load_into(net: nn.Module, state_dict: dict[str, Any], path: Path) -> nn.Module:
    """load_state_dict(strict=True), after listing every missing/unexpected key and wrong shape."""
    if not isinstance(state_dict, dict) or not all(torch.is_tensor(v) for v in state_dict.values()):
        raise CheckpointError(f"{path}: expected a state dict (a dict of tensors)")
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    problems = state_dict_problems(state_dict, expected)
    if problems:
        raise CheckpointError(
            f"{path} does not fit {type(net).__name__}: "
            + " | ".join(f"{label}: {', '.join(items)}" for label, items in problems.items())
            + ". Pass the MultiverSeg file as the first argument and the ScribblePrompt file as "
            "scribbleprompt=, each unmodified."
        )
    net.load_state_dict(state_dict, strict=True)
    return net.eval()


def state_dict_problems(
    state_dict: dict[str, torch.Tensor], expected: dict[str, tuple[int, ...]]
) -> dict[str, list[str]]:
    """Missing keys, unexpected keys and wrong shapes of ``state_dict`` against the ``expected``
    key -> shape, each kind only if there is one."""
    found = {
        "missing keys": [k for k in expected if k not in state_dict],
        "unexpected keys": [k for k in state_dict if k not in expected],
        "wrong shapes": [
            f"{k}: file {tuple(v.shape)} vs network {expected[k]}"
            for k, v in state_dict.items()
            if k in expected and tuple(v.shape) != expected[k]
        ],
    }
    return {label: items for label, items in found.items() if items}


def build_multiverseg(
    state_dict: dict[str, Any], path: Path, config: dict[str, Any] | None = None
) -> MultiverSegNet:
    config = config or multiverseg_config_from_state_dict(state_dict, path)
    return load_into(MultiverSegNet(**config), state_dict, path)


def build_scribbleprompt(
    state_dict: dict[str, Any], path: Path, config: dict[str, Any] | None = None
) -> ScribblePromptUNet:
    config = config or scribbleprompt_config_from_state_dict(state_dict, path)
    return load_into(ScribblePromptUNet(**config), state_dict, path)


def save_checkpoint(
    path: str | Path,
    multiverseg: MultiverSegNet,
    metadata: dict[str, Any] | None = None,
    scribbleprompt: ScribblePromptUNet | None = None,
    min_context: int = 1,
) -> Path:
    """Write weights, configs and metadata into one file that loads with weights_only=True."""
    path = Path(path)
    content = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "multiverseg": {"config": multiverseg.config, "state_dict": multiverseg.state_dict()},
        "scribbleprompt": None
        if scribbleprompt is None
        else {"config": scribbleprompt.config, "state_dict": scribbleprompt.state_dict()},
        "min_context": min_context,
        "metadata": metadata or {},
    }
    write_torch_file(path, content)
    return path


def write_torch_file(path: Path, content: dict) -> None:
    """``torch.save`` that a crash cannot leave half written (see ``common.atomic``)."""
    buffer = io.BytesIO()
    torch.save(content, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue())
