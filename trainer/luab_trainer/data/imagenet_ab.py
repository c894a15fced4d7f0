"""ImageNet + ImageNet-AB (and the synthetic benchmark, which writes the same layout) into PointAnnotations.

Images: ``<data_dir>/<split>/<wnid>/<image_id>.<ext>`` (torchvision's ImageFolder walk). Byproducts and boxes:
``<xml_dir>/<wnid>/<image_id>.xml`` (or ``<xml_dir>/<image_id>.xml``, the flat layout of ImageNet's LOC val XML),
joined by the image id (the file stem). An image without an XML file, or whose XML has no selected block, has no
target: regression weight 0, as in the released data where 0.7% of the images have no byproduct.
"""

from __future__ import annotations

import logging
import os
from typing import Optional

import numpy as np
from torchvision.datasets.folder import IMG_EXTENSIONS, make_dataset
from tqdm import tqdm

from ..byproducts.errors import SkipCounter
from ..byproducts.imagenet_ab import read_with_target
from .classes import ClassInfo
from .point_dataset import PointAnnotations

_logger = logging.getLogger(__name__)


def _xml_path(xml_dir: str, folder: str, image_id: str) -> Optional[str]:
    for candidate in (os.path.join(xml_dir, folder, image_id + ".xml"), os.path.join(xml_dir, image_id + ".xml")):
        if os.path.exists(candidate):
            return candidate
    return None


def build_imagenet_ab(
    data_dir: str,
    split: str,
    xml_dir: Optional[str],
    classes: list[ClassInfo],
    target_rule: str,
    skips: SkipCounter,
    with_boxes: bool,
    progress: bool = True,
) -> PointAnnotations:
    split_dir = os.path.join(data_dir, split)
    if not os.path.isdir(split_dir):
        raise FileNotFoundError(f"{split_dir}: no such directory (split '{split}' of --data-dir {data_dir})")
    class_to_idx = {info.folder: index for index, info in enumerate(classes)}
    samples = make_dataset(split_dir, class_to_idx, extensions=IMG_EXTENSIONS)
    if xml_dir is not None and not os.path.isdir(xml_dir):
        raise FileNotFoundError(f"{xml_dir}: no such directory (the byproduct/box XML of split '{split}')")

    n = len(samples)
    points = np.full((n, 1, 2), 0.5, dtype=np.float32)
    weights = np.zeros((n, 1), dtype=np.float32)
    boxes: Optional[list[np.ndarray]] = [np.zeros((0, 5), np.float32)] * n if with_boxes else None
    missing_xml = 0
    for index, (path, label) in enumerate(
        tqdm(samples, desc=f"reading {split} XML", unit="img", disable=not progress or xml_dir is None)
    ):
        if xml_dir is None:
            break
        image_id = os.path.splitext(os.path.basename(path))[0]
        xml_path = _xml_path(xml_dir, classes[label].folder, image_id)
        if xml_path is None:
            missing_xml += 1
            continue
        parsed = read_with_target(xml_path, target_rule, skips)
        if parsed is None:
            continue
        record, target = parsed
        if target is not None:
            points[index, 0] = target
            weights[index, 0] = 1.0
        if boxes is not None and record.boxes:
            boxes[index] = np.array([[-1, b.xmin, b.ymin, b.xmax, b.ymax] for b in record.boxes], dtype=np.float32)
    if xml_dir is not None:
        _logger.info(
            "%s: %d images, %d with a point target, %d without an XML file", split, n, int(weights.sum()), missing_xml
        )
    return PointAnnotations(
        paths=[path for path, _ in samples],
        labels=np.array([label for _, label in samples], dtype=np.int64),
        points=points,
        weights=weights,
        boxes=boxes,
    )
