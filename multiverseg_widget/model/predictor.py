"""The Predictor: one object that turns an image, the user's prompts and a context set into a mask.

It owns everything between user data and the networks: validation, intensity normalisation,
resizing to the 128 x 128 model grid and back (the input itself: ``inputs.py``), context
caching and the routing between the in-context network and the interactive-only one. The
networks stay pure.
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

from ..prompts import Prompts
from .context import ContextCache, PreparedItem, most_similar
from .context_adaptation import adapt_to_context
from .context_guide import ContextGuide
from .context_set_cache import ContextSetCache
from .device import resolve_device, resolve_precision
from .inputs import PreparedImage, encode_inputs
from .multiverseg_net import MultiverSegNet
from .preprocessing import resize_image, to_gray_unit
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
    adapted: bool = False  # made by the network adapted to the context set (adapt_to_context)

    @property
    def prob(self) -> np.ndarray:
        """H x W float32 in [0, 1]."""
        if self.known_prob is None:
            self.known_prob = _sigmoid(upsample_logits(self.logits, self.mask.shape))
        return self.known_prob


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

    @property
    def settings(self) -> dict[str, Any]:
        """What decides its predictions besides the weights (``metadata`` names those): a
        propagation made with other settings is not taken for this model's."""
        return {
            "precision": self.precision,
            "min_context": self.min_context,
            "max_context": self.max_context,
            "context_guide": self.guides is not None,
            "adapt_to_context": self.adapted is not None,
        }

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
        adapt: bool = True,
    ) -> Prediction:
        """Segment ``image`` from its prompts and an optional context set.

        prompts: every prompt so far (``multiverseg_widget.prompts``); or, the keyword form,
        clicks: (x, y, positive) in image pixel coordinates; box: (x0, y0, x1, y1), end
        exclusive; scribbles: (positive, negative) H x W masks, either may be None.
        prev_logits: the previous ``Prediction.logits``; context: (image, mask) pairs.
        ``image`` and ``context`` may come prepared (``prepare_image``, ``prepare_context``):
        a session prepares each once, and a click then costs little beside the network.
        adapt: False predicts with the network as it is when the network adapts to context
        sets and this one is not adapted yet, instead of adapting first (``adapt_to``).
        Raises ValueError naming the argument when an input is unusable.
        """
        start = time.perf_counter()
        keywords = {"clicks": clicks, "box": box, "scribbles": scribbles}
        target = encode_inputs(image, prompts, prev_logits, **keywords)
        height, width = image.shape if isinstance(image, PreparedImage) else np.shape(image)[:2]
        context = self._as_prepared(context)
        used = self._selected(context, target[:, :1], max_context)
        support = self._support(context, used)
        items = [context.items[i] for i in used]
        if self._in_context(len(used)) and self.guides is not None and not target[:, 1:].any():
            guide = self.guides.get(items, lambda: ContextGuide.from_items(items))  # context only
            target[0, 4] = torch.from_numpy(guide.logits(target[0, 0].numpy()))
        adapted = self._adapted(items, support, build=adapt) if self._adapts(len(used)) else None
        logits, network = self.forward_encoded(target, support, adapted)
        small = logits[0, 0].float().cpu().numpy()
        return Prediction(
            mask=upsample_logits(small, (height, width)) > 0,
            logits=small,
            network=network,
            context_used=used,
            seconds=time.perf_counter() - start,
            adapted=adapted is not None,
        )

    def unadapted_context(
        self,
        image: np.ndarray | PreparedImage,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | PreparedContext | None,
        max_context: int | None = None,
    ) -> int:
        """How many context items a prediction for ``image`` would adapt the network to before
        predicting: 0 when it does not adapt (adaptation off, fewer than 2 items) or the set is
        adapted already. What an interface tells the user it waits for."""
        found = self._to_adapt_to(image, context, max_context)
        return 0 if found is None or self._adapted(*found, build=False) else len(found[0])

    def adapt_to(
        self,
        image: np.ndarray | PreparedImage,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | PreparedContext | None,
        max_context: int | None = None,
    ) -> None:
        """Adapt the network to the context items a prediction for ``image`` would use, now,
        so that the predictions that follow do not wait (``predict(adapt=False)`` did not)."""
        found = self._to_adapt_to(image, context, max_context)
        if found is not None:
            self._adapted(*found)

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

    def _as_prepared(
        self, context: Sequence[tuple[np.ndarray, np.ndarray]] | PreparedContext | None
    ) -> PreparedContext:
        if isinstance(context, PreparedContext):
            return context
        return self.prepare_context(context or [])

    def _selected(
        self, context: PreparedContext, small_image: torch.Tensor, max_context: int | None
    ) -> list[int]:
        """The context items a prediction for the image uses (``max_context``: see predict)."""
        cap = max_context if max_context is not None else self.max_context
        return most_similar([it.descriptor for it in context.items], small_image, cap)

    @staticmethod
    def _support(context: PreparedContext, used: list[int]) -> torch.Tensor | None:
        if not used:
            return None
        return context.support if len(used) == len(context) else context.support[used]

    def _to_adapt_to(
        self,
        image: np.ndarray | PreparedImage,
        context: Sequence[tuple[np.ndarray, np.ndarray]] | PreparedContext | None,
        max_context: int | None,
    ) -> tuple[list[PreparedItem], torch.Tensor] | None:
        """The context items, and their support, that a prediction for ``image`` adapts the
        network to; None when it does not adapt."""
        if self.adapted is None:
            return None
        small = image.small if isinstance(image, PreparedImage) else self.prepare_image(image).small
        context = self._as_prepared(context)
        used = self._selected(context, small, max_context)
        if not self._adapts(len(used)):
            return None
        return [context.items[i] for i in used], self._support(context, used)

    def _adapted(
        self, items: list[PreparedItem], support: torch.Tensor, build: bool = True
    ) -> MultiverSegNet | None:
        """The network adapted to these items: built now if it is not yet (None instead when
        ``build`` is False)."""
        if not build:
            return self.adapted.find(items)
        return self.adapted.get(items, lambda: adapt_to_context(self.multiverseg, support))

    def _adapts(self, n_support: int) -> bool:
        """Whether a prediction with this many context items uses an adapted network."""
        return self.adapted is not None and self._in_context(n_support) and n_support >= 2

    def _in_context(self, n_support: int) -> bool:
        """Whether this many context items route to the in-context network."""
        return n_support >= max(self.min_context, 1)

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=dtype)


def upsample_logits(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """128 x 128 logits -> H x W, bilinear: thresholding after upsampling keeps edges smooth."""
    x = torch.from_numpy(np.ascontiguousarray(logits, dtype=np.float32))[None, None]
    return F.interpolate(x, size=shape, mode="bilinear", align_corners=False)[0, 0].numpy()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (0.5 * (np.tanh(0.5 * x) + 1.0)).astype(np.float32)
