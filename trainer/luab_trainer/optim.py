"""Optimizers and the learning-rate schedule (linear warm-up, then cosine to min_lr), stepped per iteration.

The schedule is a pure function of the step, wrapped in torch's LambdaLR, so a resumed run gets exactly the rate
it would have had.
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """timm's rule: no weight decay on biases and normalisation weights (1-D parameters)."""
    decay, no_decay = [], []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (no_decay if parameter.ndim <= 1 else decay).append(parameter)
    return [{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": weight_decay}]


def create_optimizer(model, name: str, lr: float, weight_decay: float, momentum: float) -> torch.optim.Optimizer:
    groups = param_groups(model, weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=True)
    if name == "adamp":
        # the paper's COCO optimizer (appendix F; Heo et al., 2021, from the same lab); timm ships it
        try:
            from timm.optim import AdamP
        except ImportError:
            raise RuntimeError("opt: adamp needs timm, which is not installed (adamw is the nearest without it)") from None
        return AdamP(groups, lr=lr)
    raise ValueError(f"unknown optimizer {name!r} (adamw, sgd, adamp)")


def warmup_cosine(step: int, total_steps: int, warmup_steps: int, lr: float, warmup_lr: float, min_lr: float) -> float:
    """The learning rate at ``step`` (0-based)."""
    if step < warmup_steps:
        return warmup_lr + (lr - warmup_lr) * step / warmup_steps
    span = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / span, 1.0)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def create_scheduler(optimizer, total_steps: int, warmup_steps: int, lr: float, warmup_lr: float, min_lr: float):
    if lr <= 0:
        return LambdaLR(optimizer, lambda step: 0.0)
    return LambdaLR(optimizer, lambda step: warmup_cosine(step, total_steps, warmup_steps, lr, warmup_lr, min_lr) / lr)
