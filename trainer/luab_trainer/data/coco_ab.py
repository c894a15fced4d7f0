"""COCO (instances JSON) + COCO-AB into multi-label PointAnnotations: one point slot per class.

Both JSON files are read as streams (ijson), so neither the 398 MB COCO-AB file nor the instances file is ever
held whole. A class's slot gets weight 1 when the class is in the image's labels AND COCO-AB has a point for it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Optional

import ijson
import numpy as np
from tqdm import tqdm

from ..byproducts.coco_ab import class_targets, iter_coco_ab
from ..byproducts.errors import ByproductFormatError, SkipCounter
from .classes import ClassInfo
from .point_dataset import PointAnnotations

_logger = logging.getLogger(__name__)


@dataclass
class CocoInstances:
    #: image id -> (file name, width, height)
    images: dict[int, tuple[str, int, int]]
    #: categories in id order: (category id, name)
    categories: list[tuple[int, str]]
    #: image id -> rows (category id, x, y, w, h) in pixels
    boxes: dict[int, list[tuple[int, float, float, float, float]]]


def _stream(path: str, prefix: str):
    with open(path, "rb") as handle:
        try:
            yield from ijson.items(handle, prefix, use_float=True)
        except ijson.JSONError as error:
            raise ByproductFormatError(path, prefix, f"not valid JSON ({error})") from None


def read_coco_instances(path: str) -> CocoInstances:
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such COCO instances file")
    images, categories, boxes = {}, [], {}
    try:
        for image in _stream(path, "images.item"):
            images[int(image["id"])] = (image["file_name"], int(image["width"]), int(image["height"]))
        for category in _stream(path, "categories.item"):
            categories.append((int(category["id"]), str(category["name"])))
        for ann in _stream(path, "annotations.item"):
            x, y, w, h = (float(v) for v in ann["bbox"])
            boxes.setdefault(int(ann["image_id"]), []).append((int(ann["category_id"]), x, y, w, h))
    except (KeyError, TypeError, ValueError) as error:
        raise ByproductFormatError(path, str(error), "missing or malformed COCO field") from None
    if not images or not categories:
        raise ByproductFormatError(path, "images/categories", "no images or no categories")
    categories.sort()
    return CocoInstances(images, categories, boxes)


def coco_classes(instances: CocoInstances) -> list[ClassInfo]:
    return [ClassInfo(name=name, folder=name) for _, name in instances.categories]


def build_coco_ab(
    instances: CocoInstances,
    images_dir: str,
    classes: list[ClassInfo],
    coco_ab_json: Optional[str],
    target_rule: str,
    skips: SkipCounter,
    with_boxes: bool,
    progress: bool = True,
) -> PointAnnotations:
    names = [info.name for info in classes]
    if [name for _, name in instances.categories] != names:
        raise ValueError("COCO train and val instances files list different categories")
    category_index = {cid: index for index, (cid, _) in enumerate(instances.categories)}
    class_index = {name: index for index, name in enumerate(names)}
    image_ids = sorted(instances.images)
    row_of = {image_id: row for row, image_id in enumerate(image_ids)}
    n, c = len(image_ids), len(classes)
    labels = np.zeros((n, c), dtype=np.float32)
    box_rows: list[np.ndarray] = []
    for row, image_id in enumerate(image_ids):
        rows = [(category_index[cid], x, y, x + w, y + h) for cid, x, y, w, h in instances.boxes.get(image_id, [])]
        for class_row in rows:
            labels[row, class_row[0]] = 1.0
        box_rows.append(np.array(rows, dtype=np.float32).reshape(-1, 5))
    points = np.full((n, c, 2), 0.5, dtype=np.float32)
    weights = np.zeros((n, c), dtype=np.float32)
    unknown_images = absent_classes = 0
    if coco_ab_json is not None:
        for record in tqdm(iter_coco_ab(coco_ab_json, skips), desc="reading COCO-AB", unit="rec", disable=not progress):
            row = row_of.get(record.image_id)
            if row is None:
                unknown_images += 1
                continue
            _, width, height = instances.images[record.image_id]
            try:
                if record.original_size != (width, height):
                    raise ByproductFormatError(
                        coco_ab_json,
                        f"image_id {record.image_id} originalImageWidth/Height",
                        f"{record.original_size} but the instances file says {(width, height)}",
                    )
                for name, point in class_targets(record, target_rule).items():
                    if name not in class_index:
                        raise ByproductFormatError(coco_ab_json, f"image_id {record.image_id} iconType", f"unknown class {name!r}")
                    if labels[row, class_index[name]] < 0.5:
                        absent_classes += 1  # a byproduct for a class the image's labels do not have: no target
                        continue
                    points[row, class_index[name]] = point
                    weights[row, class_index[name]] = 1.0
            except ByproductFormatError as error:
                skips.handle(error)
        _logger.info(
            "COCO-AB: %d class targets; %d records for images not in this split; %d points for absent classes",
            int(weights.sum()), unknown_images, absent_classes,
        )  # fmt: skip
    return PointAnnotations(
        paths=[os.path.join(images_dir, instances.images[image_id][0]) for image_id in image_ids],
        labels=labels,
        points=points,
        weights=weights,
        boxes=box_rows if with_boxes else None,
    )
