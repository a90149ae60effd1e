"""The prompt vocabulary (clicks, boxes, strokes, mask edits) and the one stroke rasteriser.
NumPy only: the widget protocol and the session read it without importing torch's model code."""

from .raster import rasterise, scribble_masks
from .vocabulary import (
    INTERACTION_KINDS,
    Box,
    Click,
    MaskEdit,
    Prompt,
    Prompts,
    Stroke,
    prompt_from_json,
)

__all__ = [
    "INTERACTION_KINDS",
    "Box",
    "Click",
    "MaskEdit",
    "Prompt",
    "Prompts",
    "Stroke",
    "prompt_from_json",
    "rasterise",
    "scribble_masks",
]
