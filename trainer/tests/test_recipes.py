"""The shipped recipes follow the paper: COCO-AB ResNet-50 appendix F, ImageNet-AB ResNet-50 section 5.1's 100
epochs; every recipe is a valid configuration, and the ones that need timm say so where it is missing."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import TRAINER_DIR

from luab_trainer.config import ConfigError, TrainConfig, load_yaml

CONFIGS = sorted((TRAINER_DIR / "configs").glob("*.yaml"))


def recipe(name: str) -> TrainConfig:
    return TrainConfig(**{**TrainConfig().to_dict(), **load_yaml(str(TRAINER_DIR / "configs" / name))})


def test_coco_resnet50_is_appendix_f():
    cfg = recipe("coco-ab-resnet50.yaml")
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.weight_decay, cfg.opt) == (100, 128, 2e-5, 0.01, "adamp")
    assert cfg.scale[0] == 0.1 and cfg.reprob == 0.5
    assert cfg.coco_crop_rule == "drop-label" and cfg.point_lambda == 50


def test_imagenet_resnet50_is_the_100_epoch_setup():
    assert recipe("imagenet-ab-resnet50.yaml").epochs == 100
    assert recipe("imagenet-ab-vit-small.yaml").epochs == 300  # DeiT's, for the ViT


@pytest.fixture
def timm_absent(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "timm" else real(name, *a))


@pytest.fixture
def timm_present(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "timm" else real(name, *a))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_recipe_is_valid_where_timm_is_installed(path, timm_present):
    recipe(path.name).validate()


def test_recipes_that_need_timm_name_the_keys_without_it(timm_absent):
    with pytest.raises(ConfigError, match=r"reprob, opt: need timm.*opt: adamw replaces adamp"):
        recipe("coco-ab-resnet50.yaml").validate()
    with pytest.raises(ConfigError, match=r"rand_augment, drop_path, reprob, mixup, cutmix: need timm"):
        recipe("imagenet-ab-vit-small.yaml").validate()
    for name in ("imagenet-ab-resnet50.yaml", "synth-luab.yaml", "synth-rand.yaml", "toy-luab.yaml"):
        recipe(name).validate()
