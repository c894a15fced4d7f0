"""COCO + COCO-AB as multi-label training data: the join, the masks, and a short run through export."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from conftest import REPO_ROOT, toy_config
from PIL import Image, ImageDraw

from luab_trainer.byproducts.errors import ByproductFormatError, SkipCounter
from luab_trainer.data.coco_ab import build_coco_ab, coco_classes, read_coco_instances
from luab_trainer.data.factory import build_data
from luab_trainer.data.point_dataset import PointAnnotations, PointDataset
from luab_trainer.data.transforms import RandomResizedCropWithPoints
from luab_trainer.train import run_training

CATEGORIES = [{"id": 5, "name": "red thing"}, {"id": 9, "name": "blue thing"}, {"id": 2, "name": "green thing"}]
COLOURS = {5: (220, 40, 40), 9: (40, 60, 220), 2: (40, 190, 60)}
SIZE = 40


def make_coco(root, split: str, count: int, seed: int, with_ab: bool) -> tuple[str, str | None]:
    """Images with 1-2 coloured squares; an instances file; COCO-AB 'add' records at the squares' centres."""
    rng = np.random.default_rng(seed)
    (root / split).mkdir(parents=True)
    images, annotations, records = [], [], []
    for image_id in range(seed * 1000, seed * 1000 + count):
        image = Image.fromarray(rng.integers(60, 200, (SIZE, SIZE, 3), dtype=np.uint8))
        draw = ImageDraw.Draw(image)
        actions = []
        for cid in rng.choice([5, 9, 2], size=int(rng.integers(1, 3)), replace=False):
            x, y = (int(v) for v in rng.integers(2, SIZE - 12, 2))
            draw.rectangle((x, y, x + 9, y + 9), fill=COLOURS[int(cid)])
            annotations.append({"image_id": image_id, "category_id": int(cid), "bbox": [x, y, 10, 10]})
            name = next(c["name"] for c in CATEGORIES if c["id"] == cid)
            actions.append({"actionType": "add", "iconType": name, "pointFrom": None,
                            "pointTo": {"x": (x + 5) / SIZE, "y": (y + 5) / SIZE}, "timeAt": 1})  # fmt: skip
        image.save(root / split / f"{image_id}.jpg", quality=92)
        images.append({"id": image_id, "file_name": f"{image_id}.jpg", "width": SIZE, "height": SIZE})
        records.append({"image_id": image_id, "originalImageWidth": SIZE, "originalImageHeight": SIZE,
                        "imageWidth": 450, "imageHeight": 450, "actionHistories": actions})  # fmt: skip
    instances = root / f"instances_{split}.json"
    instances.write_text(json.dumps({"images": images, "annotations": annotations, "categories": CATEGORIES}))
    if not with_ab:
        return str(instances), None
    # a point for a class the image does not have (no target), and a record for an image not in the split
    present = {action["iconType"] for action in records[0]["actionHistories"]}
    absent = next(c["name"] for c in CATEGORIES if c["name"] not in present)
    records[0]["actionHistories"].append({"actionType": "add", "iconType": absent, "pointFrom": None,
                                          "pointTo": {"x": 0.5, "y": 0.5}, "timeAt": 2})  # fmt: skip
    records.append({"image_id": 987654, "originalImageWidth": 1, "originalImageHeight": 1, "imageWidth": 450,
                    "imageHeight": 450, "actionHistories": []})  # fmt: skip
    ab = root / "coco_ab.json"
    ab.write_text(json.dumps(records))
    return str(instances), str(ab)


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    root = tmp_path_factory.mktemp("coco")
    train_instances, ab = make_coco(root, "train", 96, 1, with_ab=True)
    val_instances, _ = make_coco(root, "val", 30, 2, with_ab=False)
    return root, train_instances, val_instances, ab


def test_join_and_masks(coco):
    root, train_instances, _, ab = coco
    instances = read_coco_instances(train_instances)
    classes = coco_classes(instances)
    assert [c.name for c in classes] == ["green thing", "red thing", "blue thing"]  # category id order: 2, 5, 9
    ann = build_coco_ab(instances, str(root / "train"), classes, ab, "last-add", SkipCounter(), with_boxes=True, progress=False)
    assert ann.labels.shape == (96, 3) and ann.points.shape == (96, 3, 2)
    assert np.array_equal(ann.weights, ann.labels)  # every present class has its add; the absent-class point is dropped
    first_boxes = ann.boxes[0]
    for class_index, x0, y0, x1, y1 in first_boxes:
        assert ann.points[0, int(class_index)] == pytest.approx([(x0 + 5) / SIZE, (y0 + 5) / SIZE])


def test_errors_name_the_record(coco, tmp_path):
    root, train_instances, _, ab = coco
    instances = read_coco_instances(train_instances)
    records = json.loads(open(ab).read())
    records[3]["actionHistories"][0]["iconType"] = "zebra"
    records[5]["originalImageWidth"] = 41
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(records))
    with pytest.raises(ByproductFormatError, match=r"image_id 1003 iconType.*unknown class 'zebra'"):
        build_coco_ab(instances, str(root / "train"), coco_classes(instances), str(bad), "last-add", SkipCounter(), False, False)
    skips = SkipCounter(skip_bad=True)
    ann = build_coco_ab(instances, str(root / "train"), coco_classes(instances), str(bad), "last-add", skips, False, False)
    assert skips.skipped == 2 and "originalImageWidth" in skips.examples[1]
    assert ann.weights[5].sum() == 0


def test_multi_label_run_exports_points(coco, tmp_path):
    root, train_instances, val_instances, ab = coco
    config = toy_config(str(root), str(tmp_path), dataset="coco-ab", coco_ab_json=ab, coco_train_instances=train_instances,
                        coco_val_instances=val_instances, coco_train_images=str(root / "train"),
                        coco_val_images=str(root / "val"), point_lambda=5.0, epochs=2, batch_size=16,
                        experiment="coco", export_to=str(tmp_path / "models" / "coco-luab"))  # fmt: skip
    result = run_training(config)
    final = result["history"][-1]
    assert 0 <= final["val_map"] <= 1 and final["val_point_acc"] is not None and final["val_images"] == 30
    assert final["val_point_slots"] > 30  # one slot per (image, present class)
    exported = json.loads((tmp_path / "models" / "coco-luab" / "config.json").read_text())
    jsonschema.validate(exported, json.loads((REPO_ROOT / "docs" / "model-config.schema.json").read_text()))
    assert exported["task"] == "multi-label" and exported["outputs"] == {"logits": "logits", "points": "points"}
    assert [label["name"] for label in exported["labels"]] == ["green thing", "red thing", "blue thing"]


class LeftHalfCrop:
    """A training transform with a known crop: the left half of the image, at full height."""

    def __init__(self) -> None:
        self.crop = RandomResizedCropWithPoints((20, 10), (1.0, 1.0), (1.0, 1.0), "bilinear")

    def __call__(self, image, points, weights):
        return self.crop.apply(image, points, weights, top=0, left=0, height=image.height, width=image.width // 2)


def two_point_annotations(tmp_path) -> PointAnnotations:
    """One 40x40 image with three classes: class 0's point on the left, class 1's on the right, class 2 present
    without a point."""
    path = tmp_path / "one.png"
    Image.new("RGB", (40, 40)).save(path)
    return PointAnnotations(
        paths=[str(path)],
        labels=np.array([[1.0, 1.0, 1.0]], np.float32),
        points=np.array([[[0.2, 0.5], [0.8, 0.5], [0.5, 0.5]]], np.float32),
        weights=np.array([[1.0, 1.0, 0.0]], np.float32),
    )


def test_class_whose_point_leaves_the_crop_is_dropped_by_default(tmp_path, coco):
    ann = two_point_annotations(tmp_path)
    item = PointDataset(ann, LeftHalfCrop(), [0.5] * 3, [0.25] * 3, drop_labels_outside_crop=True)[0]
    assert item["point_weight"].tolist() == [1.0, 0.0, 0.0]
    assert item["label"].tolist() == [1.0, 0.0, 1.0]  # the official rule; class 2 never had a point: kept
    kept = PointDataset(ann, LeftHalfCrop(), [0.5] * 3, [0.25] * 3, drop_labels_outside_crop=False)[0]
    assert kept["label"].tolist() == [1.0, 1.0, 1.0] and kept["point_weight"].tolist() == [1.0, 0.0, 0.0]
    # the configuration: drop-label is the default for COCO-AB, keep-label the option
    root, train_instances, _, ab = coco
    paths = dict(dataset="coco-ab", coco_ab_json=ab, coco_train_instances=train_instances,
                 coco_train_images=str(root / "train"), val_split="")  # fmt: skip
    assert build_data(toy_config(str(root), str(tmp_path), **paths), progress=False).train.drop_labels_outside_crop
    keep = toy_config(str(root), str(tmp_path), coco_crop_rule="keep-label", **paths)
    assert not build_data(keep, progress=False).train.drop_labels_outside_crop


def test_single_label_keeps_its_class_when_the_point_leaves_the_crop(tmp_path):
    ann = two_point_annotations(tmp_path)
    single = PointAnnotations(ann.paths, np.array([2]), ann.points[:, 1:2], ann.weights[:, 1:2])
    item = PointDataset(single, LeftHalfCrop(), [0.5] * 3, [0.25] * 3)[0]
    assert item["label"].item() == 2 and item["point_weight"].tolist() == [0.0]
    with pytest.raises(ValueError, match="multi-label"):
        PointDataset(single, LeftHalfCrop(), [0.5] * 3, [0.25] * 3, drop_labels_outside_crop=True)
