"""The Predictor: one object that turns an image, the user's prompts and a context set into a mask.

It owns everything between user data and the networks: validation, intensity normalisation,
resizing to the 128 x 128 model grid and back, context caching and the routing between the
in-context network and the interactive-only one. The networks stay pure.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..prompts import Box, Click, Prompts, scribble_masks
from .context import ContextCache, PreparedItem, most_similar
from .context_adaptation import adapt_to_context
from .context_guide import ContextGuide
from .context_set_cache import ContextSetCache
from .device import resolve_device, resolve_precision
from .encoding import encode_prompts
from .multiverseg_net import MultiverSegNet
from .preprocessing import MODEL_SIZE, as_mask, resize_image, resize_strokes, to_gray_unit
from .scribbleprompt_unet import ScribblePromptUNet

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Prediction:
    """A prediction at the image's own resolution, plus the logits to feed back next step.

    ``prob`` is computed from the logits when first read: a session keeps a prediction per
    undo step and rarely needs a full-size probability map of any of them."""

    mask: np.ndarray  # H x W bool: where the upsampled logits are positive
    logits: np.ndarray  # 128 x 128 float32, model resolution: pass as prev_logits
    network: str  # "multiverseg" or "scribbleprompt"
    context_used: list[int] = field(default_factory=list)  # indices into the given context
    seconds: float = 0.0
    known_prob: np.ndarray | None = field(default=None, repr=False)  # set by non-network models

    @property
    def prob(self) -> np.ndarray:
        """H x W float32 in [0, 1]."""
        if self.known_prob is None:
            self.known_prob = _sigmoid(upsample_logits(self.logits, self.mask.shape))
        return self.known_prob


@dataclass(frozen=True)
class PreparedImage:
    """An image normalised and resized to the model grid once (``Predictor.prepare_image``),
    so that a click carries only its prompts."""

    small: torch.Tensor  # 1 x 1 x 128 x 128, in [0, 1]
    shape: tuple[int, int]  # the image's own height and width


@dataclass(frozen=True)
class PreparedContext:
    """A context set at model resolution, stacked on the predictor's device once
    (``Predictor.prepare_context``): what a click reuses until the set changes."""

    items: tuple[PreparedItem, ...]
    support: torch.Tensor | None  # S x 2 x 128 x 128 on the device; None when empty

    def __len__(self) -> int:
        return len(self.items)


class Predictor:
    """Prompts + context -> Prediction. Built by ``load_model``.

    Routing follows the official wrapper: with at least ``min_context`` context items the
    MultiverSeg network runs; otherwise the ScribblePrompt network if there is one, else
    MultiverSeg with its dummy support.

    ``max_context`` caps the context items per prediction: the ones whose coarse image layout
    (16 x 16 thumbnail, normalised cross-correlation) best matches the image are kept.
    ``precision`` "auto" picks bf16 where the hardware computes in it natively
    (``resolve_precision``); pass "fp32" for results identical on every machine.
    ``context_guide``: a context-only prediction (context, no prompts, no previous logits)
    starts from the context guide's answer as the previous logits (``context_guide.py``).
    ``adapt_to_context``: with at least 2 context items, predictions use a copy of the
    MultiverSeg network fine-tuned on that context set (``context_adaptation.py``), made once
    per set: the first prediction with a new set takes seconds longer.
    """

    def __init__(
        self,
        multiverseg: MultiverSegNet,
        scribbleprompt: ScribblePromptUNet | None = None,
        min_context: int = 1,
        max_context: int | None = None,
        device: str | torch.device | None = None,
        precision: str = "auto",
        metadata: dict[str, Any] | None = None,
        context_guide: bool = False,
        adapt_to_context: bool = False,
    ) -> None:
        if precision not in PRECISIONS and precision != "auto":
            choices = ["auto", *sorted(PRECISIONS)]
            raise ValueError(f"precision must be one of {choices}, got {precision!r}")
        if max_context is not None and max_context < 1:
            raise ValueError(f"max_context must be None or >= 1, got {max_context}")
        self.device = resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        self.multiverseg = multiverseg.eval().to(self.device)
        self.scribbleprompt = (
            None if scribbleprompt is None else scribbleprompt.eval().to(self.device)
        )
        self.min_context = min_context
        self.max_context = max_context
        self.metadata = metadata or {}
        self.context_cache = ContextCache()
        self.guides: ContextSetCache[ContextGuide] | None = (
            ContextSetCache() if context_guide else None
        )
        self.adapted: ContextSetCache[MultiverSegNet] | None = (
            ContextSetCache() if adapt_to_context else None
        )
        for p in self.parameters():
            p.requires_grad_(False)

    def parameters(self) -> Iterable[torch.nn.Parameter]:
        yield from self.multiverseg.parameters()
        if self.scribbleprompt is not None:
            yield from self.scribbleprompt.parameters()

    def predict(
        self,
        image: np.ndarray | PreparedImage,
        prompts: Prompts | None = None,
        prev_logits: np.ndarray | None = None,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | PreparedContext | None = None,
        max_context: int | None = None,
        *,
        clicks: Sequence[tuple[float, float, bool]] | None = None,
        box: Sequence[float] | None = None,
        scribbles: tuple[np.ndarray | None, np.ndarray | None] | None = None,
    ) -> Prediction:
        """Segment ``image`` from its prompts and an optional context set.

        prompts: every prompt so far (``multiverseg_widget.prompts``); or, the keyword form,
        clicks: (x, y, positive) in image pixel coordinates; box: (x0, y0, x1, y1), end
        exclusive; scribbles: (positive, negative) H x W masks, either may be None.
        prev_logits: the previous ``Prediction.logits``; context: (image, mask) pairs.
        ``image`` and ``context`` may come prepared (``prepare_image``, ``prepare_context``):
        a session prepares each once, and a click then costs little beside the network.
        Raises ValueError naming the argument when an input is unusable.
        """
        start = time.perf_counter()
        keywords = {"clicks": clicks, "box": box, "scribbles": scribbles}
        target = encode_inputs(image, prompts, prev_logits, **keywords)
        height, width = image.shape if isinstance(image, PreparedImage) else np.shape(image)[:2]
        if not isinstance(context, PreparedContext):
            context = self.prepare_context(context or [])
        cap = max_context if max_context is not None else self.max_context
        used = most_similar([it.descriptor for it in context.items], target[:, :1], cap)
        support = None
        if used:
            support = context.support if len(used) == len(context) else context.support[used]
        items = [context.items[i] for i in used]
        in_context = self._in_context(len(used))
        if in_context and self.guides is not None and not target[:, 1:].any():  # context only
            guide = self.guides.get(items, lambda: ContextGuide.from_items(items))
            target[0, 4] = torch.from_numpy(guide.logits(target[0, 0].numpy()))
        adapted = None
        if in_context and self.adapted is not None and len(used) >= 2:
            adapted = self.adapted.get(items, lambda: adapt_to_context(self.multiverseg, support))
        logits, network = self.forward_encoded(target, support, adapted)
        small = logits[0, 0].float().cpu().numpy()
        return Prediction(
            mask=upsample_logits(small, (height, width)) > 0,
            logits=small,
            network=network,
            context_used=used,
            seconds=time.perf_counter() - start,
        )

    def prepare_image(self, image: np.ndarray) -> PreparedImage:
        """``image`` normalised and on the model grid, for any number of predictions."""
        gray = to_gray_unit(image, "image")
        return PreparedImage(resize_image(gray), (int(gray.shape[0]), int(gray.shape[1])))

    def prepare_context(self, context: Sequence[tuple[np.ndarray, np.ndarray]]) -> PreparedContext:
        """Validate and prepare (image, mask) pairs once (items cached by content), stacked
        on the device: reuse the result for every prediction with this context set."""
        items = tuple(item for _, item in self.context_cache.prepare(context))
        if not items:
            return PreparedContext((), None)
        stacked = torch.stack([torch.cat([it.image, it.label]) for it in items])
        return PreparedContext(items, stacked.to(self.device))

    def forward_encoded(
        self,
        target: torch.Tensor,
        support: torch.Tensor | None,
        adapted: MultiverSegNet | None = None,
    ) -> tuple[torch.Tensor, str]:
        """Route one encoded 1 x 5 x h x w target and an S x 2 x h x w support; return logits.
        ``adapted``: the MultiverSeg network adapted to this support, used in its place."""
        n_support = 0 if support is None else support.shape[0]
        with torch.inference_mode(), self._autocast():
            target = target.to(self.device)
            if self._in_context(n_support):
                network = self.multiverseg if adapted is None else adapted
                logits = network.forward_flat(target, support.to(self.device), n_support)
                return logits.float(), "multiverseg"
            if self.scribbleprompt is not None:
                return self.scribbleprompt(target).float(), "scribbleprompt"
            return self.multiverseg(target).float(), "multiverseg"

    def _in_context(self, n_support: int) -> bool:
        """Whether this many context items route to the in-context network."""
        return n_support >= max(self.min_context, 1)

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=dtype)


def encode_inputs(
    image: np.ndarray | PreparedImage,
    prompts: Prompts | None = None,
    prev_logits: np.ndarray | None = None,
    *,
    clicks: Sequence[tuple[float, float, bool]] | None = None,
    box: Sequence[float] | None = None,
    scribbles: tuple[np.ndarray | None, np.ndarray | None] | None = None,
) -> torch.Tensor:
    """The 1 x 5 x 128 x 128 network input for an image and its prompts (see ``predict``):
    normalised image, box, positive and negative clicks + scribbles, previous logits.
    Raises ValueError naming the argument when an input is unusable."""
    if isinstance(image, PreparedImage):
        small, (height, width) = image.small, image.shape
    else:
        gray = to_gray_unit(image, "image")
        small, (height, width) = resize_image(gray), gray.shape
    if prompts is None:
        prompts = _keyword_prompts(clicks, box)
    elif clicks is not None or box is not None or scribbles is not None:
        raise ValueError("pass prompts, or the keywords clicks, box and scribbles, not both")
    elif not isinstance(prompts, Prompts):
        raise ValueError(f"prompts must be a Prompts value, got {type(prompts).__name__}")
    else:
        prompts.check_inside(height, width)
        scribbles = scribble_masks(prompts, (height, width))
    coords, labels = _scaled_clicks(prompts.clicks, height, width)
    box_tensor = _scaled_box(prompts.box, height, width)
    scribble_tensor = _scribble_tensor(scribbles, (height, width))
    previous = _previous_logits(prev_logits)
    return encode_prompts(small, coords, labels, box_tensor, scribble_tensor, previous)


def upsample_logits(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """128 x 128 logits -> H x W, bilinear: thresholding after upsampling keeps edges smooth."""
    x = torch.from_numpy(np.ascontiguousarray(logits, dtype=np.float32))[None, None]
    return F.interpolate(x, size=shape, mode="bilinear", align_corners=False)[0, 0].numpy()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (0.5 * (np.tanh(0.5 * x) + 1.0)).astype(np.float32)


def _keyword_prompts(
    clicks: Sequence[tuple[float, float, bool]] | None, box: Sequence[float] | None
) -> Prompts:
    """The README's keyword form as prompts; errors name the keyword (``clicks[2]``, ``box``)."""
    items: list[Click | Box] = []
    for i, click in enumerate(clicks or ()):
        if not isinstance(click, (tuple, list)) or len(click) != 3:
            raise ValueError(f"clicks[{i}] must be (x, y, positive), got {click!r}")
        try:
            items.append(Click(*click))
        except ValueError as error:
            raise ValueError(f"clicks[{i}]: {error}") from None
    if box is not None:
        if not isinstance(box, (tuple, list, np.ndarray)) or len(box) != 4:
            raise ValueError(f"box must be four finite numbers (x0, y0, x1, y1), got {box!r}")
        items.append(Box(*box))
    return Prompts(tuple(items))


def _scaled_clicks(
    clicks: Sequence[Click], height: int, width: int
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    if not clicks:
        return None, None
    for i, click in enumerate(clicks):
        try:
            click.check_inside(height, width)
        except ValueError as error:
            raise ValueError(f"clicks[{i}]: {error}") from None
    coords = [(int(c.x * MODEL_SIZE[1] / width), int(c.y * MODEL_SIZE[0] / height)) for c in clicks]
    labels = [1 if c.positive else 0 for c in clicks]
    return torch.tensor([coords]), torch.tensor([labels])


def _scaled_box(box: Box | None, height: int, width: int) -> torch.Tensor | None:
    if box is None:
        return None
    box.check_inside(height, width)
    sx, sy = MODEL_SIZE[1] / width, MODEL_SIZE[0] / height
    return torch.tensor([[[box.x0 * sx, box.y0 * sy, box.x1 * sx, box.y1 * sy]]])


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
