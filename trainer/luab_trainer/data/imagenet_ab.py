"""ImageNet + ImageNet-AB (and the synthetic benchmark, which writes the same layout) into PointAnnotations.

Images: ``<data_dir>/<split>/<wnid>/<image_id>.<ext>`` (torchvision's ImageFolder walk). Byproducts and boxes:
``<xml_dir>/<wnid>/<image_id>.xml`` (or ``<xml_dir>/<image_id>.xml``, the flat layout of ImageNet's LOC val XML),
joined by the image id (the file stem). An image without an XML file, or whose XML has no selected block, has no
target: regression weight 0, as in the released data where 0.7% of the images have no byproduct.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Optional

import numpy as np
from torchvision.datasets.folder import IMG_EXTENSIONS, make_dataset
from tqdm import tqdm

from ..byproducts.errors import ByproductFormatError, SkipCounter
from ..byproducts.imagenet_ab import parse_imagenet_ab_xml, point_target
from .classes import ClassInfo
from .point_dataset import PointAnnotations

_logger = logging.getLogger(__name__)


def _xml_path(xml_dir: str, folder: str, image_id: str) -> Optional[str]:
    for candidate in (os.path.join(xml_dir, folder, image_id + ".xml"), os.path.join(xml_dir, image_id + ".xml")):
        if os.path.exists(candidate):
            return candidate
    return None


def _read_xml(task: tuple[Optional[str], str, bool]):
    """One image's XML -> ("missing",) | ("bad", error) | ("ok", target or None, boxes or None). A module-level
    function so a process pool can run it; errors come back as values and are counted in the main process."""
    xml_path, rule, want_boxes = task
    if xml_path is None:
        return ("missing",)
    try:
        record = parse_imagenet_ab_xml(xml_path)
        target = point_target(record, rule)
    except ByproductFormatError as error:
        return ("bad", error)
    boxes = None
    if want_boxes and record.boxes:
        boxes = np.array([[-1, b.xmin, b.ymin, b.xmax, b.ymax] for b in record.boxes], dtype=np.float32)
    return ("ok", target, boxes)


def build_imagenet_ab(
    data_dir: str,
    split: str,
    xml_dir: Optional[str],
    classes: list[ClassInfo],
    target_rule: str,
    skips: SkipCounter,
    with_boxes: bool,
    progress: bool = True,
    processes: int = 0,
) -> PointAnnotations:
    """``processes`` > 1 parses the XML in a process pool: ImageNet-AB is 1.28 M files (~0.2 ms each, ~4 min
    in one process)."""
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
    if xml_dir is not None:
        tasks = [
            (_xml_path(xml_dir, classes[label].folder, os.path.splitext(os.path.basename(path))[0]), target_rule, with_boxes)
            for path, label in samples
        ]
        # the platform default (fork on Linux), as torch's DataLoader workers: no re-import in each child
        pool = multiprocessing.Pool(processes) if processes > 1 else None
        try:
            results = pool.imap(_read_xml, tasks, chunksize=256) if pool else map(_read_xml, tasks)
            for index, result in enumerate(tqdm(results, total=n, desc=f"reading {split} XML", unit="img", disable=not progress)):
                if result[0] == "missing":
                    missing_xml += 1
                elif result[0] == "bad":
                    skips.handle(result[1])
                else:
                    _, target, image_boxes = result
                    if target is not None:
                        points[index, 0] = target
                        weights[index, 0] = 1.0
                    if boxes is not None and image_boxes is not None:
                        boxes[index] = image_boxes
        finally:
            if pool:
                pool.terminate()
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
