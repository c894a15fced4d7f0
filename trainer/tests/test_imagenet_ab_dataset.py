"""ImageNet-AB as training data: images joined with their XML by file stem, in one process or a pool."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from luab_trainer.byproducts.errors import ByproductFormatError, SkipCounter
from luab_trainer.data.classes import load_classes
from luab_trainer.data.imagenet_ab import build_imagenet_ab


def build(data_dir: str, skips: SkipCounter, processes: int = 0, split: str = "train", with_boxes: bool = False):
    classes = load_classes(data_dir, "train")
    xml = os.path.join(data_dir, f"{split}_xml")
    return build_imagenet_ab(data_dir, split, xml, classes, "first-selected-mean", skips, with_boxes, False, processes)


def test_join_by_stem_and_missing_xml_means_no_target(toy_data, tmp_path):
    data = tmp_path / "toy"
    shutil.copytree(toy_data[0], data)
    os.remove(data / "train_xml" / "n00000001" / "n00000001_7.xml")
    ann = build(str(data), SkipCounter())
    index = ann.paths.index(str(data / "train" / "n00000001" / "n00000001_7.JPEG"))
    assert ann.weights[index, 0] == 0 and ann.labels[index] == 0
    assert len(ann.paths) == 300 and set(ann.labels.tolist()) == {0, 1, 2}
    # the targets sit on the objects the generator drew (clicks are simulated near the centre, sigma 0.03)
    _, written = toy_data
    by_path = {os.path.basename(p): obj for p, obj in written["train"]}
    errors = [np.hypot(*(ann.points[i, 0] - (np.array(by_path[os.path.basename(p)].box[:2]) +
                                             np.array(by_path[os.path.basename(p)].box[2:]) + 1) / 2 / 40))
              for i, p in enumerate(ann.paths) if ann.weights[i, 0]]  # fmt: skip
    assert np.median(errors) < 0.05


def test_pool_gives_the_same_annotations_and_counts_skips(toy_data, tmp_path):
    data = tmp_path / "toy"
    shutil.copytree(toy_data[0], data)
    broken = data / "train_xml" / "n00000003" / "n00000003_2.xml"
    broken.write_text("<annotation><metadata>")
    serial_skips, pooled_skips = SkipCounter(skip_bad=True), SkipCounter(skip_bad=True)
    serial = build(str(data), serial_skips)
    pooled = build(str(data), pooled_skips, processes=2)
    assert np.array_equal(serial.points, pooled.points) and np.array_equal(serial.weights, pooled.weights)
    assert serial_skips.skipped == pooled_skips.skipped == 1
    with pytest.raises(ByproductFormatError, match="n00000003_2.xml: field '<document>'"):
        build(str(data), SkipCounter(), processes=2)


def test_validation_boxes(toy_data):
    ann = build(toy_data[0], SkipCounter(), split="val", with_boxes=True)
    assert len(ann.paths) == 90 and all(len(b) == 1 for b in ann.boxes)
    assert ann.weights.sum() == 0  # LOC XML has no annotator blocks: no training target
