"""``load_model``: any supported checkpoint file, or named weights -> a ready Predictor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .checkpoint import (
    CheckpointError,
    build_multiverseg,
    build_scribbleprompt,
    checkpoint_kind,
    read_checkpoint_file,
)
from .context_check import ContextPolicy
from .official import BUNDLES, fetch, file_digest
from .predictor import Predictor

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "weights" / "default.pt"
OFFICIAL_MIN_CONTEXT = 1
# what ``load_model(name)`` accepts besides a path: the built-in weights and the authors' ones
MODEL_NAMES = ("default", *BUNDLES)


def load_model(
    path: str | Path | None = None,
    scribbleprompt: str | Path | None = None,
    device: str | torch.device | None = None,
    max_context: int | None = None,
    precision: str = "auto",
    context_guide: bool = False,
    adapt_to_context: bool = False,
    context_policy: ContextPolicy | None = None,
) -> Predictor:
    """Load the built-in weights (no path, or "default"), an official MultiverSeg file (optionally
    with the official ScribblePrompt file for the no-context case), a checkpoint saved by this
    project, or the authors' published weights by name: "official" (v1) or "official-v0",
    downloaded once into a per-user cache and verified (``model/official.py``).

    Every file is checked before it is used: the built-in weights against the SHA-256 shipped
    beside them (``weights/default.pt.sha256``), any file for being a whole PyTorch file (an
    HTML page, a truncated or damaged download each get their own ``CheckpointError``) with
    finite weights (a tensor with NaN or infinite values is named and refused).

    A name is a str; pass a Path to load a file that happens to be called "official".
    device: None (the CPU), "auto" (CUDA, then Apple MPS, else the CPU), or a torch device;
    precision: "fp32", "bf16", "fp16" or "auto" (the default: bf16 on a CUDA GPU or a CPU that
    computes in bf16 natively, fp32 elsewhere; ``Predictor.precision`` says which);
    context_guide: a context-only prediction starts from the context guide's answer
    (``model/context_guide.py``). Off by default: with the built-in weights it raises the
    context-only Dice but saves no clicks, and the negative prompts that follow do more harm
    (the model card's figures);
    adapt_to_context: with at least 2 context items, predictions use a copy of the network
    fine-tuned on that context set, made once per set in a few seconds
    (``model/context_adaptation.py``);
    context_policy: what predictions do with a context set, from how well it predicts its own
    items (``model/context_check.py``); None uses every set as it is.
    """
    if isinstance(path, str) and path in BUNDLES:
        if scribbleprompt is not None:
            raise ValueError(f"{path!r} names both files; drop scribbleprompt=")
        path, scribbleprompt = fetch(path)
    elif isinstance(path, str) and path == "default":
        path = None
    if path is None:
        if not DEFAULT_CHECKPOINT.is_file():
            raise FileNotFoundError(
                f"the built-in default weights are missing ({DEFAULT_CHECKPOINT}); reinstall "
                "multiverseg-widget, or pass the path of a checkpoint to load_model(path)"
            )
        path = DEFAULT_CHECKPOINT
    path = Path(path)
    if path.resolve() == DEFAULT_CHECKPOINT.resolve():
        verify_built_in(path)
    content = read_checkpoint_file(path)
    kind = checkpoint_kind(content)
    metadata: dict[str, Any] = {"source": str(path)}
    min_context = OFFICIAL_MIN_CONTEXT
    sp_net = None
    if kind == "own":
        part = content["multiverseg"]
        mvs_net = build_multiverseg(part["state_dict"], path, part["config"])
        if content.get("scribbleprompt"):
            part = content["scribbleprompt"]
            sp_net = build_scribbleprompt(part["state_dict"], path, part["config"])
        min_context = int(content.get("min_context", OFFICIAL_MIN_CONTEXT))
        metadata.update(content.get("metadata", {}))
    elif kind == "official-multiverseg":
        mvs_net = build_multiverseg(content["model"], path)
    elif kind == "multiverseg":
        mvs_net = build_multiverseg(content, path)
    elif kind == "scribbleprompt":
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
        if checkpoint_kind(sp_content) in ("own", "official-multiverseg", "multiverseg"):
            raise CheckpointError(
                f"{sp_path} is a MultiverSeg checkpoint; pass it as the first argument of "
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
        context_guide=context_guide,
        adapt_to_context=adapt_to_context,
        context_policy=context_policy,
    )


def verify_built_in(path: Path) -> None:
    """Refuse the built-in weights unless their SHA-256 is the one shipped beside them, in
    ``default.pt.sha256`` (``sha256sum`` format): a damaged installation would otherwise
    predict worse, or nothing, without an error. Hashing the 1.2 MB file takes about 1 ms."""
    checksum_file = path.with_name(path.name + ".sha256")
    reinstall = "reinstall multiverseg-widget (pip install --force-reinstall multiverseg-widget)"
    try:
        expected = checksum_file.read_text().split()[0].lower()
    except (OSError, IndexError):
        raise CheckpointError(
            f"the built-in weights' checksum file {checksum_file} is missing or empty; {reinstall}"
        ) from None
    digest, _ = file_digest(path)
    if digest != expected:
        raise CheckpointError(
            f"the built-in weights {path} are damaged: their SHA-256 is {digest}, not the "
            f"{expected} recorded in {checksum_file.name}; {reinstall}. (Replaced on purpose "
            f"with new weights? Record theirs: sha256sum {path.name} > {checksum_file.name})"
        )


def as_predictor(
    model: Predictor | str | Path | None, device: str | torch.device | None = None
) -> Predictor:
    """A Predictor as given, or loaded by name ("default", "official", ...) or path (None: the
    built-in weights) on ``device``. What Session, annotate and the command line accept.
    The built-in weights come with the default context policy: a context set that predicts
    its own images well is adapted to (a session's set changes only at an accept, and adapted
    they need fewer prompts), one that predicts them badly is not used (the model card, issue
    30). The authors' weights were measured neither way: they are loaded as they are."""
    if isinstance(model, Predictor):
        if device is not None:
            raise ValueError(
                "device applies to a model loaded by name or path; for a Predictor, choose its "
                "device with load_model(..., device=...)"
            )
        return model
    built_in = model is None or (isinstance(model, str) and model == "default")
    policy = ContextPolicy() if built_in else None
    return load_model(model, device=device, adapt_to_context=built_in, context_policy=policy)
