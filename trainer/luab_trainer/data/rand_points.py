"""The Rand baseline's point targets: uniform-random points on exactly the samples LUAB would regress.

The paper's Rand is "the same objective with a uniform-random point per image". Two readings, ``rand_mode``:

- ``fresh-per-step`` (the default): a new point, uniform in the model-input frame, drawn for every sample after
  augmentation. It carries no information about the image at all, so the network cannot memorise it.
- ``fixed-per-image``: one point per image, drawn once from the run's seed in the image frame, and moved with the
  pixels by the crop and the flip as LUAB's target is (the literal reading; a network can memorise it per image).
  At a step where that point leaves the crop but LUAB's target stays in it, the sample gets a fresh uniform point
  for that step instead, so the mask is still LUAB's.

In both, the regression mask of a sample is LUAB's mask for the same sample (the real target's weight after the
same crop), so Rand and LUAB differ only in where the point is, never in how many samples get a point term.
Drawing the point as the real target's own augmentation runs would let Rand lose more targets than LUAB to the
crop (measured 0.62 vs 0.89 of the samples at crop scale 0.35-1) and compare two different amounts of regression.

The fresh points come from a generator of their own, seeded from (torch's seed of this process, the sample
index): torch's stream, which draws the crops, is untouched, so Rand and LUAB see the same crops under the same
seed, and resumed runs stay exact (``seed_epoch`` re-seeds torch per epoch and per worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

RAND_MODES = ("fresh-per-step", "fixed-per-image")


@dataclass(frozen=True)
class RandomPointTargets:
    mode: str
    #: float32 [N, K, 2], the fixed points in fractions of the original image (fixed-per-image only)
    fixed: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        if self.mode not in RAND_MODES:
            raise ValueError(f"rand_mode: {self.mode!r} is not one of {', '.join(RAND_MODES)}")
        if self.mode == "fixed-per-image" and self.fixed is None:
            raise ValueError("rand_mode fixed-per-image needs the fixed points")


def make_random_targets(mode: str, points_shape: tuple[int, ...], seed: int) -> RandomPointTargets:
    """The Rand targets of a run; the fixed points depend only on ``seed``."""
    fixed = None
    if mode == "fixed-per-image":
        fixed = np.random.default_rng(seed).random(points_shape).astype(np.float32)
    return RandomPointTargets(mode, fixed)


def step_generator(index: int) -> np.random.Generator:
    """A generator for one sample's draw at this step; see the module docstring for why not torch's stream."""
    return np.random.default_rng([torch.initial_seed() % (1 << 63), index])


def augment_with_random_points(
    transform, image, points: np.ndarray, weights: np.ndarray, rand: RandomPointTargets, index: int
):
    """``transform`` applied to the real targets (which give the mask) and, for the fixed reading, the fixed
    points in the same call (so they move with exactly the same crop and flip); returns the image, the Rand
    points in the model frame and LUAB's weights."""
    k = len(points)
    if rand.mode == "fixed-per-image":
        stacked = np.concatenate([points, rand.fixed[index]], axis=0)
        image, moved, kept = transform(image, stacked, np.concatenate([weights, weights]))
        mask, rand_points, rand_kept = kept[:k], moved[k:].copy(), kept[k:]
        lost = (mask > 0) & (rand_kept <= 0)
        if lost.any():
            rand_points[lost] = step_generator(index).random((int(lost.sum()), 2))
    else:
        image, _, mask = transform(image, points, weights)
        rand_points = step_generator(index).random((k, 2))
    return image, rand_points.astype(np.float32), mask.astype(np.float32)
