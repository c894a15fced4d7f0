"""Backbones register by name (timm's ``@register_model``). A builder returns ``(module, num_features)``: the
module maps an image batch to its penultimate features ``[N, num_features]``, where both heads attach."""

from __future__ import annotations

from typing import Callable

import torch.nn as nn

BackboneBuilder = Callable[..., tuple[nn.Module, int]]
_BACKBONES: dict[str, BackboneBuilder] = {}


def register_backbone(name: str) -> Callable[[BackboneBuilder], BackboneBuilder]:
    def decorate(builder: BackboneBuilder) -> BackboneBuilder:
        if name in _BACKBONES:
            raise ValueError(f"backbone {name!r} is registered twice")
        _BACKBONES[name] = builder
        return builder

    return decorate


def backbone_names() -> list[str]:
    return sorted(_BACKBONES)


def create_backbone(
    name: str, input_size: tuple[int, int], prefer_timm: bool, drop_path: float = 0.0
) -> tuple[nn.Module, int]:
    if name not in _BACKBONES:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(backbone_names())}")
    return _BACKBONES[name](input_size=input_size, prefer_timm=prefer_timm, drop_path=drop_path)
