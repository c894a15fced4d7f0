"""ViT-Ti/S/B (the paper's transformer backbones, DeiT's dimensions): timm's ``vit_*_patch16`` when timm is
installed, else torchvision's VisionTransformer with the same depth/width/heads and the class token as features."""

from __future__ import annotations

import torch.nn as nn
from torchvision.models.vision_transformer import VisionTransformer

from ._timm import require_no_drop_path, timm_or_none
from .registry import register_backbone

# DeiT's table: (hidden dim, heads); depth 12 and MLP ratio 4 for all three
_VIT_DIMS = {"vit_tiny": (192, 3), "vit_small": (384, 6), "vit_base": (768, 12)}
_PATCH = 16


def _vit(name: str):
    hidden_dim, heads = _VIT_DIMS[name]

    def build(input_size: tuple[int, int], prefer_timm: bool, drop_path: float = 0.0) -> tuple[nn.Module, int]:
        if input_size[0] != input_size[1] or input_size[0] % _PATCH:
            raise ValueError(f"{name}: input size must be square and a multiple of {_PATCH}, got {input_size}")
        timm = timm_or_none(prefer_timm)
        if timm is not None:
            model = timm.create_model(
                f"{name}_patch16_224", pretrained=False, num_classes=0, img_size=input_size[0], drop_path_rate=drop_path
            )
            return model, model.num_features
        require_no_drop_path(name, drop_path)
        model = VisionTransformer(
            image_size=input_size[0],
            patch_size=_PATCH,
            num_layers=12,
            num_heads=heads,
            hidden_dim=hidden_dim,
            mlp_dim=4 * hidden_dim,
        )
        model.heads = nn.Identity()
        return model, hidden_dim

    return build


for _name in _VIT_DIMS:
    register_backbone(_name)(_vit(_name))
