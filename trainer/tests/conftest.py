"""Shared fixtures. Tests run with one torch thread: on a 2-core machine shared with other jobs, two OpenMP
threads that spin while waiting are several times slower than one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

TRAINER_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TRAINER_DIR.parent
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(TRAINER_DIR))

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def toy_data(tmp_path_factory) -> tuple[str, dict]:
    """The tiny shapes dataset in the real ImageNet-AB layout (300 training images, 90 validation images)."""
    from luab_trainer.toydata import make_toy_dataset

    root = tmp_path_factory.mktemp("toy")
    written = make_toy_dataset(str(root), train_per_class=100, val_per_class=30, size=40, seed=0)
    return str(root), written


def toy_config(data_dir: str, run_root: str, **overrides):
    """A configuration that trains the small CNN on the toy data in seconds."""
    from luab_trainer.config import TrainConfig

    values = dict(
        data_dir=data_dir,
        input_size=32,
        crop_pct=1.0,
        scale=[0.5, 1.0],
        epochs=2,
        batch_size=32,
        lr=2e-3,
        warmup_epochs=0.5,
        workers=0,
        threads=1,
        output=run_root,
        progress=False,
        seed=0,
    )
    values.update(overrides)
    config = TrainConfig(**values)
    config.validate()
    return config


def subprocess_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(TRAINER_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    return env
