"""MultiverSegNet: the in-context UNet of CrossBlocks, state-dict compatible with the official code.

The support set travels as chunks of items, each B x c x C x H x W and flattened to (B*c) x C x
H x W for the convolutions: no repeat/rearrange copies, and scratch memory bounded per chunk.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

import torch
import torch.nn.functional as F
from torch import nn

from .resampling import max_pool2x, upsample2x

LEAKY_SLOPE = 0.01
DUMMY_SUPPORT_VALUE = 0.5
# Support items per chunk are chosen so one chunk's activation holds at most this many values
# (4 MiB in float32, about what a core's L2 cache and its neighbour's hold): the v1 net runs one
# item at a time, which measured fastest on a 2-core CPU (2.3 s vs 2.7 s for 4 at S = 8), and the
# built-in 32-channel net two at a time at 128 x 128 (88 ms vs 115 ms for 8 items at S = 8).
CHUNK_VALUES = 64 * 128 * 128


class MultiverSegConfig(TypedDict):
    """``MultiverSegNet.config``: its constructor's arguments, as the official config holds them
    (``MultiverSegNet(**config)`` rebuilds the network)."""

    in_channels: list[int]
    encoder_blocks: list[int]
    decoder_blocks: list[int]
    block_kws: dict[str, dict[str, str | None]]  # {"conv_kws": {"norm": "layer" or None}}
    cross_relu: bool
    out_channels: int


class ConvOp(nn.Module):
    """conv -> LeakyReLU -> GroupNorm(1): the official ``ConvOp`` with ``norm="layer"``."""

    def __init__(self, in_channels: int, out_channels: int, norm: str | None = "layer") -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        if norm == "layer":
            self.norml = nn.GroupNorm(1, out_channels)
        elif norm is not None:
            raise ValueError(f"unsupported norm {norm!r}: MultiverSegNet supports 'layer' or None")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv(x), LEAKY_SLOPE)
        if hasattr(self, "norml"):
            x = self.norml(x)
        return x


class PerItem(nn.Module):
    """Holds a ConvOp applied to every item; exists so state-dict keys read ``.vmapped.``."""

    def __init__(self, op: nn.Module) -> None:
        super().__init__()
        self.vmapped = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.vmapped(x)
        return out


class CrossConv(nn.Module):
    """One conv over [target, support] split in two: the target part (with bias) runs once per
    target, the support part (no bias) once per support item, and the two are summed."""

    def __init__(self, target_channels: int, support_channels: int, out_channels: int) -> None:
        super().__init__()
        self.target_channels = target_channels
        self.cross_conv = nn.Conv2d(
            target_channels + support_channels, out_channels, kernel_size=3, padding=1
        )

    def target_term(self, target: torch.Tensor) -> torch.Tensor:
        weight = self.cross_conv.weight[:, : self.target_channels]
        return F.conv2d(target, weight, self.cross_conv.bias, padding=1)

    def support_term(self, support: torch.Tensor) -> torch.Tensor:
        weight = self.cross_conv.weight[:, self.target_channels :]
        return F.conv2d(support, weight, None, padding=1)


class CrossBlock(nn.Module):
    """Cross conv, then the mean over support items becomes the new target; each branch then
    gets its own ConvOp.

    The support arrives as chunks of items (each B x c x C x H x W) and is processed chunk by
    chunk, so the memory a block needs beyond its outputs does not grow with the context size.
    """

    def __init__(
        self,
        target_channels: int,
        support_channels: int,
        features: int,
        norm: str | None = "layer",
        cross_relu: bool = True,
    ) -> None:
        super().__init__()
        self.cross = CrossConv(target_channels, support_channels, features)
        self.target = PerItem(ConvOp(features, features, norm))
        self.support = PerItem(ConvOp(features, features, norm))
        self.cross_relu = cross_relu

    def forward(
        self,
        target: torch.Tensor,
        support_chunks: Iterable[torch.Tensor],
        n_support: int,
        need_support: bool = True,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """target: B x Ct x H x W; support_chunks: B x c x Cs x H x W, n_support items in all."""
        t = self.cross.target_term(target).unsqueeze(1)
        total = None
        new_support = []
        for chunk in support_chunks:
            b, c = chunk.shape[:2]
            interaction = torch.unflatten(self.cross.support_term(chunk.flatten(0, 1)), 0, (b, c))
            # In place saves an allocation at inference; under autograd an in-place add on
            # this view would make the backward copy the whole conv output back (CopySlices).
            interaction = interaction + t if interaction.requires_grad else interaction.add_(t)
            if self.cross_relu:
                interaction = F.leaky_relu_(interaction, LEAKY_SLOPE)
            # Item by item: sum(dim=1) is a strided reduction, slower. unbind, not indexing:
            # the backward of interaction[:, j] zero-fills the whole chunk once per item.
            for item in interaction.unbind(1):
                total = item.clone() if total is None else total.add_(item)
            if need_support:
                new_support.append(
                    torch.unflatten(self.support(interaction.flatten(0, 1)), 0, (b, c))
                )
        assert total is not None, "a CrossBlock needs at least one support item"
        new_target: torch.Tensor = self.target(total / n_support)
        return new_target, new_support


class OutConv(nn.Module):
    """1x1 conv to logits (the official ``out_conv`` with no activation)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv(x)
        return out


class MultiverSegNet(nn.Module):
    """The MultiverSeg network. Takes the 5-channel encoded target (image, box, positive,
    negative, previous logits) and a context set of (image, label) pairs; returns logits.

    Constructor keyword arguments are those of the official code, so an official config dict
    works as ``MultiverSegNet(**config)``.
    """

    def __init__(
        self,
        in_channels: list[int] | tuple[int, int] = (5, 2),
        encoder_blocks: list[int] | tuple[int, ...] = (256, 256, 256, 256),
        decoder_blocks: list[int] | tuple[int, ...] | None = None,
        block_kws: dict[str, Any] | None = None,
        cross_relu: bool = True,
        out_channels: int = 1,
    ) -> None:
        super().__init__()
        encoder_blocks = list(encoder_blocks)
        decoder_blocks = (
            list(decoder_blocks) if decoder_blocks is not None else encoder_blocks[-2::-1]
        )
        norm = ((block_kws or {}).get("conv_kws") or {}).get("norm", "layer")
        target_ch, support_ch = in_channels
        self.config: MultiverSegConfig = {
            "in_channels": [target_ch, support_ch],
            "encoder_blocks": encoder_blocks,
            "decoder_blocks": decoder_blocks,
            "block_kws": {"conv_kws": {"norm": norm}},
            "cross_relu": cross_relu,
            "out_channels": out_channels,
        }

        self.enc_blocks = nn.ModuleList()
        for features in encoder_blocks:
            self.enc_blocks.append(CrossBlock(target_ch, support_ch, features, norm, cross_relu))
            target_ch = support_ch = features
        skip_features = encoder_blocks[-2::-1]
        self.dec_blocks = nn.ModuleList()
        for features, skip in zip(decoder_blocks, skip_features):
            self.dec_blocks.append(
                CrossBlock(target_ch + skip, support_ch + skip, features, norm, cross_relu)
            )
            target_ch = support_ch = features
        self.out_conv = OutConv(target_ch, out_channels)
        self.support_chunk: int | None = None  # None: from CHUNK_VALUES

    @staticmethod
    def dummy_support(target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The constant 0.5 support pair that stands in when there is no context."""
        b, _, h, w = target.shape
        dummy = torch.full(
            (b, 1, 1, h, w), DUMMY_SUPPORT_VALUE, dtype=target.dtype, device=target.device
        )
        return dummy, dummy

    def forward(
        self,
        target_image: torch.Tensor,
        support_images: torch.Tensor | None = None,
        support_labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """target_image: B x 5 x H x W, support_*: B x S x 1 x H x W or None; returns logits."""
        if support_images is None or support_labels is None or support_images.shape[1] == 0:
            support_images, support_labels = self.dummy_support(target_image)
        support = torch.cat([support_images, support_labels], dim=2)
        return self.forward_support(target_image, support)

    def forward_flat(
        self, target: torch.Tensor, support: torch.Tensor, n_support: int
    ) -> torch.Tensor:
        """Forward with the support flattened to (B*S) x 2 x H x W."""
        return self.forward_support(target, torch.unflatten(support, 0, (-1, n_support)))

    def forward_support(self, target: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
        """target: B x 5 x H x W; support: B x S x 2 x H x W (image, label) -> B x 1 x H x W."""
        n_support = support.shape[1]
        chunk = self.support_chunk
        if chunk is None:
            widest = max(self.config["encoder_blocks"] + self.config["decoder_blocks"])
            chunk = max(1, CHUNK_VALUES // (widest * support.shape[-2] * support.shape[-1]))
        chunks = list(torch.split(support, chunk, dim=1))
        skips: list[tuple[torch.Tensor, list[torch.Tensor]]] = []
        last_encoder = len(self.enc_blocks) - 1
        for i, block in enumerate(self.enc_blocks):
            target, chunks = block(target, chunks, n_support)
            if i == last_encoder:
                break
            skips.append((target, chunks))
            target = max_pool2x(target)
            chunks = [max_pool2x(c) for c in chunks]
        last_decoder = len(self.dec_blocks) - 1
        for i, block in enumerate(self.dec_blocks):
            target_skip, support_skips = skips.pop()
            target = torch.cat([upsample2x(target), target_skip], dim=1)
            inputs = (
                torch.cat([upsample2x(c), skip], dim=2) for c, skip in zip(chunks, support_skips)
            )
            # The last decoder's support branch never reaches the output: do not compute it.
            target, chunks = block(target, inputs, n_support, need_support=i != last_decoder)
        logits: torch.Tensor = self.out_conv(target)
        return logits
