"""The one dataset class: images with labels, point targets and (for evaluation) boxes, through a point transform.

Builders for ImageNet-AB and COCO-AB (``imagenet_ab.py``, ``coco_ab.py``) turn their files into the arrays this
class holds; the training loop only ever sees this class's items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from PIL import Image, ImageOps
from torch.utils.data import Dataset
from torch.utils.data._utils.collate import default_collate

from .rand_points import RandomPointTargets, augment_with_random_points
from .transforms import EvalResizeCrop, to_normalized_tensor


@dataclass
class PointAnnotations:
    """What the builders produce. N images, K point slots (1, or one per class for multi-label)."""

    paths: list[str]
    #: int64 [N] class indices (single-label) or float32 [N, C] multi-hot (multi-label)
    labels: np.ndarray
    #: float32 [N, K, 2] (x, y) fractions of the original image
    points: np.ndarray
    #: float32 [N, K]: 1 where a target exists
    weights: np.ndarray
    #: per image, float32 [M, 5] rows (class index or -1, xmin, ymin, xmax, ymax) in pixels; None when unknown
    boxes: Optional[list[np.ndarray]] = None

    def __post_init__(self) -> None:
        n = len(self.paths)
        if not (len(self.labels) == len(self.points) == len(self.weights) == n):
            raise ValueError("annotations: paths, labels, points and weights must have one entry per image")


#: The contract's alpha policy (docs/model-repository.md): transparent pixels are composited onto white.
ALPHA_BACKGROUND = (255, 255, 255)


def load_rgb(path: str) -> Image.Image:
    """The image as the server sees it (docs/model-repository.md, "Colour and alpha"): EXIF orientation applied,
    no colour management (embedded ICC profiles ignored, CMYK by Pillow's own formula), alpha composited onto
    white, 16-bit samples reduced to their high byte, RGB."""
    with Image.open(path) as image:
        return to_contract_rgb(ImageOps.exif_transpose(image))


def to_contract_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Pillow's convert("RGB") clips 16-bit grey at 255 (an almost white image); libvips keeps the high byte.
        high = (np.asarray(image).astype(np.uint32) >> 8).clip(0, 255).astype(np.uint8)
        return Image.fromarray(high, "L").convert("RGB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, ALPHA_BACKGROUND + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


class PointDataset(Dataset):
    def __init__(
        self,
        annotations: PointAnnotations,
        transform: Callable,
        mean: Sequence[float],
        std: Sequence[float],
        rand: Optional[RandomPointTargets] = None,
        drop_labels_outside_crop: bool = False,
        tensor_transform: Optional[Callable] = None,
    ) -> None:
        """``rand``: the Rand baseline's targets replace the real ones (the real ones still give the mask).

        ``drop_labels_outside_crop`` (multi-label training, COCO-AB's official loader): a class whose point the
        augmentation cropped away is also removed from this sample's labels (the clicked object is most likely
        outside the crop); otherwise the class stays a positive with no point term. Classes that never had a point
        keep their label: nothing says where they are.
        """
        self.annotations = annotations
        self.rand = rand
        if drop_labels_outside_crop and annotations.labels.shape != annotations.weights.shape:
            raise ValueError("drop_labels_outside_crop needs multi-label annotations (one point slot per class)")
        self.drop_labels_outside_crop = drop_labels_outside_crop
        #: on the normalised tensor, after everything else (timm's RandomErasing): moves no target
        self.tensor_transform = tensor_transform
        self.transform = transform
        self.mean, self.std = list(mean), list(std)

    def __len__(self) -> int:
        return len(self.annotations.paths)

    def __getitem__(self, index: int) -> dict:
        ann = self.annotations
        image = load_rgb(ann.paths[index])
        boxes = np.zeros((0, 5), dtype=np.float32)
        if ann.boxes is not None and isinstance(self.transform, EvalResizeCrop) and len(ann.boxes[index]):
            boxes = _boxes_to_model_frame(ann.boxes[index], self.transform, image)
        if self.rand is None:
            image, points, weights = self.transform(image, ann.points[index], ann.weights[index])
        else:
            image, points, weights = augment_with_random_points(
                self.transform, image, ann.points[index], ann.weights[index], self.rand, index
            )
        label = ann.labels[index]
        if self.drop_labels_outside_crop:
            label = np.where((ann.weights[index] > 0) & (weights <= 0), 0.0, label).astype(label.dtype)
        tensor = to_normalized_tensor(image, self.mean, self.std)
        if self.tensor_transform is not None:
            tensor = self.tensor_transform(tensor)
        return {
            "image": tensor,
            "label": torch.as_tensor(label),
            "point": torch.from_numpy(np.ascontiguousarray(points, dtype=np.float32)),
            "point_weight": torch.from_numpy(np.ascontiguousarray(weights, dtype=np.float32)),
            "boxes": torch.from_numpy(boxes),
        }


def _boxes_to_model_frame(boxes: np.ndarray, transform: EvalResizeCrop, image: Image.Image) -> np.ndarray:
    """Pixel boxes of the original image into fractions of the model input (the eval crop).

    The map is affine and increasing on each axis, so "point inside the mapped box" is exactly "mapped-back point
    inside the pixel box" (xmin <= x_px <= xmax), the ImageNet LOC test.
    """
    geom = transform.geometry(image)
    out = boxes.copy()
    for row in out:
        row[1], row[2] = geom.image_to_model(row[1] / geom.image_w, row[2] / geom.image_h)
        row[3], row[4] = geom.image_to_model(row[3] / geom.image_w, row[4] / geom.image_h)
    return out


def collate(items: list[dict]) -> dict:
    """default_collate for the tensors; boxes stay a list (each image has its own number of boxes)."""
    boxes = [item.pop("boxes") for item in items]
    batch = default_collate(items)
    batch["boxes"] = boxes
    return batch
