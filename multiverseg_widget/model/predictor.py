"""The Predictor: one object that turns an image, the user's prompts and a context set into a mask.

It owns everything between user data and the networks: validation, intensity normalisation,
resizing to the 128 x 128 model grid and back, context caching and the routing between the
in-context network and the interactive-only one. The networks stay pure.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .context import ContextCache, most_similar
from .multiverseg_net import MultiverSegNet
from .preprocessing import MODEL_SIZE, as_mask, resize_image, resize_strokes, to_gray_unit
from .prompts import encode_prompts
from .scribbleprompt_unet import ScribblePromptUNet

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Prediction:
    """A prediction at the image's own resolution, plus the logits to feed back next step."""

    prob: np.ndarray  # H x W float32 in [0, 1]
    mask: np.ndarray  # H x W bool
    logits: np.ndarray  # 128 x 128 float32, model resolution: pass as prev_logits
    network: str  # "multiverseg" or "scribbleprompt"
    context_used: list[int] = field(default_factory=list)  # indices into the given context
    seconds: float = 0.0


Click = tuple[float, float, bool]


class Predictor:
    """Prompts + context -> Prediction. Built by ``load_model``.

    Routing follows the official wrapper: with at least ``min_context`` context items the
    MultiverSeg network runs; otherwise the ScribblePrompt network if there is one, else
    MultiverSeg with its dummy support.

    ``max_context`` caps the context items per prediction: the ones whose coarse image layout
    (16 x 16 thumbnail, normalised cross-correlation) best matches the image are kept.
    """

    def __init__(
        self,
        multiverseg: MultiverSegNet,
        scribbleprompt: ScribblePromptUNet | None = None,
        min_context: int = 1,
        max_context: int | None = None,
        device: str | torch.device | None = None,
        precision: str = "fp32",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
        if max_context is not None and max_context < 1:
            raise ValueError(f"max_context must be None or >= 1, got {max_context}")
        self.device = resolve_device(device)
        self.precision = precision
        self.multiverseg = multiverseg.eval().to(self.device)
        self.scribbleprompt = (
            None if scribbleprompt is None else scribbleprompt.eval().to(self.device)
        )
        self.min_context = min_context
        self.max_context = max_context
        self.metadata = metadata or {}
        self.context_cache = ContextCache()
        for p in self.parameters():
            p.requires_grad_(False)

    def parameters(self) -> Iterable[torch.nn.Parameter]:
        yield from self.multiverseg.parameters()
        if self.scribbleprompt is not None:
            yield from self.scribbleprompt.parameters()

    def predict(
        self,
        image: np.ndarray,
        clicks: Sequence[Click] | None = None,
        box: Sequence[float] | None = None,
        scribbles: tuple[np.ndarray | None, np.ndarray | None] | None = None,
        prev_logits: np.ndarray | None = None,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
        max_context: int | None = None,
    ) -> Prediction:
        """Segment ``image`` from its prompts and an optional context set.

        clicks: (x, y, positive) in image pixel coordinates; box: (x0, y0, x1, y1), end
        exclusive; scribbles: (positive, negative) H x W masks, either may be None;
        prev_logits: the previous ``Prediction.logits``; context: (image, mask) pairs.
        Raises ValueError naming the argument when an input is unusable.
        """
        start = time.perf_counter()
        target = encode_inputs(image, clicks, box, scribbles, prev_logits)
        height, width = np.shape(image)[:2]
        items = self.context_cache.prepare(context or [])
        small = target[:, :1]
        cap = max_context if max_context is not None else self.max_context
        chosen = most_similar(items, small, cap)
        support = self.context_cache.support(chosen) if chosen else None
        logits, network = self.forward_encoded(target, support)
        full = F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)
        full = full[0, 0].float().cpu().numpy()
        chosen_keys = [k for k, _ in chosen]
        used = [i for i, (k, _) in enumerate(items) if k in chosen_keys]
        prob = _sigmoid(full)
        return Prediction(
            prob=prob,
            mask=prob > 0.5,
            logits=logits[0, 0].float().cpu().numpy(),
            network=network,
            context_used=used,
            seconds=time.perf_counter() - start,
        )

    def forward_encoded(
        self, target: torch.Tensor, support: torch.Tensor | None
    ) -> tuple[torch.Tensor, str]:
        """Route one encoded 1 x 5 x h x w target and an S x 2 x h x w support; return logits."""
        n_support = 0 if support is None else support.shape[0]
        with torch.inference_mode(), self._autocast():
            target = target.to(self.device)
            if n_support >= max(self.min_context, 1):
                logits = self.multiverseg.forward_flat(target, support.to(self.device), n_support)
                return logits.float(), "multiverseg"
            if self.scribbleprompt is not None:
                return self.scribbleprompt(target).float(), "scribbleprompt"
            return self.multiverseg(target).float(), "multiverseg"

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=dtype)


def encode_inputs(
    image: np.ndarray,
    clicks: Sequence[Click] | None = None,
    box: Sequence[float] | None = None,
    scribbles: tuple[np.ndarray | None, np.ndarray | None] | None = None,
    prev_logits: np.ndarray | None = None,
) -> torch.Tensor:
    """The 1 x 5 x 128 x 128 network input for an image and its prompts (see ``predict``):
    normalised image, box, positive and negative clicks + scribbles, previous logits.
    Raises ValueError naming the argument when an input is unusable."""
    gray = to_gray_unit(image, "image")
    height, width = gray.shape
    coords, labels = _scaled_clicks(clicks, height, width)
    box_tensor = _scaled_box(box, height, width)
    scribble_tensor = _scribble_tensor(scribbles, (height, width))
    previous = _previous_logits(prev_logits)
    return encode_prompts(resize_image(gray), coords, labels, box_tensor, scribble_tensor, previous)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """None means the CPU; asking for an accelerator that is not there is an error."""
    dev = torch.device(device or "cpu")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but no CUDA GPU is available")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device='mps' was requested but Apple MPS is not available")
    return dev


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (0.5 * (np.tanh(0.5 * x) + 1.0)).astype(np.float32)


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value)


def _scaled_clicks(
    clicks: Sequence[Click] | None, height: int, width: int
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    if not clicks:
        return None, None
    coords, labels = [], []
    for i, click in enumerate(clicks):
        if not isinstance(click, (tuple, list)) or len(click) != 3:
            raise ValueError(f"clicks[{i}] must be (x, y, positive), got {click!r}")
        x, y, positive = click
        if not (_finite_number(x) and _finite_number(y)):
            raise ValueError(f"clicks[{i}] has non-numeric or non-finite coordinates {click!r}")
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(
                f"clicks[{i}] = ({x}, {y}) lies outside the image ({width} wide, {height} high)"
            )
        coords.append((int(x * MODEL_SIZE[1] / width), int(y * MODEL_SIZE[0] / height)))
        labels.append(1 if positive else 0)
    return torch.tensor([coords]), torch.tensor([labels])


def _scaled_box(box: Sequence[float] | None, height: int, width: int) -> torch.Tensor | None:
    if box is None:
        return None
    values = list(box) if isinstance(box, (tuple, list, np.ndarray)) else None
    if values is None or len(values) != 4 or not all(_finite_number(v) for v in values):
        raise ValueError(f"box must be four finite numbers (x0, y0, x1, y1), got {box!r}")
    x0, y0, x1, y1 = values
    if not (
        min(x0, x1) >= 0 and max(x0, x1) <= width and min(y0, y1) >= 0 and max(y0, y1) <= height
    ):
        raise ValueError(f"box {tuple(values)} reaches outside the image ({width} x {height})")
    if x0 == x1 or y0 == y1:
        raise ValueError(f"box {tuple(values)} has zero area")
    sx, sy = MODEL_SIZE[1] / width, MODEL_SIZE[0] / height
    return torch.tensor([[[x0 * sx, y0 * sy, x1 * sx, y1 * sy]]])


def _scribble_tensor(
    scribbles: tuple[np.ndarray | None, np.ndarray | None] | None, shape: tuple[int, int]
) -> torch.Tensor | None:
    if scribbles is None:
        return None
    if not isinstance(scribbles, (tuple, list)) or len(scribbles) != 2:
        raise ValueError("scribbles must be a (positive, negative) pair of masks (None for absent)")
    channels = []
    for mask, name in zip(scribbles, ("scribbles[0] (positive)", "scribbles[1] (negative)")):
        if mask is None:
            channels.append(torch.zeros(1, 1, *MODEL_SIZE))
        else:
            channels.append(resize_strokes(as_mask(mask, shape, name)))
    return torch.cat(channels, dim=1)


def _previous_logits(prev_logits: np.ndarray | torch.Tensor | None) -> torch.Tensor | None:
    if prev_logits is None:
        return None
    arr = torch.as_tensor(np.asarray(prev_logits), dtype=torch.float32)
    if arr.numel() != MODEL_SIZE[0] * MODEL_SIZE[1] or arr.shape[-2:] != MODEL_SIZE:
        raise ValueError(
            f"prev_logits must be the previous Prediction.logits ({MODEL_SIZE[0]} x "
            f"{MODEL_SIZE[1]}), got shape {tuple(arr.shape)}"
        )
    if not torch.isfinite(arr).all():
        raise ValueError("prev_logits contains NaN or infinite values")
    return arr.reshape(1, 1, *MODEL_SIZE)
