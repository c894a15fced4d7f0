"""The LUAB objective: masking, averaging over the slots with a target, lambda, and the DDP normaliser."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from luab_trainer.losses import LuabLoss


def test_masked_average_by_hand():
    loss = LuabLoss(multi_label=False, point_lambda=10.0, label_smoothing=0.0, smooth_l1_beta=1.0)
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1])
    points = torch.tensor([[[0.2, 0.4]], [[0.9, 0.9]]], requires_grad=True)
    targets = torch.tensor([[[0.5, 0.5]], [[0.0, 0.0]]])  # the second is far off, but has no target
    weights = torch.tensor([[1.0], [0.0]])
    parts = loss(logits, points, labels, targets, weights)
    # smooth-L1 (beta 1) of diffs 0.3 and 0.1: 0.5 * d^2 -> 0.045 and 0.005, mean over x/y = 0.025
    assert parts["loss_point"].item() == pytest.approx(0.025)
    assert parts["loss"].item() == pytest.approx(F.cross_entropy(logits, labels).item() + 10 * 0.025)
    parts["loss"].backward()
    assert points.grad[1].abs().sum() == 0  # the masked sample gets no gradient at all
    assert parts["point_count"].item() == 1


def test_no_target_in_batch_gives_zero_point_loss():
    loss = LuabLoss(False, 10.0)
    points = torch.rand(3, 1, 2, requires_grad=True)
    parts = loss(torch.randn(3, 4), points, torch.tensor([0, 1, 2]), torch.rand(3, 1, 2), torch.zeros(3, 1))
    assert parts["loss_point"].item() == 0
    parts["loss"].backward()
    assert torch.isfinite(points.grad).all()


def test_baseline_has_no_point_term():
    loss = LuabLoss(False, 10.0, label_smoothing=0.1)
    logits, labels = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    parts = loss(logits, None, labels, torch.rand(4, 1, 2), torch.ones(4, 1))
    assert parts["loss"].item() == pytest.approx(F.cross_entropy(logits, labels, label_smoothing=0.1).item())


def test_multi_label_averages_over_present_classes_with_target():
    loss = LuabLoss(multi_label=True, point_lambda=5.0)
    logits = torch.zeros(1, 3)
    labels = torch.tensor([[1.0, 1.0, 0.0]])
    points = torch.tensor([[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]])
    targets = torch.tensor([[[0.5, 0.7], [0.5, 0.9], [0.0, 0.0]]])
    weights = torch.tensor([[1.0, 1.0, 0.0]])
    parts = loss(logits, points, labels, targets, weights)
    # slot 0: 0.5*0.04/2 = 0.01; slot 1: 0.5*0.16/2 = 0.04; mean 0.025; BCE of zero logits is log 2
    assert parts["loss_point"].item() == pytest.approx(0.025)
    assert parts["loss_cls"].item() == pytest.approx(np.log(2))
    assert parts["loss"].item() == pytest.approx(np.log(2) + 5 * 0.025)


def test_denominator_override_is_what_ddp_needs():
    """Two shards with 1 and 3 targets: the mean of per-shard losses normalised by (global count / 2) equals the
    loss over the whole batch; per-shard local means would not."""
    loss = LuabLoss(False, 1.0)
    torch.manual_seed(0)
    points, targets = torch.rand(8, 1, 2), torch.rand(8, 1, 2)
    weights = torch.tensor([[1.0], [0], [0], [0], [1], [1], [1], [0]])
    logits, labels = torch.randn(8, 2), torch.randint(0, 2, (8,))
    whole = loss(logits, points, labels, targets, weights)["loss_point"]
    shards = [slice(0, 4), slice(4, 8)]
    denominator = weights.sum() / 2
    sharded = sum(loss(logits[s], points[s], labels[s], targets[s], weights[s], denominator)["loss_point"] for s in shards) / 2
    local = sum(loss(logits[s], points[s], labels[s], targets[s], weights[s])["loss_point"] for s in shards) / 2
    assert sharded.item() == pytest.approx(whole.item())
    assert local.item() != pytest.approx(whole.item())

