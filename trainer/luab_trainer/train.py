"""The training entry point: data, model, loss, optimizer, the epoch loop, checkpoints, and the export at the end.

One JSON line per epoch goes to stdout and to ``<run>/log.jsonl`` (stdout carries nothing else, so a wrapper such
as ``luab train`` can read it); logs and the progress bar go to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Optional

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from . import __version__
from .checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from .config import TrainConfig, write_resolved
from .data.classes import ClassInfo
from .data.factory import build_data
from .data.loader import build_eval_loader, build_train_loader, seed_epoch
from .data.mixing import BatchMixer
from .distributed import DistInfo, init_distributed, shutdown
from .engine import StepContext, evaluate, train_one_epoch
from .export import ExportResult, ExportSpec, export_to_repository
from .losses import LuabLoss
from .models import PointClassifier, create_model
from .optim import create_optimizer, create_scheduler
from .plots import plot_history

_logger = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was asked for, but torch sees no CUDA device")
    return torch.device(name)


def make_grad_scaler(enabled: bool):
    """torch.amp.GradScaler on PyTorch 2.3+, torch.cuda.amp.GradScaler before (deprecated after)."""
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def point_slots(objective: str, multi_label: bool, num_classes: int) -> int:
    if objective == "baseline":
        return 0  # never trained, so never built: serving an untrained head would mislead
    return num_classes if multi_label else 1


def build_model_for(cfg: TrainConfig, num_classes: int, multi_label: bool) -> PointClassifier:
    size = (cfg.input_size, cfg.input_size)
    slots = point_slots(cfg.objective, multi_label, num_classes)
    return create_model(cfg.model, num_classes, slots, size, cfg.prefer_timm, cfg.drop_path)


def export_spec(cfg: TrainConfig, classes: list[ClassInfo], multi_label: bool, history: list[dict]) -> ExportSpec:
    final = history[-1] if history else {}
    provenance = {
        "trainer": f"luab_trainer {__version__}",
        "torch": torch.__version__,
        "model": cfg.model,
        "objective": cfg.objective,
        "lambda": cfg.point_lambda if cfg.objective != "baseline" else 0,
        "epochs": len(history),
        "seed": cfg.seed,
        "data": {
            "dataset": cfg.dataset,
            "data_dir": cfg.data_dir,
            "target_rule": cfg.coco_target_rule if cfg.dataset == "coco-ab" else cfg.target_rule,
            **({"crop_rule": cfg.coco_crop_rule} if cfg.dataset == "coco-ab" else {}),
        },
        **({"rand_mode": cfg.rand_mode} if cfg.objective == "rand" else {}),
        "final_metrics": {k: v for k, v in final.items() if k.startswith("val_") or k.startswith("loss")},
    }
    return ExportSpec(
        labels=[info.label() for info in classes],
        multi_label=multi_label,
        input_size=cfg.input_size,
        mean=cfg.mean,
        std=cfg.std,
        crop_pct=cfg.crop_pct,
        crop_mode=cfg.crop_mode,
        interpolation=cfg.interpolation,
        description=cfg.description,
        provenance=provenance,
    )


def _run_dir(cfg: TrainConfig, info: DistInfo) -> str:
    if cfg.resume:
        return os.path.dirname(os.path.abspath(cfg.resume))
    name = cfg.experiment or f"{cfg.model}-{cfg.objective}-{time.strftime('%Y%m%d-%H%M%S')}"
    if info.enabled:  # the time stamp must be rank 0's on every process
        holder = [name]
        dist.broadcast_object_list(holder, src=0)
        name = holder[0]
    run_dir = os.path.join(cfg.output, name)
    if os.path.exists(os.path.join(run_dir, CHECKPOINT_NAME)):
        raise FileExistsError(f"{run_dir} already holds a run: continue it with --resume, or pick --experiment")
    return run_dir


def run_training(cfg: TrainConfig) -> dict:
    """Train (or continue) the run ``cfg`` describes; returns {run_dir, history, export}."""
    device = resolve_device(cfg.device)
    info = init_distributed(device.type)
    try:
        return _train(cfg, device, info)
    finally:
        shutdown(info)


def _train(cfg: TrainConfig, device: torch.device, info: DistInfo) -> dict:
    torch.set_num_threads(cfg.threads or max(1, (os.cpu_count() or 1) // info.local_world_size))
    amp = cfg.amp and device.type == "cuda"
    run_dir = _run_dir(cfg, info)
    state = load_checkpoint(cfg.resume) if cfg.resume else None
    if info.is_main:
        os.makedirs(run_dir, exist_ok=True)
        write_resolved(cfg, run_dir)

    torch.manual_seed(cfg.seed)
    data = build_data(cfg, progress=cfg.progress and info.is_main)
    if state is not None and [c["folder"] for c in state["classes"]] != [c.folder for c in data.classes]:
        raise ValueError(f"--resume {cfg.resume}: the dataset's classes differ from the checkpoint's")
    model = build_model_for(cfg, len(data.classes), data.multi_label).to(device)
    if state is not None:
        model.load_state_dict(state["model"])
    train_model = model
    if info.enabled:
        if cfg.sync_bn and device.type == "cuda":
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        train_model = DistributedDataParallel(model, device_ids=[info.local_rank] if device.type == "cuda" else None)

    train_loader = build_train_loader(data.train, cfg.batch_size, cfg.workers, cfg.seed, info)
    val_loader = build_eval_loader(data.val, cfg.batch_size // info.world_size, cfg.workers, info) if data.val else None
    steps = len(train_loader)
    optimizer = create_optimizer(model, cfg.opt, cfg.lr, cfg.weight_decay, cfg.momentum)
    scheduler = create_scheduler(
        optimizer, steps * cfg.epochs, round(steps * cfg.warmup_epochs), cfg.lr, cfg.warmup_lr, cfg.min_lr
    )
    scaler = make_grad_scaler(amp)
    criterion = LuabLoss(data.multi_label, cfg.point_lambda, cfg.label_smoothing, cfg.smooth_l1_beta)
    history: list[dict] = []
    start_epoch = 0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, history = state["epoch"], list(state["history"])
        _logger.info("resuming %s after epoch %d of %d", run_dir, start_epoch, cfg.epochs)

    mixer = None
    if cfg.mixup > 0 or cfg.cutmix > 0:
        mixer = BatchMixer(cfg.mixup, cfg.cutmix, cfg.mixup_prob, cfg.mixup_switch_prob, cfg.label_smoothing,
                           len(data.classes), data.multi_label)  # fmt: skip
    ctx = StepContext(device=device, amp=amp, clip_grad=cfg.clip_grad, dist=info, progress=cfg.progress, mixer=mixer)
    log_path = os.path.join(run_dir, "log.jsonl")
    for epoch in range(start_epoch, cfg.epochs):
        started = time.perf_counter()
        seed_epoch(train_loader, cfg.seed, epoch, info)
        entry = {"epoch": epoch, "epochs": cfg.epochs}
        entry.update(train_one_epoch(train_model, criterion, train_loader, optimizer, scheduler, scaler, epoch, ctx))
        entry["train_seconds"] = round(time.perf_counter() - started, 3)
        if val_loader is not None:
            entry.update(evaluate(model, val_loader, device, amp, data.multi_label, info, cfg.progress))
        entry = json.loads(json.dumps(entry))  # plain floats/ints only (the checkpoint loads with weights_only)
        history.append(entry)
        if info.is_main:
            print(json.dumps(entry), flush=True)
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
            save_checkpoint(
                os.path.join(run_dir, CHECKPOINT_NAME),
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(),
                    "epoch": epoch + 1,
                    "config": cfg.to_dict(),
                    "classes": [{"name": c.name, "folder": c.folder} for c in data.classes],
                    "multi_label": data.multi_label,
                    "history": history,
                },
            )
    if info.is_main and history:
        plot_history(history, os.path.join(run_dir, "curves.png"), f"{os.path.basename(run_dir)}: {cfg.model}, {cfg.objective}")
    exported: Optional[ExportResult] = None
    if cfg.export_to and info.is_main:
        exported = export_to_repository(model, export_spec(cfg, data.classes, data.multi_label, history), cfg.export_to)
    return {"run_dir": run_dir, "history": history, "export": exported, "skipped_records": data.skips.skipped}
