"""The Rand baseline after augmentation: LUAB's mask on the same crops, and each reading's points."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import toy_config

from luab_trainer.data.factory import build_data
from luab_trainer.data.point_dataset import PointAnnotations, PointDataset
from luab_trainer.data.rand_points import make_random_targets
from luab_trainer.data.transforms import build_train_transform


def epoch_items(dataset, seed: int) -> list[dict]:
    """Every item once, in order, after seeding torch as seed_epoch does with no workers."""
    torch.manual_seed(seed)
    return [dataset[i] for i in range(len(dataset))]


@pytest.mark.parametrize("rand_mode", ["fresh-per-step", "fixed-per-image"])
def test_rand_mask_equals_luab_mask_on_the_same_crops(toy_data, tmp_path, rand_mode):
    # aggressive crops (scale 0.1-1), so that many targets leave the crop and the masks are really compared
    common = dict(scale=[0.1, 1.0], hflip=0.5, rand_mode=rand_mode, seed=3)
    luab = build_data(toy_config(toy_data[0], str(tmp_path), objective="luab", **common), progress=False).train
    rand = build_data(toy_config(toy_data[0], str(tmp_path), objective="rand", **common), progress=False).train
    for epoch_seed in (11, 12):
        luab_items, rand_items = epoch_items(luab, epoch_seed), epoch_items(rand, epoch_seed)
        luab_mask = np.concatenate([item["point_weight"].numpy() for item in luab_items])
        rand_mask = np.concatenate([item["point_weight"].numpy() for item in rand_items])
        assert np.array_equal(rand_mask, luab_mask)
        assert 0.3 < luab_mask.mean() < 0.95, luab_mask.mean()  # the crop did drop targets: the test is not vacuous
        # the same crops: Rand's targets do not consume torch's stream, which draws the augmentation
        assert all(torch.equal(a["image"], b["image"]) for a, b in zip(luab_items, rand_items))
        rand_points = np.concatenate([item["point"].numpy() for item in rand_items])
        luab_points = np.concatenate([item["point"].numpy() for item in luab_items])
        kept = luab_mask > 0
        assert ((rand_points >= 0) & (rand_points <= 1)).all()
        assert np.abs(rand_points[kept] - luab_points[kept]).mean() > 0.15  # not LUAB's point


def tiny_dataset(tmp_path, rand_mode: str, hflip: float, scale=(1.0, 1.0)) -> PointDataset:
    from PIL import Image

    paths = []
    for i in range(40):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (24, 24), (i, 2 * i, 3 * i)).save(path)
        paths.append(str(path))
    ann = PointAnnotations(
        paths=paths,
        labels=np.zeros(40, np.int64),
        points=np.full((40, 1, 2), 0.5, np.float32),
        weights=np.array([[1.0], [0.0]] * 20, np.float32),
    )
    transform = build_train_transform((24, 24), scale, (1.0, 1.0), hflip, 0.0, "bilinear")
    return PointDataset(ann, transform, [0.5] * 3, [0.25] * 3, make_random_targets(rand_mode, ann.points.shape, 5))


def test_fresh_points_are_new_every_step_and_uniform(tmp_path):
    dataset = tiny_dataset(tmp_path, "fresh-per-step", hflip=0.5)
    first, second, again = epoch_items(dataset, 1), epoch_items(dataset, 2), epoch_items(dataset, 1)
    a = np.stack([item["point"].numpy()[0] for item in first])
    b = np.stack([item["point"].numpy()[0] for item in second])
    assert not np.allclose(a, b)  # drawn afresh: nothing per image to memorise
    assert np.array_equal(a, np.stack([item["point"].numpy()[0] for item in again]))  # reproducible from the seed
    assert np.abs(a - b).mean() > 0.2 and ((a >= 0) & (a < 1)).all()
    assert [item["point_weight"].item() for item in first] == [1.0, 0.0] * 20  # the real mask


def test_fixed_points_stay_per_image_and_move_with_the_flip(tmp_path):
    fixed = make_random_targets("fixed-per-image", (40, 1, 2), 5).fixed
    assert np.array_equal(fixed, make_random_targets("fixed-per-image", (40, 1, 2), 5).fixed)
    assert not np.array_equal(fixed, make_random_targets("fixed-per-image", (40, 1, 2), 6).fixed)
    # the whole image, no flip: the point is the fixed one, at every step
    dataset = tiny_dataset(tmp_path, "fixed-per-image", hflip=0.0)
    for seed in (1, 2):
        points = np.stack([item["point"].numpy()[0] for item in epoch_items(dataset, seed)])
        assert points == pytest.approx(fixed[:, 0], abs=1e-6)
    flipped = tiny_dataset(tmp_path, "fixed-per-image", hflip=1.0)
    points = np.stack([item["point"].numpy()[0] for item in epoch_items(flipped, 1)])
    assert points[:, 0] == pytest.approx(1 - fixed[:, 0, 0], abs=1e-6)
    assert points[:, 1] == pytest.approx(fixed[:, 0, 1], abs=1e-6)


def test_fixed_point_that_leaves_the_crop_is_replaced_where_luab_keeps_its_target(tmp_path):
    """LUAB's target sits at the centre, which every crop of scale >= 0.5 keeps; the fixed points are anywhere,
    so some leave the crop: those samples still get a point (in the crop) and weight 1."""
    dataset = tiny_dataset(tmp_path, "fixed-per-image", hflip=0.0, scale=(0.5, 0.5))
    items = epoch_items(dataset, 4)
    assert [item["point_weight"].item() for item in items] == [1.0, 0.0] * 20
    points = np.stack([item["point"].numpy()[0] for item in items])[::2]  # the samples with a target
    assert ((points > 0) & (points < 1)).all()  # a dropped point would be clamped onto the border (0 or 1)
