"""--resume continues exactly: an interrupted run resumed from its last checkpoint ends with the same weights,
optimizer state and log as a run that was never interrupted."""

from __future__ import annotations

import pytest
import torch
from conftest import toy_config

import luab_trainer.train as train_module
from luab_trainer.checkpoint import CHECKPOINT_NAME, load_checkpoint
from luab_trainer.config import ConfigError, merge_for_resume
from luab_trainer.train import run_training


class Interrupted(Exception):
    pass


def test_resume_is_exact(toy_data, tmp_path, monkeypatch):
    data_dir, _ = toy_data
    common = dict(epochs=3, hflip=0.5, color_jitter=0.4)  # random augmentation on: its RNG must be restored too
    straight = run_training(toy_config(data_dir, str(tmp_path), experiment="straight", **common))

    real_epoch = train_module.train_one_epoch
    calls = {"n": 0}

    def crash_in_third_epoch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Interrupted()
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train_module, "train_one_epoch", crash_in_third_epoch)
    with pytest.raises(Interrupted):
        run_training(toy_config(data_dir, str(tmp_path), experiment="interrupted", **common))
    monkeypatch.setattr(train_module, "train_one_epoch", real_epoch)
    checkpoint = str(tmp_path / "interrupted" / CHECKPOINT_NAME)
    assert load_checkpoint(checkpoint)["epoch"] == 2

    resumed = run_training(toy_config(data_dir, str(tmp_path), experiment="interrupted", resume=checkpoint, **common))
    assert [e["loss"] for e in resumed["history"]] == [e["loss"] for e in straight["history"]]
    a = load_checkpoint(str(tmp_path / "straight" / CHECKPOINT_NAME))
    b = load_checkpoint(checkpoint)
    for name, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][name]), name
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"]


def test_resume_refuses_a_changed_experiment(toy_data, tmp_path):
    stored = toy_config(toy_data[0], str(tmp_path)).to_dict()
    changed = dict(stored, lr=0.5, workers=3)
    with pytest.raises(ConfigError, match=r"lr \(0.002 stored, 0.5 given\)"):
        merge_for_resume(stored, changed, {"lr", "workers"}, "ckpt.pth")
    merged = merge_for_resume(stored, changed, {"workers"}, "ckpt.pth")
    assert merged.workers == 3 and merged.lr == stored["lr"] and merged.resume == "ckpt.pth"


def test_a_finished_run_folder_is_not_overwritten(toy_data, tmp_path):
    config = toy_config(toy_data[0], str(tmp_path), experiment="once", epochs=1)
    run_training(config)
    with pytest.raises(FileExistsError, match="--resume"):
        run_training(config)
