"""The evaluation-time preprocessing geometry of docs/model-repository.md (timm's eval transform).

This is the one implementation in the trainer: the evaluation transform resizes and crops with the numbers this
module computes, and the points are mapped with the same numbers, so pixels and points cannot disagree. The server
implements the same arithmetic in TypeScript; both reproduce test/fixtures/contract/geometry-cases.json, whose
values come from torchvision's own Resize + CenterCrop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CROP_MODES = ("center", "squash")


@dataclass(frozen=True)
class EvalGeometry:
    """Where the model input sits in the original image: resize to ``resized_w x resized_h``, then take the
    ``input_h x input_w`` window at (``left``, ``top``)."""

    image_w: int
    image_h: int
    input_h: int
    input_w: int
    resized_w: int
    resized_h: int
    left: int
    top: int

    def model_to_image(self, u: float, v: float) -> tuple[float, float]:
        """A model-input point (fractions of the crop) to fractions of the original image."""
        return (self.left + u * self.input_w) / self.resized_w, (self.top + v * self.input_h) / self.resized_h

    def image_to_model(self, x: float, y: float) -> tuple[float, float]:
        """Fractions of the original image to the model-input frame; outside [0, 1] means outside the crop."""
        return (x * self.resized_w - self.left) / self.input_w, (y * self.resized_h - self.top) / self.input_h


def eval_geometry(
    image_w: int, image_h: int, input_h: int, input_w: int, crop_pct: float, crop_mode: str = "center"
) -> EvalGeometry:
    """The contract's steps 1-3 in integer arithmetic (Python's round is the banker's rounding CenterCrop uses)."""
    if not 0 < crop_pct <= 1:
        raise ValueError(f"crop_pct must be in (0, 1], got {crop_pct}")
    if crop_mode not in CROP_MODES:
        raise ValueError(f"crop_mode must be one of {CROP_MODES}, got {crop_mode!r}")
    if min(image_w, image_h, input_h, input_w) <= 0:
        raise ValueError(f"sizes must be positive: image {image_w}x{image_h}, input {input_w}x{input_h}")
    scale_h, scale_w = math.floor(input_h / crop_pct), math.floor(input_w / crop_pct)
    if crop_mode == "squash":
        resized_w, resized_h = scale_w, scale_h
    elif image_w * scale_h >= image_h * scale_w:
        resized_w, resized_h = scale_h * image_w // image_h, scale_h
    else:
        resized_w, resized_h = scale_w, scale_w * image_h // image_w
    return EvalGeometry(
        image_w=image_w,
        image_h=image_h,
        input_h=input_h,
        input_w=input_w,
        resized_w=resized_w,
        resized_h=resized_h,
        left=round((resized_w - input_w) / 2),
        top=round((resized_h - input_h) / 2),
    )
