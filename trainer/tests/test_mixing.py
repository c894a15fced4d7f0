"""Mixup/CutMix with point targets, on tiny tensors by hand (no timm needed: timm only draws lambda and the box),
and the configuration's refusal of timm features where timm is missing."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from conftest import toy_config

from luab_trainer.config import ConfigError
from luab_trainer.data.mixing import MixDraw, apply_mix
from luab_trainer.losses import LuabLoss
from luab_trainer.models import create_model


def two_images() -> dict:
    """Image 0 all ones, image 1 all zeros (4x4); points (x, y) fractions; image 1 has no point target."""
    return {
        "image": torch.stack([torch.ones(3, 4, 4), torch.zeros(3, 4, 4)]),
        "label": torch.tensor([2, 0]),
        "point": torch.tensor([[[0.1, 0.1]], [[0.9, 0.9]]]),
        "point_weight": torch.tensor([[1.0], [0.0]]),
    }


def test_mixup_blends_and_weights_each_source_point_by_its_lambda():
    out = apply_mix(two_images(), MixDraw(0.7), num_classes=3, multi_label=False, smoothing=0.0)
    assert torch.allclose(out["image"][0], torch.full((3, 4, 4), 0.7))
    assert torch.allclose(out["image"][1], torch.full((3, 4, 4), 0.3))
    assert torch.allclose(out["label"], torch.tensor([[0.3, 0.0, 0.7], [0.7, 0.0, 0.3]]))
    # two slots per sample: its own point, then its partner's (image N-1-i)
    assert torch.equal(out["point"], torch.tensor([[[0.1, 0.1], [0.9, 0.9]], [[0.9, 0.9], [0.1, 0.1]]]))
    assert torch.allclose(out["point_weight"], torch.tensor([[0.7, 0.0], [0.0, 0.3]]))


def test_mixup_label_smoothing_as_timm():
    out = apply_mix(two_images(), MixDraw(1.0), num_classes=3, multi_label=False, smoothing=0.3)
    assert torch.allclose(out["label"][0], torch.tensor([0.1, 0.1, 0.8]))


def test_cutmix_takes_the_dominant_source_point_when_visible():
    # the pasted box: rows 0-1, columns 0-1 of 4x4 (x, y < 0.5), a quarter of the image: lam = 0.75
    out = apply_mix(two_images(), MixDraw(0.75, (0, 2, 0, 2)), num_classes=3, multi_label=False, smoothing=0.0)
    assert out["image"][0, 0, :2, :2].eq(0).all() and out["image"][0, 0, 2:, :].eq(1).all()
    assert torch.allclose(out["label"][0], torch.tensor([0.25, 0.0, 0.75]))
    # image 0 dominates, but its point (0.1, 0.1) lies under the pasted box: no point term at all
    assert out["point_weight"][0].tolist() == [0.0, 0.0]
    batch = two_images()
    batch["point"][0, 0] = torch.tensor([0.8, 0.6])  # outside the box: visible, kept
    batch["point_weight"][1, 0] = 1.0
    out = apply_mix(batch, MixDraw(0.75, (0, 2, 0, 2)), num_classes=3, multi_label=False, smoothing=0.0)
    assert out["point_weight"][0].tolist() == [1.0, 0.0]
    # image 1 also dominates its own mix (lam is per batch); its point (0.9, 0.9) is outside the box: kept
    assert out["point_weight"][1].tolist() == [1.0, 0.0]


def test_cutmix_where_the_pasted_source_dominates():
    batch = two_images()
    batch["point"] = torch.tensor([[[0.2, 0.2]], [[0.3, 0.3]]])
    batch["point_weight"] = torch.tensor([[1.0], [1.0]])
    # box rows 0-2, columns 0-2 of 4x4 is 9/16 of the image: lam = 7/16 < 0.5, the partner dominates
    out = apply_mix(batch, MixDraw(7 / 16, (0, 3, 0, 3)), num_classes=3, multi_label=False, smoothing=0.0)
    # sample 0 shows image 1's pixels in the box; image 1's point (0.3, 0.3) = pixel (1.2, 1.2): inside, kept
    assert out["point_weight"][0].tolist() == [0.0, 1.0]
    assert out["point"][0, 1].tolist() == pytest.approx([0.3, 0.3])
    batch["point"][0, 0] = torch.tensor([0.9, 0.1])  # image 0's point, outside the box: sample 1 drops it
    out = apply_mix(batch, MixDraw(7 / 16, (0, 3, 0, 3)), num_classes=3, multi_label=False, smoothing=0.0)
    assert out["point_weight"][1].tolist() == [0.0, 0.0]


def test_multi_label_mix_keeps_multi_hot_soft():
    batch = two_images()
    batch["label"] = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    out = apply_mix(batch, MixDraw(0.6), num_classes=3, multi_label=True, smoothing=0.1)
    assert torch.allclose(out["label"][0], torch.tensor([0.6, 0.4, 0.6]))


def test_loss_averages_over_the_source_weights():
    loss = LuabLoss(multi_label=False, point_lambda=1.0, smooth_l1_beta=1.0)
    out = apply_mix(two_images(), MixDraw(0.7), num_classes=3, multi_label=False, smoothing=0.0)
    predicted = torch.tensor([[[0.5, 0.5]], [[0.5, 0.5]]])
    parts = loss(torch.zeros(2, 3), predicted, out["label"], out["point"], out["point_weight"])
    # smooth-L1 with beta 1 of a 0.4 error is 0.5 * 0.4^2 = 0.08 on each axis; weights 0.7 and 0.3
    assert parts["loss_point"].item() == pytest.approx((0.7 * 0.08 + 0.3 * 0.08) / 1.0)
    # soft-target cross-entropy with equal logits: log 3 whatever the soft label
    assert parts["loss_cls"].item() == pytest.approx(torch.log(torch.tensor(3.0)).item())


@pytest.mark.parametrize(
    "overrides, names",
    [
        (dict(mixup=0.8), "mixup"),
        (dict(cutmix=1.0, reprob=0.25), "reprob, cutmix"),
        (dict(rand_augment="rand-m9-mstd0.5-inc1"), "rand_augment"),
        (dict(opt="adamp"), "opt"),
        (dict(model="resnet18", drop_path=0.1), "drop_path"),
    ],
)
def test_timm_features_without_timm_are_refused_naming_the_keys(toy_data, tmp_path, monkeypatch, overrides, names):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "timm" else real(name, *a))
    with pytest.raises(ConfigError, match=rf"{names}: need timm, which is not installed"):
        toy_config(toy_data[0], str(tmp_path), **overrides)


def test_drop_path_needs_a_timm_backbone(toy_data, tmp_path):
    with pytest.raises(ConfigError, match="drop_path: small_cnn has no residual blocks"):
        toy_config(toy_data[0], str(tmp_path), drop_path=0.1)
    with pytest.raises(ValueError, match="resnet18 without timm has no stochastic depth"):
        create_model("resnet18", 3, 1, (32, 32), prefer_timm=False, drop_path=0.1)
