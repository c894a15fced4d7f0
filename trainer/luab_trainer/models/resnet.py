"""ResNet-18/50/101/152 (the paper's CNN backbones): timm's when timm is installed, else torchvision's.

Both are the same architecture (timm's ``resnet50`` is torchvision's layout); the classifier is removed so the
module returns the pooled features. No pretrained weights: nothing is downloaded at run time.
"""

from __future__ import annotations

import torch.nn as nn
import torchvision.models as tvm

from ._timm import require_no_drop_path, timm_or_none
from .registry import register_backbone


def _resnet(name: str):
    def build(input_size: tuple[int, int], prefer_timm: bool, drop_path: float = 0.0) -> tuple[nn.Module, int]:
        timm = timm_or_none(prefer_timm)
        if timm is not None:
            model = timm.create_model(name, pretrained=False, num_classes=0, drop_path_rate=drop_path)
            return model, model.num_features
        require_no_drop_path(name, drop_path)
        model = getattr(tvm, name)(weights=None)
        num_features = model.fc.in_features
        model.fc = nn.Identity()
        return model, num_features

    return build


for _name in ("resnet18", "resnet50", "resnet101", "resnet152"):
    register_backbone(_name)(_resnet(_name))
