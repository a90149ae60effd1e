"""The Predictor: the high-level entry, an image, the user's prompts and a context set in, a
mask out. It composes one part per concern: the input on the model grid (``inputs.py``), the
context items prepared once and kept by content (``context.py``), the networks and their
routing, the low-level entry (``networks.py``), and, where they are on, the context guide
(``context_guide.py``), the networks adapted to each context set (``context_adaptation.py``)
and the context set's check of itself with the policy that decides from it
(``context_check.py``). The networks stay pure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch

from ..common.steps import Steps, finished
from ..prompts import Prompts
from .context import ContextCache, PreparedContext, most_similar
from .context_adaptation import AdaptedNetworks
from .context_budget import budgeted_items
from .context_check import ContextCheck, ContextEstimate, ContextPolicy, ItemDice, left_out_dice
from .context_guide import ContextGuides
from .inputs import PreparedImage, encode_inputs
from .multiverseg_net import MultiverSegNet
from .networks import Networks
from .prediction import Prediction, upsample_logits
from .preprocessing import MODEL_SIZE, resize_image, to_gray_unit
from .scribbleprompt_unet import ScribblePromptUNet

Context = Sequence[tuple[np.ndarray, np.ndarray]] | PreparedContext | None  # pairs, or prepared


class Predictor:
    """Prompts + context -> Prediction. Built by ``load_model``.

    Routing: ``networks.py``. ``max_context`` caps the context items per prediction: the ones
    whose coarse image layout best matches the image are kept (``context.most_similar``).
    ``precision`` "auto" picks bf16 where the hardware computes in it natively; "fp32" gives
    results identical on every machine. ``context_guide``: a context-only prediction starts
    from the context guide's answer (``context_guide.py``). ``adapt_to_context``: with at
    least 2 context items, predictions use a copy of the network fine-tuned on that set, made
    once per set (``context_adaptation.py``). ``context_policy``: what a prediction does with
    the set, from how well it predicts its own items (``context_check.py``; None: uses it).
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
        context_policy: ContextPolicy | None = None,
    ) -> None:
        if max_context is not None and max_context < 1:
            raise ValueError(f"max_context must be None or >= 1, got {max_context}")
        self.networks = Networks(multiverseg, scribbleprompt, min_context, device, precision)
        self.max_context = max_context
        self.metadata = metadata or {}
        self.context_cache = ContextCache()
        self.guides = ContextGuides() if context_guide else None
        self.adapted = AdaptedNetworks(self.networks.multiverseg) if adapt_to_context else None
        self.context_check = ContextCheck()
        self.context_policy = context_policy
        self._budget: int | None = None

    multiverseg = property(lambda self: self.networks.multiverseg)
    scribbleprompt = property(lambda self: self.networks.scribbleprompt)
    device = property(lambda self: self.networks.device)
    precision = property(lambda self: self.networks.precision, doc='"bf16" or "fp32".')
    min_context = property(lambda self: self.networks.min_context)

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
            "context_policy": None if self.context_policy is None else vars(self.context_policy),
        }

    def parameters(self) -> Iterator[torch.nn.Parameter]:
        return self.networks.parameters()

    def predict(
        self,
        image: np.ndarray | PreparedImage,
        prompts: Prompts | None = None,
        prev_logits: np.ndarray | None = None,
        context: Context = None,
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
        adapt: False does nothing slow first: with a set not adapted to (or not checked) yet,
        it predicts with the network as it is (and the policy's last estimate), where True
        adapts (and checks) first; ``adapt_to`` does both for the predictions that follow.
        With a ``context_policy`` that does not trust the context set, a context-only request
        returns an empty mask (the guess in ``withheld``) and prompts are answered as with no
        context. Raises ValueError naming the argument when an input is unusable.
        """
        start = time.perf_counter()
        target = encode_inputs(
            image, prompts, prev_logits, clicks=clicks, box=box, scribbles=scribbles
        )
        shape = image.shape if isinstance(image, PreparedImage) else np.shape(image)[:2]
        context = self._as_prepared(context)
        policy = self.context_policy
        estimate = None if policy is None else self.context_estimate(context, max_context, adapt)
        if policy is not None and not policy.trusts(estimate):
            if target[:, 1:].any():
                context = PreparedContext((), None)
            else:
                guess = self._predicted(target, context, max_context, shape, start, None)
                return Prediction(
                    mask=np.zeros(shape, dtype=bool),
                    logits=np.zeros(MODEL_SIZE, dtype=np.float32),
                    network="none",
                    seconds=time.perf_counter() - start,
                    context_estimate=estimate,
                    withheld=guess,
                )
        adapt_now = adapt if policy is None or policy.adapts(estimate) else None
        prediction = self._predicted(target, context, max_context, shape, start, adapt_now)
        prediction.context_estimate = estimate
        return prediction

    def _predicted(
        self,
        target: torch.Tensor,
        context: PreparedContext,
        max_context: int | None,
        shape: tuple[int, int],
        start: float,
        adapt: bool | None,
    ) -> Prediction:
        """The prediction for an encoded target and a prepared context (see ``predict``);
        adapt: None predicts with the network as it is, even where an adapted one is ready."""
        used = self._selected(context, target[:, :1], max_context)
        support = context.support_of(used)
        items = [context.items[i] for i in used]
        in_context = self.networks.in_context(len(used))
        guides = self.guides if in_context else None
        if guides is not None and not target[:, 1:].any():  # context only: the guide starts it
            target[0, 4] = torch.from_numpy(guides.start_logits(items, target[0, 0].numpy()))
        adapted = None
        if adapt is not None and in_context and self._adapts(len(context)):
            adapted = self._adapted(context, build=adapt)
        logits, network = self.forward_encoded(target, support, adapted)
        small = logits[0, 0].float().cpu().numpy()
        return Prediction(
            mask=upsample_logits(small, shape) > 0,
            logits=small,
            network=network,
            context_used=used,
            seconds=time.perf_counter() - start,
            adapted=adapted is not None,
        )

    def unadapted_context(self, context: Context, max_context: int | None = None) -> int:
        """How many context items a prediction would adapt the network to first (0: it does
        not adapt, or it is adapted): what an interface says it waits for."""
        found = self._to_adapt_to(context, max_context)
        return 0 if found is None or self._adapted(found, build=False) else len(found)

    def context_unchecked(self, context: Context) -> bool:
        """Whether the policy has yet to check this set (``predict(adapt=False)`` does not)."""
        items = self._as_prepared(context).items
        return self.context_policy is not None and not self.context_check.is_current(items)

    def adapt_to(self, context: Context, max_context: int | None = None) -> None:
        """Check the set and adapt the network to it (as the policy decides), now: the
        predictions that follow do not wait."""
        finished(self.adaptation_steps(context, max_context))

    def adaptation_steps(self, context: Context, max_context: int | None = None) -> Steps[None]:
        """``adapt_to`` one short step at a time (one item checked, one episode learned), for an
        interface that answers prompts between the steps (``common/steps.py``)."""
        context = self._as_prepared(context)
        if self.context_policy is not None:
            item_dice = self._left_out_dice(context, max_context)
            yield from self.context_check.refresh_steps(context.items, item_dice)
        found = self._to_adapt_to(context, max_context)
        if found is not None and found.support is not None and self.adapted is not None:
            yield from self.adapted.build_steps(found.items, found.support)

    def context_estimate(
        self, context: Context, max_context: int | None = None, refresh: bool = True
    ) -> ContextEstimate | None:
        """How well ``context`` predicts its own items, each from the others, with the network
        as it is (None with fewer than 2 items). Incremental (``context_check.py``); refresh
        False costs nothing: the last estimate of these items."""
        context = self._as_prepared(context)
        item_dice = self._left_out_dice(context, max_context)
        return self.context_check.estimate(context.items, item_dice, refresh)

    def _left_out_dice(self, context: PreparedContext, max_context: int | None) -> ItemDice:
        """j -> item j's Dice predicted from the others (``left_out_dice``)."""
        cap = max_context if max_context is not None else self.max_context
        forward = lambda target, support: self.forward_encoded(target, support)[0]  # noqa: E731
        return partial(left_out_dice, context, cap=cap, forward=forward)

    def context_budget(self) -> int:
        """How many context items a prediction may use on this machine and stay about as fast
        as with two (``context_budget.py``: measured once, then read from the user's cache)."""
        if self._budget is None:
            self._budget = budgeted_items(self.networks)
        return self._budget

    def prepare_image(self, image: np.ndarray) -> PreparedImage:
        """``image`` normalised and on the model grid, for any number of predictions."""
        gray = to_gray_unit(image, "image")
        return PreparedImage(resize_image(gray), (int(gray.shape[0]), int(gray.shape[1])))

    def prepare_context(self, context: Sequence[tuple[np.ndarray, np.ndarray]]) -> PreparedContext:
        """Validate and prepare (image, mask) pairs once (items cached by content), stacked
        on the device: reuse the result for every prediction with this context set."""
        return PreparedContext.of(self.context_cache.prepare(context), self.device)

    def forward_encoded(
        self,
        target: torch.Tensor,
        support: torch.Tensor | None,
        adapted: MultiverSegNet | None = None,
    ) -> tuple[torch.Tensor, str]:
        """The low-level entry (``Networks.forward``): a 1 x 5 x h x w encoded target and an
        S x 2 x h x w support (or None) in; 1 x 1 x h x w logits and the network's name out.
        ``adapted``: the MultiverSeg network adapted to this support, used in its place."""
        return self.networks.forward(target, support, adapted)

    def _as_prepared(self, context: Context) -> PreparedContext:
        if isinstance(context, PreparedContext):
            return context
        return self.prepare_context(context or [])

    def _selected(
        self, context: PreparedContext, small_image: torch.Tensor, max_context: int | None
    ) -> list[int]:
        """The context items a prediction for the image uses (``max_context``: see predict)."""
        cap = max_context if max_context is not None else self.max_context
        return most_similar([it.descriptor for it in context.items], small_image, cap)

    def _to_adapt_to(self, context: Context, max_context: int | None) -> PreparedContext | None:
        """The context set the network adapts to before predicting with it (all of it: each
        prediction then picks its items within ``max_context``); None when it does not adapt
        (the policy decides from its last estimate)."""
        context, policy = self._as_prepared(context), self.context_policy
        estimate = None if policy is None else self.context_estimate(context, max_context, False)
        if self.adapted is None or (policy is not None and not policy.adapts(estimate)):
            return None
        return context if self._adapts(len(context)) else None

    def _adapted(self, context: PreparedContext, build: bool = True) -> MultiverSegNet | None:
        """The network adapted to the whole ``context``, built now unless ``build`` is False
        (None where it is not built)."""
        if self.adapted is None or context.support is None:
            return None
        if build:
            return self.adapted.built(context.items, context.support)
        return self.adapted.ready(context.items)

    def _adapts(self, n_context: int) -> bool:
        """Whether a context set of this size is adapted to (in-context predictions with it
        then use the adapted network)."""
        return self.adapted is not None and self.networks.in_context(n_context) and n_context >= 2
