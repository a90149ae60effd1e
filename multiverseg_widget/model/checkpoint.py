"""Loading and saving network weights: the official files as published, and this project's own
single-file format (weights + config + metadata).

Everything loads with ``torch.load(weights_only=True)``: a checkpoint never runs code. Each
failure names the file and says what is wrong and how to fix it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from ..common.atomic import atomic_write
from .multiverseg_net import MultiverSegConfig, MultiverSegNet
from .scribbleprompt_unet import ScribblePromptConfig, ScribblePromptUNet

FORMAT_NAME = "multiverseg-widget"
FORMAT_VERSION = 1
_ZIP_START = b"PK\x03\x04"  # torch.save's format since PyTorch 1.6
# the legacy format: a pickle, protocol 2 (torch's default) to 5
_PICKLE_STARTS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
Net = TypeVar("Net", bound=nn.Module)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used, with the reason and a fix in its message."""


def read_checkpoint_file(path: str | Path) -> Any:
    """torch.load(weights_only=True) with errors that say what kind of file this is: missing,
    not a PyTorch file (an HTML page, named as such), truncated, damaged (a checksum of its zip
    archive does not match), or one that needs pickled Python code."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint not found: {path} (check the path; load_model('official') downloads "
            "the authors' weights)"
        )
    refuse_foreign_file(path)
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


def refuse_foreign_file(path: Path) -> None:
    """Raise ``CheckpointError`` unless ``path`` starts like a file written by ``torch.save``
    (a zip archive, or a pickle in the legacy format) and, as a zip archive, is whole and
    matches the checksums it holds (a flipped byte is found here: torch does not check them).
    Reading the file once costs about a millisecond per MB."""
    with open(path, "rb") as file:
        head = file.read(64)
    again = "download or copy it again"
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                damaged = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
            raise CheckpointError(f"{path} is damaged ({error}); {again}") from None
        if damaged is not None:
            raise CheckpointError(
                f"{path} is damaged: its part {damaged!r} does not match its checksum (a changed "
                f"byte: a bad download, copy or disk); {again}"
            )
    elif head.startswith(_ZIP_START):
        raise CheckpointError(
            f"{path} is truncated or damaged: it starts like a PyTorch file (a zip archive) but "
            f"its end is missing or broken, as after an interrupted download or copy; {again}"
        )
    elif not head.startswith(_PICKLE_STARTS):
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise CheckpointError(
                f"{path} is not a PyTorch file: it looks like an HTML page: a download that "
                f"returned a web page? {again.capitalize()} from the file's direct link"
            )
        raise CheckpointError(
            f"{path} is not a PyTorch checkpoint: it starts with {head[:12]!r}, not like a file "
            "written by torch.save (a zip archive or a pickle)"
        )


def refuse_non_finite(state_dict: dict[str, torch.Tensor], path: Path) -> None:
    """Raise ``CheckpointError`` naming the first tensor with NaN or infinite values: such
    weights predict empty masks without any error."""
    for key, tensor in state_dict.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{path}: the weights {key!r} hold NaN or infinite values (a damaged file, or "
                "one saved from a diverged training run); use another checkpoint"
            )


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
) -> MultiverSegConfig:
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
) -> ScribblePromptConfig:
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


def load_into(net: Net, state_dict: dict[str, Any], path: Path) -> Net:
    """load_state_dict(strict=True), after refusing non-finite weights and listing every
    missing/unexpected key and wrong shape."""
    if not isinstance(state_dict, dict) or not all(torch.is_tensor(v) for v in state_dict.values()):
        raise CheckpointError(f"{path}: expected a state dict (a dict of tensors)")
    refuse_non_finite(state_dict, path)
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
    state_dict: dict[str, Any], path: Path, config: Mapping[str, Any] | None = None
) -> MultiverSegNet:
    config = config or multiverseg_config_from_state_dict(state_dict, path)
    return load_into(MultiverSegNet(**config), state_dict, path)


def build_scribbleprompt(
    state_dict: dict[str, Any], path: Path, config: Mapping[str, Any] | None = None
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
    """Write weights, configs and metadata into one file that loads with weights_only=True
    (``load_model(path)`` rebuilds the networks from it).

    Args:
        path: the file to write; its folder is created, and a crash never leaves it half
            written.
        multiverseg: the in-context network.
        metadata: facts kept beside the weights (plain Python values: the training recipe, the
            validation scores).
        scribbleprompt: the interactive-only network for images without enough context, if any.
        min_context: the fewest context images with which the Predictor uses ``multiverseg``.

    Returns:
        ``path``, as a Path.
    """
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


def write_torch_file(path: Path, content: dict[str, Any]) -> None:
    """``torch.save`` that a crash cannot leave half written (see ``common.atomic``)."""
    buffer = io.BytesIO()
    torch.save(content, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue())
