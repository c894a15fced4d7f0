"""Point-aware transforms: geometric steps move the point targets with the pixels, photometric steps leave them.

Every step maps ``(image, points, weights)`` to the same triple. ``points`` is a float array ``[K, 2]`` of (x, y)
fractions of the current image (K = 1 for single-label, one row per class for multi-label), ``weights`` ``[K]`` is
1 where a target exists and 0 where it does not. A target that leaves the crop gets weight 0: the pixels that
would justify it are gone (on COCO-AB the dataset then also drops that class's label by default, as the official
loader does: ``PointDataset``'s ``drop_labels_outside_crop``). Randomness comes from torch's generator only, so
that seeding torch (per epoch, per worker) makes augmentation reproducible and ``--resume`` exact; timm's
RandAugment draws from Python's ``random``, which ``seed_epoch`` seeds as well.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from ..geometry import eval_geometry
from .timm_augment import photometric_rand_augment

INTERPOLATIONS = {
    "bilinear": InterpolationMode.BILINEAR,
    "bicubic": InterpolationMode.BICUBIC,
    "nearest": InterpolationMode.NEAREST,
}


def _mask_outside(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = np.all((points >= 0.0) & (points <= 1.0), axis=1)
    # the value of a dropped target is never used; clamping keeps it finite for the loss's masked arithmetic
    return np.clip(points, 0.0, 1.0).astype(np.float32), (weights * inside).astype(np.float32)


class RandomResizedCropWithPoints:
    """torchvision's RandomResizedCrop (its own ``get_params``), with the targets mapped into the crop."""

    def __init__(self, size: tuple[int, int], scale: Sequence[float], ratio: Sequence[float], interpolation: str):
        self.size = list(size)
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.interpolation = INTERPOLATIONS[interpolation]

    def __call__(self, image: Image.Image, points: np.ndarray, weights: np.ndarray):
        top, left, height, width = T.RandomResizedCrop.get_params(image, self.scale, self.ratio)
        return self.apply(image, points, weights, top, left, height, width)

    def apply(self, image, points, weights, top: int, left: int, height: int, width: int):
        """The crop box (pixels of ``image``) chosen; separate from the draw so tests can give hand-made boxes."""
        image_w, image_h = image.size
        moved = np.stack(
            [(points[:, 0] * image_w - left) / width, (points[:, 1] * image_h - top) / height], axis=1
        )
        cropped = TF.resized_crop(image, top, left, height, width, self.size, self.interpolation)
        return (cropped, *_mask_outside(moved, weights))


class RandomHorizontalFlipWithPoints:
    def __init__(self, p: float) -> None:
        self.p = p

    def __call__(self, image: Image.Image, points: np.ndarray, weights: np.ndarray):
        if self.p > 0 and torch.rand(1).item() < self.p:
            flipped = points.copy()
            flipped[:, 0] = 1.0 - flipped[:, 0]
            return TF.hflip(image), flipped, weights
        return image, points, weights


class Photometric:
    """Wraps a pixel-only transform (colour jitter, blur, ...): the targets do not move."""

    def __init__(self, transform: Callable[[Image.Image], Image.Image]) -> None:
        self.transform = transform

    def __call__(self, image, points, weights):
        return self.transform(image), points, weights


class EvalResizeCrop:
    """The evaluation geometry of docs/model-repository.md: the same numbers move the pixels and the targets."""

    def __init__(self, input_h: int, input_w: int, crop_pct: float, crop_mode: str, interpolation: str) -> None:
        self.input_h, self.input_w = input_h, input_w
        self.crop_pct, self.crop_mode = crop_pct, crop_mode
        self.interpolation = INTERPOLATIONS[interpolation]

    def geometry(self, image: Image.Image):
        return eval_geometry(image.size[0], image.size[1], self.input_h, self.input_w, self.crop_pct, self.crop_mode)

    def __call__(self, image, points, weights):
        geom = self.geometry(image)
        resized = TF.resize(image, [geom.resized_h, geom.resized_w], self.interpolation)
        cropped = TF.crop(resized, geom.top, geom.left, self.input_h, self.input_w)
        moved = np.array([geom.image_to_model(x, y) for x, y in points], dtype=np.float64).reshape(-1, 2)
        return (cropped, *_mask_outside(moved, weights))


class ComposeWithPoints:
    def __init__(self, steps: Sequence[Callable]) -> None:
        self.steps = list(steps)

    def __call__(self, image, points, weights):
        for step in self.steps:
            image, points, weights = step(image, points, weights)
        return image, points, weights


def to_normalized_tensor(image: Image.Image, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    return TF.normalize(TF.to_tensor(image), list(mean), list(std))


def build_train_transform(
    input_size: tuple[int, int],
    scale: Sequence[float],
    ratio: Sequence[float],
    hflip: float,
    color_jitter: float,
    interpolation: str,
    rand_augment: Optional[str] = None,
    mean: Sequence[float] = (0.485, 0.456, 0.406),
) -> ComposeWithPoints:
    """``rand_augment``: timm's RandAugment (photometric operations only, ``timm_augment.py``); needs timm."""
    steps: list[Callable] = [
        RandomResizedCropWithPoints(input_size, scale, ratio, interpolation),
        RandomHorizontalFlipWithPoints(hflip),
    ]
    if rand_augment:
        steps.append(Photometric(photometric_rand_augment(rand_augment, mean)))
    if color_jitter > 0:
        steps.append(Photometric(T.ColorJitter(color_jitter, color_jitter, color_jitter)))
    return ComposeWithPoints(steps)


def build_eval_transform(
    input_size: tuple[int, int], crop_pct: float, crop_mode: str, interpolation: str
) -> EvalResizeCrop:
    return EvalResizeCrop(input_size[0], input_size[1], crop_pct, crop_mode, interpolation)
