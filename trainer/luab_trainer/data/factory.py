"""Builds the training and validation datasets a configuration asks for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from ..byproducts.errors import SkipCounter
from ..config import TrainConfig
from .classes import ClassInfo, load_classes
from .coco_ab import build_coco_ab, coco_classes, read_coco_instances
from .imagenet_ab import build_imagenet_ab
from .point_dataset import PointDataset
from .rand_points import make_random_targets
from .timm_augment import random_erasing
from .transforms import build_eval_transform, build_train_transform


@dataclass
class DataBundle:
    train: PointDataset
    val: Optional[PointDataset]
    classes: list[ClassInfo]
    multi_label: bool
    skips: SkipCounter


def build_data(cfg: TrainConfig, progress: bool) -> DataBundle:
    size = (cfg.input_size, cfg.input_size)
    train_tf = build_train_transform(
        size, cfg.scale, cfg.ratio, cfg.hflip, cfg.color_jitter, cfg.interpolation, cfg.rand_augment, cfg.mean
    )
    eval_tf = build_eval_transform(size, cfg.crop_pct, cfg.crop_mode, cfg.interpolation)
    skips = SkipCounter(skip_bad=cfg.skip_bad)
    data_dir = cfg.data_dir
    if cfg.dataset == "imagenet-ab":
        classes = load_classes(data_dir, cfg.train_split)
        train_ann = build_imagenet_ab(
            data_dir, cfg.train_split, cfg.train_xml_dir or os.path.join(data_dir, "train_xml"),
            classes, cfg.target_rule, skips, with_boxes=False, progress=progress, processes=cfg.workers,
        )  # fmt: skip
        val_ann = None
        if cfg.val_split:
            val_xml = cfg.val_xml_dir or os.path.join(data_dir, "val_xml")
            val_ann = build_imagenet_ab(
                data_dir, cfg.val_split, val_xml if os.path.isdir(val_xml) else None,
                classes, cfg.target_rule, skips, with_boxes=True, progress=progress, processes=cfg.workers,
            )  # fmt: skip
        multi_label = False
    else:
        train_instances = read_coco_instances(cfg.coco_train_instances)
        classes = coco_classes(train_instances)
        train_ann = build_coco_ab(
            train_instances, cfg.coco_train_images or os.path.join(data_dir, "train2014"), classes,
            cfg.coco_ab_json, cfg.coco_target_rule, skips, with_boxes=False, progress=progress,
        )  # fmt: skip
        val_ann = None
        if cfg.coco_val_instances:
            val_ann = build_coco_ab(
                read_coco_instances(cfg.coco_val_instances), cfg.coco_val_images or os.path.join(data_dir, "val2014"),
                classes, None, cfg.coco_target_rule, skips, with_boxes=True, progress=progress,
            )  # fmt: skip
        multi_label = True
    skips.report("byproduct records")
    rand = make_random_targets(cfg.rand_mode, train_ann.points.shape, cfg.seed) if cfg.objective == "rand" else None
    return DataBundle(
        train=PointDataset(
            train_ann, train_tf, cfg.mean, cfg.std, rand,
            drop_labels_outside_crop=multi_label and cfg.coco_crop_rule == "drop-label",
            tensor_transform=random_erasing(cfg.reprob, cfg.remode) if cfg.reprob > 0 else None,
        ),  # fmt: skip
        val=PointDataset(val_ann, eval_tf, cfg.mean, cfg.std) if val_ann is not None else None,
        classes=classes,
        multi_label=multi_label,
        skips=skips,
    )
