"""The LUAB objective: classification loss + lambda * smooth-L1 between the point head and the byproduct target.

A small wrapper in the manner of DeiT's ``DistillationLoss``: it returns the parts so that the engine can log
them. The regression term averages over the point slots that have a target (weight 1): single-label, the samples
with a target; multi-label, the (sample, class) pairs present with a target. Under mixup the weights are the
sources' lambdas, so the average is over the weight, not the count. Slots without one contribute
nothing, and a batch without any gives a zero term (still attached to the graph, so DDP sees every parameter).
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

OBJECTIVES = ("baseline", "rand", "luab")


class LuabLoss(nn.Module):
    def __init__(
        self, multi_label: bool, point_lambda: float, label_smoothing: float = 0.0, smooth_l1_beta: float = 1.0
    ) -> None:
        super().__init__()
        self.multi_label = multi_label
        self.point_lambda = point_lambda
        self.label_smoothing = label_smoothing
        self.smooth_l1_beta = smooth_l1_beta

    def classification(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.multi_label:
            return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
        if labels.is_floating_point():
            # soft targets of mixup/cutmix (data/mixing.py): they already carry the label smoothing, as timm's
            return torch.sum(-labels * F.log_softmax(logits.float(), dim=-1), dim=-1).mean()
        return F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)

    def forward(
        self,
        logits: torch.Tensor,
        points: Optional[torch.Tensor],
        labels: torch.Tensor,
        point_targets: torch.Tensor,
        point_weights: torch.Tensor,
        point_denominator: Optional[torch.Tensor] = None,
    ) -> dict[str, torch.Tensor]:
        """``point_denominator`` overrides the local count of targets: under DDP the engine passes the global
        count divided by the world size, so that the averaged gradients equal one process's over the whole batch.
        """
        loss_cls = self.classification(logits, labels)
        if points is None:
            zero = loss_cls.new_zeros(())
            return {"loss": loss_cls, "loss_cls": loss_cls.detach(), "loss_point": zero, "point_count": zero}
        if point_targets.shape[1] != points.shape[1]:
            # mixup/cutmix give every slot one target per source (data/mixing.py): the one prediction meets each
            points = points.repeat(1, point_targets.shape[1] // points.shape[1], 1)
        per_slot = F.smooth_l1_loss(
            points.float(), point_targets.float(), reduction="none", beta=self.smooth_l1_beta
        ).mean(dim=-1)
        count = point_weights.sum()
        denominator = count.clamp(min=1.0) if point_denominator is None else point_denominator
        loss_point = (per_slot * point_weights).sum() / denominator
        return {
            "loss": loss_cls + self.point_lambda * loss_point,
            "loss_cls": loss_cls.detach(),
            "loss_point": loss_point.detach(),
            "point_count": count.detach(),
        }
