"""timm's RandAugment and RandomErasing for the training transform (optional: only imported when a config asks).

RandAugment keeps only its photometric operations (AutoContrast, Equalize, Invert, Posterize, Solarize, SolarizeAdd,
Color, Contrast, Brightness, Sharpness): its geometric ones (Rotate, ShearX/Y, TranslateX/Y) move the object but
not the point target, so they are removed, a departure from DeiT's recipe that keeps every target true.
RandomErasing (on the normalised tensor, as timm applies it) erases pixels without moving anything; an erased
object keeps its point, as the official loader would (it knows nothing of erasing either).
"""

from __future__ import annotations

import importlib
from typing import Sequence

#: RandAugment operations that move pixels (timm's names): the point would no longer be on the object
GEOMETRIC_OPS = frozenset({"Rotate", "ShearX", "ShearY", "TranslateX", "TranslateY", "TranslateXRel", "TranslateYRel"})


def _timm(module: str, key: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise RuntimeError(f"{key}: needs timm, which is not installed (trainer/scripts/make_timm_venv.sh)") from None


def photometric_rand_augment(config_str: str, mean: Sequence[float]):
    """timm's ``rand_augment_transform`` for ``config_str`` without its geometric operations (a PIL transform)."""
    auto_augment = _timm("timm.data.auto_augment", "rand_augment")
    fill = tuple(min(255, round(255 * m)) for m in mean)
    try:
        transform = auto_augment.rand_augment_transform(config_str, {"img_mean": fill, "translate_const": 0})
    except (AssertionError, ValueError, KeyError) as error:
        raise ValueError(f"rand_augment: {config_str!r} is not a timm RandAugment config ({error})") from None
    transform.ops = [op for op in transform.ops if op.name not in GEOMETRIC_OPS]
    if not transform.ops:
        raise ValueError(f"rand_augment: {config_str!r} leaves no photometric operation")
    return transform


def random_erasing(probability: float, mode: str):
    """timm's RandomErasing on the normalised CHW tensor of one sample (CPU, in the data loader)."""
    module = _timm("timm.data.random_erasing", "reprob")
    return module.RandomErasing(probability=probability, mode=mode, device="cpu")
