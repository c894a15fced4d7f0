"""A backbone with two heads on its penultimate features: the classifier g and the point head h (the paper's
f, g, h). The point head is linear to 2 (or 2 per class for multi-label) followed by a sigmoid, so points lie in
[0, 1] of the model input. ``point_slots`` 0 builds no point head (the baseline objective never trains one)."""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn


class PointClassifier(nn.Module):
    def __init__(self, backbone: nn.Module, num_features: int, num_classes: int, point_slots: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(num_features, num_classes)
        self.point_slots = point_slots
        self.point_head = nn.Linear(num_features, 2 * point_slots) if point_slots else None

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        features = self.backbone(images)
        logits = self.head(features)
        if self.point_head is None:
            return logits, None
        # the sigmoid runs in float32 even under autocast: points are compared at 1e-4 after export
        points = torch.sigmoid(self.point_head(features).float()).view(-1, self.point_slots, 2)
        return logits, points
