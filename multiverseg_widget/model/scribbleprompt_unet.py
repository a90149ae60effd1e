"""The ScribblePrompt UNet: the interactive-only network that the official MultiverSeg wrapper
uses when there is no context. State-dict compatible with the official
``ScribblePrompt_unet_v1_nf192_res128.pt``.
"""

from __future__ import annotations

from typing import TypedDict

import torch
from torch import nn

from .resampling import max_pool2x, upsample2x


class ScribblePromptConfig(TypedDict):
    """``ScribblePromptUNet.config``: its constructor's arguments (``ScribblePromptUNet(**config)``
    rebuilds the network)."""

    in_channels: int
    out_channels: int
    features: list[int]


class ConvBlock(nn.Module):
    """conv (3x3) -> PReLU, or a bare 1x1 conv for the output (keys ``conv.0``, ``conv.1``)."""

    def __init__(self, in_channels: int, out_channels: int, output: bool = False) -> None:
        super().__init__()
        if output:
            self.conv = nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=1))
        else:
            self.conv = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.PReLU()
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv(x)
        return out


class Upsample(nn.Module):
    """Parameter-free x2 bilinear upsampling; it sits at the even indices of ``ups``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upsample2x(x)


class ScribblePromptUNet(nn.Module):
    """A plain UNet with one PReLU conv per level, max-pool down, bilinear up; logits out.

    Input: B x 5 x H x W (image, box, positive, negative, previous logits), H and W divisible by
    2 ** len(features).
    """

    def __init__(
        self,
        in_channels: int = 5,
        out_channels: int = 1,
        features: list[int] | tuple[int, ...] = (192, 192, 192, 192),
    ) -> None:
        super().__init__()
        features = list(features)
        self.config: ScribblePromptConfig = {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "features": features,
        }
        # Registration order (ups before downs) follows the official state dict.
        self.ups = nn.ModuleList()
        channels = features[-1]
        for f in reversed(features):
            self.ups.append(Upsample())
            self.ups.append(ConvBlock(channels + f, f))
            channels = f
        self.downs = nn.ModuleList()
        channels = in_channels
        for f in features:
            self.downs.append(ConvBlock(channels, f))
            channels = f
        self.bottleneck = ConvBlock(features[-1], features[-1])
        self.final_conv = ConvBlock(features[0], out_channels, output=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
            x = max_pool2x(x)
        x = self.bottleneck(x)
        for up, conv, skip in zip(self.ups[0::2], self.ups[1::2], reversed(skips)):
            x = conv(torch.cat([skip, up(x)], dim=1))
        logits: torch.Tensor = self.final_conv(x)
        return logits
