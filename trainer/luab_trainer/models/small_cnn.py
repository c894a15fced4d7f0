"""A small CNN that trains in minutes on a CPU: for the synthetic benchmark, the tests and the cost benchmark.

Two choices serve the point head. GroupNorm instead of BatchNorm: its output does not depend on the batch, so one
process and N DDP processes compute the same thing (no SyncBN needed on CPU, where torch has none) and tiny
batches work. The penultimate features come from a 2x2 pooled map through a fully connected layer (as AlexNet/VGG
have fc layers before the classifier) rather than a global average: a global average throws away where things
are, which is exactly what the point head has to read.
"""

from __future__ import annotations

import torch.nn as nn

from ._timm import require_no_drop_path
from .registry import register_backbone


def _stage(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1, bias=False),
        nn.GroupNorm(8, out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.GroupNorm(8, out_channels),
        nn.ReLU(inplace=True),
    )


class SmallCNN(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 192), num_features: int = 256) -> None:
        super().__init__()
        stages, channels = [], 3
        for width in widths:
            stages.append(_stage(channels, width))
            channels = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(channels * 4, num_features), nn.ReLU(inplace=True))
        self.num_features = num_features

    def forward(self, x):
        return self.fc(self.pool(self.stages(x)))


@register_backbone("small_cnn")
def small_cnn(input_size: tuple[int, int], prefer_timm: bool, drop_path: float = 0.0) -> tuple[nn.Module, int]:
    require_no_drop_path("small_cnn", drop_path)
    model = SmallCNN()
    return model, model.num_features
