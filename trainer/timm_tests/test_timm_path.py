"""timm's RandAugment (photometric ops only), RandomErasing, Mixup/CutMix draws, AdamP and stochastic depth, in a
short run that exports."""

from __future__ import annotations

import numpy as np
import torch
from conftest import toy_config
from PIL import Image

from luab_trainer.data.mixing import BatchMixer
from luab_trainer.data.timm_augment import GEOMETRIC_OPS, photometric_rand_augment, random_erasing
from luab_trainer.train import run_training


def test_rand_augment_keeps_only_photometric_ops():
    transform = photometric_rand_augment("rand-m9-mstd0.5-inc1", (0.485, 0.456, 0.406))
    names = {op.name for op in transform.ops}
    assert names and not names & GEOMETRIC_OPS, names
    out = transform(Image.new("RGB", (32, 24), (120, 60, 30)))
    assert out.size == (32, 24)


def test_random_erasing_changes_pixels_only():
    torch.manual_seed(0)
    import random

    random.seed(0)
    erase = random_erasing(1.0, "pixel")
    tensor = torch.zeros(3, 32, 32)
    assert erase(tensor.clone()).ne(0).any()


def test_mixer_draws_lambda_and_boxes_consistently():
    mixer = BatchMixer(0.8, 1.0, 1.0, 0.5, 0.1, num_classes=3, multi_label=False)
    np.random.seed(0)
    seen_box = seen_blend = False
    for _ in range(40):
        draw = mixer.draw((4, 3, 32, 32))
        assert 0 <= draw.lam <= 1
        if draw.box is not None:
            y0, y1, x0, x1 = draw.box
            assert abs(draw.lam - (1 - (y1 - y0) * (x1 - x0) / 1024)) < 1e-6  # timm's corrected lambda
            seen_box = True
        else:
            seen_blend = True
    assert seen_box and seen_blend


def test_short_run_with_every_timm_feature_trains_and_exports(toy_data, tmp_path):
    config = toy_config(
        toy_data[0], str(tmp_path), model="resnet18", drop_path=0.1, rand_augment="rand-m9-mstd0.5-inc1",
        reprob=0.25, mixup=0.8, cutmix=1.0, opt="adamp", lr=1e-3, epochs=1, experiment="timm",
        export_to=str(tmp_path / "models" / "timm-luab"),
    )  # fmt: skip
    result = run_training(config)
    entry = result["history"][-1]
    assert np.isfinite(entry["loss"]) and np.isfinite(entry["loss_point"]) and entry["loss_point"] > 0
    assert result["export"].parity_max_abs_diff <= 1e-4
