"""What the status line says of the model in use: its name, device, parameter count and
whether it adapts to each context set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model.load import DEFAULT_CHECKPOINT
from ..model.official import MULTIVERSEG_V0, MULTIVERSEG_V1
from ..model.predictor import Predictor

# load_model records the file it read as metadata["source"]; the authors' files keep their names
OFFICIAL = {MULTIVERSEG_V1.name: "official v1", MULTIVERSEG_V0.name: "official v0"}


def describe_model(predictor: Predictor) -> dict[str, Any]:
    """{"name", "device", "parameters", "adapts"}: "built-in", "official v1" / "v0", a
    checkpoint's file name, or "custom" for a Predictor built in code (it has no source)."""
    source = predictor.metadata.get("source")
    if source is None:
        name = "custom"
    elif Path(source).resolve() == DEFAULT_CHECKPOINT:
        name = "built-in"
    else:
        name = OFFICIAL.get(Path(source).name, Path(source).name)
    return {
        "name": name,
        "device": str(predictor.device),
        "parameters": sum(p.numel() for p in predictor.parameters()),
        "adapts": predictor.adapted is not None,
    }
