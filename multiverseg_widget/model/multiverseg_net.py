"""MultiverSegNet: the in-context UNet of CrossBlocks, state-dict compatible with the official code.

Tensors keep the support items flattened into the batch dimension (``(B*S) x C x H x W``) so that
every convolution runs as one batched call, with no repeat/rearrange copies.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

LEAKY_SLOPE = 0.01
DUMMY_SUPPORT_VALUE = 0.5


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
        return self.vmapped(x)


class CrossConv(nn.Module):
    """One conv over [target, support] split in two: the target part (with bias) runs once per
    target, the support part (no bias) once per support item, and the two are summed."""

    def __init__(self, target_channels: int, support_channels: int, out_channels: int) -> None:
        super().__init__()
        self.target_channels = target_channels
        self.cross_conv = nn.Conv2d(
            target_channels + support_channels, out_channels, kernel_size=3, padding=1
        )

    def forward(self, target: torch.Tensor, support: torch.Tensor, n_support: int) -> torch.Tensor:
        """target: B x Ct x H x W, support: (B*S) x Cs x H x W -> interaction (B*S) x O x H x W."""
        weight, bias = self.cross_conv.weight, self.cross_conv.bias
        t = F.conv2d(target, weight[:, : self.target_channels], bias, padding=1)
        s = F.conv2d(support, weight[:, self.target_channels :], None, padding=1)
        s = s.unflatten(0, (-1, n_support)) + t.unsqueeze(1)
        return s.flatten(0, 1)


class CrossBlock(nn.Module):
    """Cross conv, then the mean over support items becomes the new target; each branch then
    gets its own ConvOp."""

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
        self, target: torch.Tensor, support: torch.Tensor, n_support: int, need_support: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        interaction = self.cross(target, support, n_support)
        if self.cross_relu:
            interaction = F.leaky_relu(interaction, LEAKY_SLOPE)
        new_target = self.target(interaction.unflatten(0, (-1, n_support)).mean(dim=1))
        new_support = self.support(interaction) if need_support else None
        return new_target, new_support


class OutConv(nn.Module):
    """1x1 conv to logits (the official ``out_conv`` with no activation)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


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
        self.config = {
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
        n_support = support_images.shape[1]
        support = torch.cat([support_images, support_labels], dim=2).flatten(0, 1)
        return self.forward_flat(target_image, support, n_support)

    def forward_flat(
        self, target: torch.Tensor, support: torch.Tensor, n_support: int
    ) -> torch.Tensor:
        """Forward with the support already flattened to (B*S) x 2 x H x W."""
        skips: list[tuple[torch.Tensor, torch.Tensor]] = []
        last_encoder = len(self.enc_blocks) - 1
        for i, block in enumerate(self.enc_blocks):
            target, support = block(target, support, n_support)
            if i == last_encoder:
                break
            skips.append((target, support))
            target = F.max_pool2d(target, 2)
            support = F.max_pool2d(support, 2)
        last_decoder = len(self.dec_blocks) - 1
        for i, block in enumerate(self.dec_blocks):
            target_skip, support_skip = skips.pop()
            target = torch.cat([upsample2x(target), target_skip], dim=1)
            support = torch.cat([upsample2x(support), support_skip], dim=1)
            # The last decoder's support branch never reaches the output: do not compute it.
            target, support = block(target, support, n_support, need_support=i != last_decoder)
        return self.out_conv(target)


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """x2 bilinear upsampling with align_corners=True, as both official networks do."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
