"""Backbones and heads: output shapes, the point range, and the registry's refusals (timm not needed)."""

from __future__ import annotations

import pytest
import torch

from luab_trainer.models import backbone_names, create_model
from luab_trainer.optim import warmup_cosine


def test_registry_lists_the_papers_backbones():
    assert set(backbone_names()) == {
        "small_cnn", "resnet18", "resnet50", "resnet101", "resnet152", "vit_tiny", "vit_small", "vit_base",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown model 'resnet19'"):
        create_model("resnet19", 3, 1, (64, 64))


@pytest.mark.parametrize("name, size, features", [("small_cnn", 32, 256), ("resnet18", 64, 512), ("vit_tiny", 32, 192)])
@pytest.mark.parametrize("slots", [0, 1, 5])
def test_heads_and_shapes(name, size, features, slots):
    torch.manual_seed(0)
    model = create_model(name, 5, slots, (size, size), prefer_timm=False).eval()
    assert model.head.in_features == features
    logits, points = model(torch.randn(2, 3, size, size))
    assert logits.shape == (2, 5)
    if slots == 0:
        assert points is None and model.point_head is None
    else:
        assert points.shape == (2, slots, 2) and ((points > 0) & (points < 1)).all()


def test_vit_dimensions_follow_deit():
    small = create_model("vit_small", 3, 1, (32, 32), prefer_timm=False)
    assert small.head.in_features == 384 and len(small.backbone.encoder.layers) == 12
    with pytest.raises(ValueError, match="multiple of 16"):
        create_model("vit_tiny", 3, 1, (40, 40), prefer_timm=False)


def test_warmup_cosine_by_hand():
    assert warmup_cosine(0, 100, 10, 1.0, 0.0, 0.0) == 0.0
    assert warmup_cosine(5, 100, 10, 1.0, 0.0, 0.0) == pytest.approx(0.5)
    assert warmup_cosine(10, 100, 10, 1.0, 0.0, 0.1) == pytest.approx(1.0)
    assert warmup_cosine(55, 100, 10, 1.0, 0.0, 0.1) == pytest.approx(0.55)  # half way down the cosine
    assert warmup_cosine(100, 100, 10, 1.0, 0.0, 0.1) == pytest.approx(0.1)
