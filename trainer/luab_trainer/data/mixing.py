"""Mixup and CutMix of a training batch, with the point targets handled consistently (timm's draws).

timm's ``Mixup`` in batch mode pairs image i with image N-1-i (the flipped batch) and draws one lambda and the
choice mixup/cutmix per batch; this module uses it for exactly that draw (and timm's ``cutmix_bbox_and_lam`` for
the box), then mixes images, labels and points itself, because timm's class knows nothing of points:

- labels: ``lam * y_i + (1 - lam) * y_j`` (one-hot with label smoothing for single-label, as timm's
  ``mixup_target``; multi-hot for multi-label), where lam is the share of image i (after CutMix, the area share);
- mixup: both objects stay visible, blended, so both points are targets: the point term is ``lam`` times the loss
  against i's point plus ``(1 - lam)`` times the loss against j's point, each where that source has a target;
- cutmix: the source that covers more of the image (lam >= 0.5: i, else j) gives the point, and only if its point
  is still visible (i's outside the pasted box, j's inside it); otherwise the sample has no point term.

The point targets come back with two slots per original slot (source i's, then source j's) and weights that carry
the factors above; ``LuabLoss`` repeats the prediction over the sources. The draw uses NumPy's global generator
(timm's), which ``seed_epoch`` seeds, so a resumed run mixes exactly as an uninterrupted one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Optional

import torch


@dataclass(frozen=True)
class MixDraw:
    """One batch's draw: ``lam`` (the share of image i) and, for CutMix, the pasted box (pixels, end exclusive)."""

    lam: float
    box: Optional[tuple[int, int, int, int]] = None  # (y0, y1, x0, x1)


def soft_labels(labels: torch.Tensor, num_classes: int, multi_label: bool, smoothing: float) -> torch.Tensor:
    if multi_label:
        return labels.float()
    off = smoothing / num_classes
    return torch.full((labels.shape[0], num_classes), off, device=labels.device).scatter_(
        1, labels.view(-1, 1), 1.0 - smoothing + off
    )


def apply_mix(batch: dict, draw: MixDraw, num_classes: int, multi_label: bool, smoothing: float) -> dict:
    """The mixed batch (a new dict): ``image``, soft ``label``, and ``point``/``point_weight`` with two sources."""
    images, points, weights = batch["image"], batch["point"], batch["point_weight"]
    labels = soft_labels(batch["label"], num_classes, multi_label, smoothing)
    lam = draw.lam
    flipped = images.flip(0)
    if draw.box is None:
        mixed = images * lam + flipped * (1.0 - lam)
        w_i, w_j = weights * lam, weights.flip(0) * (1.0 - lam)
    else:
        y0, y1, x0, x1 = draw.box
        mixed = images.clone()
        mixed[:, :, y0:y1, x0:x1] = flipped[:, :, y0:y1, x0:x1]
        height, width = images.shape[-2:]

        def in_box(p: torch.Tensor) -> torch.Tensor:
            x, y = p[..., 0] * width, p[..., 1] * height
            return ((x >= x0) & (x < x1) & (y >= y0) & (y < y1)).to(weights.dtype)

        if lam >= 0.5:
            w_i, w_j = weights * (1.0 - in_box(points)), torch.zeros_like(weights)
        else:
            w_i, w_j = torch.zeros_like(weights), weights.flip(0) * in_box(points.flip(0))
    out = dict(batch)
    out.update(
        image=mixed,
        label=labels * lam + labels.flip(0) * (1.0 - lam),
        point=torch.cat([points, points.flip(0)], dim=1),
        point_weight=torch.cat([w_i, w_j], dim=1),
    )
    return out


class BatchMixer:
    """Draws with timm's Mixup (batch mode) and mixes with ``apply_mix``."""

    def __init__(
        self, mixup: float, cutmix: float, prob: float, switch_prob: float, smoothing: float,
        num_classes: int, multi_label: bool,
    ) -> None:  # fmt: skip
        try:
            mixup_module = importlib.import_module("timm.data.mixup")
        except ImportError:
            raise RuntimeError("mixup/cutmix need timm, which is not installed") from None
        self._cutmix_box = mixup_module.cutmix_bbox_and_lam
        self._timm = mixup_module.Mixup(
            mixup_alpha=mixup, cutmix_alpha=cutmix, prob=prob, switch_prob=switch_prob, mode="batch",
            label_smoothing=smoothing, num_classes=num_classes,
        )  # fmt: skip
        self.smoothing, self.num_classes, self.multi_label = smoothing, num_classes, multi_label

    def draw(self, image_shape: tuple[int, ...]) -> MixDraw:
        lam, use_cutmix = self._timm._params_per_batch()  # timm's own draw of (lambda, mixup or cutmix)
        if lam == 1.0:
            return MixDraw(1.0)
        if use_cutmix:
            (y0, y1, x0, x1), lam = self._cutmix_box(image_shape, lam, correct_lam=True)
            return MixDraw(float(lam), (int(y0), int(y1), int(x0), int(x1)))
        return MixDraw(float(lam))

    def __call__(self, batch: dict) -> dict:
        if batch["image"].shape[0] % 2:
            raise ValueError("mixup/cutmix pair image i with image N-1-i: the per-process batch must be even")
        draw = self.draw(tuple(batch["image"].shape))
        return apply_mix(batch, draw, self.num_classes, self.multi_label, self.smoothing)
