"""Model creation: a registered backbone plus the classifier and point heads."""

from __future__ import annotations

from . import resnet, small_cnn, vit  # noqa: F401  (each module registers its backbones)
from .point_classifier import PointClassifier
from .registry import backbone_names, create_backbone


def create_model(
    name: str,
    num_classes: int,
    point_slots: int,
    input_size: tuple[int, int],
    prefer_timm: bool = True,
    drop_path: float = 0.0,
) -> PointClassifier:
    """``point_slots``: 0 (no point head), 1 (single-label: one point), or the class count (multi-label).
    ``drop_path``: stochastic depth rate, timm's backbones only."""
    backbone, num_features = create_backbone(name, input_size, prefer_timm, drop_path)
    return PointClassifier(backbone, num_features, num_classes, point_slots)


__all__ = ["PointClassifier", "backbone_names", "create_model"]
