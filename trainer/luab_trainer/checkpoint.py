"""Checkpoints: everything a resumed run needs to continue exactly (weights, optimizer, schedule, loss scaler,
the epoch, the configuration and the log so far). Written atomically: a crash mid-write leaves the previous one."""

from __future__ import annotations

import os
from typing import Any

import torch

CHECKPOINT_NAME = "checkpoint-last.pth"


def save_checkpoint(path: str, state: dict[str, Any]) -> None:
    partial = path + ".partial"
    torch.save(state, partial)
    os.replace(partial, path)


def load_checkpoint(path: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such checkpoint")
    state = torch.load(path, map_location="cpu")
    missing = [key for key in ("model", "config", "epoch", "classes") if key not in state]
    if missing:
        raise ValueError(f"{path}: not a luab_trainer checkpoint (missing {', '.join(missing)})")
    return state
