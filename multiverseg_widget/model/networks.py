"""The low-level entry: an encoded target and a stacked support in, logits out. It owns the two
networks, their device and precision, and the routing between them, which follows the official
wrapper: with at least ``min_context`` context items the MultiverSeg network runs; otherwise
the ScribblePrompt network if there is one, else MultiverSeg with its dummy support."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from .device import resolve_device, resolve_precision
from .multiverseg_net import MultiverSegNet
from .scribbleprompt_unet import ScribblePromptUNet

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class Networks:
    """The networks in eval mode on ``device`` (weights frozen), computed in ``precision``
    ("auto": bf16 where the hardware computes in it natively, ``resolve_precision``)."""

    def __init__(
        self,
        multiverseg: MultiverSegNet,
        scribbleprompt: ScribblePromptUNet | None = None,
        min_context: int = 1,
        device: str | torch.device | None = None,
        precision: str = "auto",
    ) -> None:
        if precision not in PRECISIONS and precision != "auto":
            choices = ["auto", *sorted(PRECISIONS)]
            raise ValueError(f"precision must be one of {choices}, got {precision!r}")
        self.device = resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        self.multiverseg = multiverseg.eval().to(self.device)
        self.scribbleprompt = (
            None if scribbleprompt is None else scribbleprompt.eval().to(self.device)
        )
        self.min_context = min_context
        for p in self.parameters():
            p.requires_grad_(False)

    def parameters(self) -> Iterator[torch.nn.Parameter]:
        yield from self.multiverseg.parameters()
        if self.scribbleprompt is not None:
            yield from self.scribbleprompt.parameters()

    def forward(
        self,
        target: torch.Tensor,
        support: torch.Tensor | None,
        adapted: MultiverSegNet | None = None,
    ) -> tuple[torch.Tensor, str]:
        """Route one encoded target through the network its support calls for.

        Args:
            target: 1 x 5 x h x w (image, positive and negative prompts, box, previous logits).
            support: S x 2 x h x w context images and labels, or None.
            adapted: the MultiverSeg network adapted to this support, used in its place.

        Returns:
            1 x 1 x h x w float32 logits, and the name of the network that ran.
        """
        n_support = 0 if support is None else support.shape[0]
        with torch.inference_mode(), self._autocast():
            target = target.to(self.device)
            if support is not None and self.in_context(n_support):
                network = self.multiverseg if adapted is None else adapted
                logits = network.forward_flat(target, support.to(self.device), n_support)
                return logits.float(), "multiverseg"
            if self.scribbleprompt is not None:
                return self.scribbleprompt(target).float(), "scribbleprompt"
            return self.multiverseg(target).float(), "multiverseg"

    def in_context(self, n_support: int) -> bool:
        """Whether this many context items route to the in-context network."""
        return n_support >= max(self.min_context, 1)

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=dtype)
