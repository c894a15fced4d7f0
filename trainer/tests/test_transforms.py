"""Point-aware augmentation on hand-computed cases: the target moves with the pixels, or is dropped."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from luab_trainer.data.transforms import (
    EvalResizeCrop,
    Photometric,
    RandomHorizontalFlipWithPoints,
    RandomResizedCropWithPoints,
    build_train_transform,
)
from torchvision import transforms as T


def marked_image(width: int, height: int, x_px: int, y_px: int) -> Image.Image:
    """Black image with a white 4x4 block whose centre is the pixel corner (x_px, y_px)."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[y_px - 2 : y_px + 2, x_px - 2 : x_px + 2] = 255
    return Image.fromarray(pixels)


def bright_centre(image: Image.Image) -> tuple[float, float]:
    """Centre of mass of the bright pixels, as fractions of the image (pixel centres at (i + 0.5) / size)."""
    gray = np.asarray(image.convert("L"), dtype=np.float64)
    ys, xs = np.nonzero(gray > 100)
    weights = gray[ys, xs]
    return (np.average(xs, weights=weights) + 0.5) / image.width, (np.average(ys, weights=weights) + 0.5) / image.height


def test_crop_maps_point_by_hand():
    # image 100x50; crop top=10, left=20, 20 high, 40 wide, resized to 10 x 20 (H x W)
    crop = RandomResizedCropWithPoints((10, 20), (0.08, 1.0), (0.75, 1.33), "nearest")
    points = np.array([[0.5, 0.5], [0.1, 0.5], [0.59, 0.55]], np.float32)  # pixels (50, 25), (10, 25), (59, 27.5)
    weights = np.array([1, 1, 1], np.float32)
    image, moved, kept = crop.apply(Image.new("RGB", (100, 50)), points, weights, top=10, left=20, height=20, width=40)
    assert image.size == (20, 10)
    # u = (x_px - 20) / 40, v = (y_px - 10) / 20
    assert moved[0] == pytest.approx([0.75, 0.75])
    assert moved[2] == pytest.approx([0.975, 0.875])
    assert kept.tolist() == [1, 0, 1]  # (10 - 20) / 40 = -0.25: left the crop, weight 0
    assert 0 <= moved[1, 0] <= 1  # a dropped target stays finite (clamped) for the masked loss


def test_crop_moves_point_with_the_pixels():
    crop = RandomResizedCropWithPoints((40, 40), (0.08, 1.0), (0.75, 1.33), "bilinear")
    image = marked_image(120, 80, 70, 30)
    out, moved, kept = crop.apply(image, np.array([[70 / 120, 30 / 80]]), np.ones(1), top=10, left=40, height=60, width=60)
    assert kept[0] == 1
    assert bright_centre(out) == pytest.approx(tuple(moved[0]), abs=0.02)


def test_random_crop_keeps_point_on_the_block():
    torch.manual_seed(0)
    crop = RandomResizedCropWithPoints((48, 48), (0.3, 1.0), (0.75, 1.33), "bilinear")
    image = marked_image(96, 64, 40, 30)
    checked = 0
    for _ in range(40):
        out, moved, kept = crop(image, np.array([[40 / 96, 30 / 64]]), np.ones(1))
        if kept[0] and 0.1 < moved[0, 0] < 0.9 and 0.1 < moved[0, 1] < 0.9:
            assert bright_centre(out) == pytest.approx(tuple(moved[0]), abs=0.03)
            checked += 1
    assert checked >= 10


def test_flip_mirrors_x_and_pixels():
    image = marked_image(60, 40, 10, 20)
    out, moved, kept = RandomHorizontalFlipWithPoints(1.0)(image, np.array([[10 / 60, 0.5]]), np.ones(1))
    assert moved[0] == pytest.approx([50 / 60, 0.5]) and kept[0] == 1
    assert bright_centre(out) == pytest.approx((50 / 60, 0.5), abs=0.01)
    same = RandomHorizontalFlipWithPoints(0.0)(image, np.array([[10 / 60, 0.5]]), np.ones(1))
    assert same[1][0] == pytest.approx([10 / 60, 0.5])


def test_photometric_leaves_points():
    points, weights = np.array([[0.3, 0.7]]), np.ones(1)
    image, moved, kept = Photometric(T.ColorJitter(0.8, 0.8, 0.8))(Image.new("RGB", (8, 8), (90, 90, 90)), points, weights)
    assert moved is points and kept is weights


def test_eval_transform_uses_contract_geometry():
    # 500x375 -> 224 at crop_pct 0.875: resized 341x256, crop left 58, top 16 (docs/model-repository.md)
    transform = EvalResizeCrop(224, 224, 0.875, "center", "bilinear")
    image = marked_image(500, 375, 250, 150)
    out, moved, kept = transform(image, np.array([[0.5, 0.4], [0.02, 0.5]]), np.ones(2))
    assert out.size == (224, 224)
    assert moved[0] == pytest.approx([(0.5 * 341 - 58) / 224, (0.4 * 256 - 16) / 224])
    assert kept.tolist() == [1, 0]  # x = 0.02 -> 6.8 px of 341 < 58: cropped away
    assert bright_centre(out) == pytest.approx(tuple(moved[0]), abs=0.01)


def test_multi_label_slots_move_together():
    transform = build_train_transform((32, 32), (1.0, 1.0), (1.0, 1.0), hflip=1.0, color_jitter=0.4, interpolation="bilinear")
    points = np.array([[0.25, 0.5], [0.75, 0.25], [0.5, 0.5]], np.float32)
    weights = np.array([1, 0, 1], np.float32)
    _, moved, kept = transform(Image.new("RGB", (64, 64)), points, weights)
    # scale = ratio = 1 on a square image: the crop is the whole image; the flip mirrors every slot
    assert moved == pytest.approx(np.array([[0.75, 0.5], [0.25, 0.25], [0.5, 0.5]]))
    assert kept.tolist() == [1, 0, 1]  # a slot without a target stays without one
