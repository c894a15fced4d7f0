"""One epoch of training and the evaluation (timm/DeiT's ``train_one_epoch`` and ``evaluate``)."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from .distributed import DistInfo, all_reduce_sum
from .losses import LuabLoss


class NonFiniteLossError(RuntimeError):
    """Training stops here: a NaN/inf loss would otherwise silently poison every weight."""


@dataclass(frozen=True)
class StepContext:
    """What a training step needs besides the model and the data (typed, instead of the whole config)."""

    device: torch.device
    amp: bool
    clip_grad: Optional[float]
    dist: DistInfo
    progress: bool
    #: mixup/cutmix of each training batch (data/mixing.py), on the device, before the forward pass
    mixer: Optional[Callable[[dict], dict]] = None


def autocast(device: torch.device, enabled: bool):
    """float16 autocast on CUDA; a no-op elsewhere (CPU float16/bfloat16 autocast is not what this recipe uses)."""
    if enabled and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


def train_step(
    model: torch.nn.Module,
    criterion: LuabLoss,
    batch: dict,
    optimizer: torch.optim.Optimizer,
    scheduler,
    scaler,
    ctx: StepContext,
    where: str = "",
) -> dict:
    """One optimisation step on a batch already on the device; returns the loss parts (tensors)."""
    with autocast(ctx.device, ctx.amp):
        logits, points = model(batch["image"])
        denominator = None
        if ctx.dist.enabled and points is not None:
            # DDP averages gradients over processes; normalising by the GLOBAL target count (over world size)
            # makes that average equal one process's loss over the whole global batch
            global_count = all_reduce_sum(batch["point_weight"].sum(), ctx.dist)
            denominator = global_count.clamp(min=1.0) / ctx.dist.world_size
        parts = criterion(logits, points, batch["label"], batch["point"], batch["point_weight"], denominator)
    loss = parts["loss"]
    finite = torch.isfinite(loss.detach()).to(torch.float32)
    if ctx.dist.enabled:
        dist.all_reduce(finite, op=dist.ReduceOp.MIN)  # every process stops together, none waits forever
    if finite.item() < 1:
        raise NonFiniteLossError(
            f"non-finite loss at {where}: loss={loss.item()}, "
            f"loss_cls={parts['loss_cls'].item()}, loss_point={parts['loss_point'].item()} "
            "(on this process, or another one). Lower the learning rate or point_lambda, or check the data."
        )
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if ctx.clip_grad:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), ctx.clip_grad)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return parts


def train_one_epoch(
    model: torch.nn.Module,
    criterion: LuabLoss,
    loader,
    optimizer: torch.optim.Optimizer,
    scheduler,
    scaler,
    epoch: int,
    ctx: StepContext,
) -> dict:
    model.train()
    totals = torch.zeros(4, dtype=torch.float64)  # loss, loss_cls, loss_point, samples
    point_totals = torch.zeros(2, dtype=torch.float64)  # slots with a target, slots
    bar = tqdm(loader, desc=f"epoch {epoch}", unit="batch", leave=False, disable=not (ctx.progress and ctx.dist.is_main))
    for step, batch in enumerate(bar):
        batch = to_device(batch, ctx.device)
        if ctx.mixer is not None:
            batch = ctx.mixer(batch)
        parts = train_step(model, criterion, batch, optimizer, scheduler, scaler, ctx, f"epoch {epoch}, step {step}")
        n = batch["image"].shape[0]
        loss = parts["loss"].item()
        totals += torch.tensor([loss * n, parts["loss_cls"].item() * n, parts["loss_point"].item() * n, n])
        point_totals += torch.tensor([batch["point_weight"].sum().item(), batch["point_weight"].numel()])
        if ctx.dist.is_main:
            bar.set_postfix(loss=f"{loss:.4f}", lr=f"{optimizer.param_groups[0]['lr']:.2e}")
    totals, point_totals = all_reduce_sum(totals, ctx.dist), all_reduce_sum(point_totals, ctx.dist)
    samples = max(totals[3].item(), 1.0)
    return {
        "loss": totals[0].item() / samples,
        "loss_cls": totals[1].item() / samples,
        "loss_point": totals[2].item() / samples,
        "lr": optimizer.param_groups[0]["lr"],
        "train_point_target_fraction": point_totals[0].item() / max(point_totals[1].item(), 1.0),
    }


def _nearest_centre_distance(point: np.ndarray, boxes: np.ndarray) -> float:
    centres = np.stack([(boxes[:, 1] + boxes[:, 3]) / 2, (boxes[:, 2] + boxes[:, 4]) / 2], axis=1)
    return float(np.min(np.linalg.norm(centres - point[None, :], axis=1)))


def _inside_any(point: np.ndarray, boxes: np.ndarray) -> bool:
    return bool(
        np.any((boxes[:, 1] <= point[0]) & (point[0] <= boxes[:, 3]) & (boxes[:, 2] <= point[1]) & (point[1] <= boxes[:, 4]))
    )


def _point_scores(points: np.ndarray, labels: np.ndarray, boxes: list, multi_label: bool) -> np.ndarray:
    """Per batch: [hits, centre hits, error sum, centre error sum, scored slots].

    Boxes are in the model-input frame (the dataset mapped them with the eval geometry), so is the prediction.
    Single-label: the one point against all of the image's boxes. Multi-label: the point of each class present
    against that class's boxes. The constant-centre predictor (0.5, 0.5) is scored on exactly the same slots.
    """
    scores = np.zeros(5)
    centre = np.array([0.5, 0.5])
    for index, image_boxes in enumerate(boxes):
        image_boxes = image_boxes.numpy()
        if not len(image_boxes):
            continue
        slots = [(0, image_boxes)] if not multi_label else [
            (c, image_boxes[image_boxes[:, 0] == c]) for c in np.flatnonzero(labels[index] > 0.5)
        ]
        for slot, slot_boxes in slots:
            if not len(slot_boxes):
                continue
            point = points[index, slot]
            scores += [
                _inside_any(point, slot_boxes),
                _inside_any(centre, slot_boxes),
                _nearest_centre_distance(point, slot_boxes),
                _nearest_centre_distance(centre, slot_boxes),
                1,
            ]
    return scores


def average_precision(scores: np.ndarray, positives: np.ndarray) -> float:
    """Non-interpolated AP of one class (the mean of precision at each positive, as in VOC07+/sklearn); written
    here because scikit-learn is not a dependency for a dozen lines."""
    if positives.sum() == 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    hits = positives[order] > 0.5
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at[hits].mean())


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, loader, device: torch.device, amp: bool, multi_label: bool, info: DistInfo, progress: bool
) -> dict:
    """Each process scores its shard; sums are reduced. Points are in the model-input frame."""
    model.eval()
    totals = np.zeros(2)  # correct, images (single-label)
    point_totals = np.zeros(5)
    all_scores, all_labels = [], []
    has_point_head = True
    for batch in tqdm(loader, desc="eval", unit="batch", leave=False, disable=not (progress and info.is_main)):
        with autocast(device, amp):
            logits, points = model(batch["image"].to(device, non_blocking=True))
        logits, labels = logits.float().cpu(), batch["label"]
        if multi_label:
            all_scores.append(logits.numpy())
            all_labels.append(labels.numpy())
        else:
            totals += [(logits.argmax(dim=1) == labels).sum().item(), len(labels)]
        if points is None:
            # no point head (baseline): still score the constant-centre predictor on the same slots
            has_point_head = False
            points = torch.full((len(labels), labels.shape[1] if multi_label else 1, 2), 0.5)
        point_totals += _point_scores(points.float().cpu().numpy(), labels.numpy(), batch["boxes"], multi_label)
    reduced = all_reduce_sum(torch.from_numpy(np.concatenate([totals, point_totals])), info).numpy()
    totals, point_totals = reduced[:2], reduced[2:]
    metrics: dict = {}
    if multi_label:
        gathered = [(all_scores, all_labels)]
        if info.enabled:
            gathered = [None] * info.world_size
            dist.all_gather_object(gathered, (all_scores, all_labels))
        scores = np.concatenate([s for part in gathered for s in part[0]])
        positives = np.concatenate([l for part in gathered for l in part[1]])
        per_class = [average_precision(scores[:, c], positives[:, c]) for c in range(scores.shape[1])]
        metrics["val_map"] = float(np.nanmean(per_class)) if not all(math.isnan(a) for a in per_class) else None
        metrics["val_images"] = int(len(scores))
    else:
        metrics["val_top1"] = totals[0] / totals[1] if totals[1] else None
        metrics["val_images"] = int(totals[1])
    scored = point_totals[4]
    metrics["val_point_slots"] = int(scored)
    if has_point_head and scored:
        metrics.update(
            val_point_acc=point_totals[0] / scored,
            val_point_error=point_totals[2] / scored,
        )
    else:
        metrics.update(val_point_acc=None, val_point_error=None)
    metrics.update(
        val_centre_point_acc=point_totals[1] / scored if scored else None,
        val_centre_point_error=point_totals[3] / scored if scored else None,
    )
    return metrics
