"""Writes test/fixtures/contract/geometry-cases.json from torchvision's ACTUAL eval transforms.

For each case the resized size is the size of the image torchvision's ``Resize`` returns, and the crop offsets are
read back from a tensor whose values are their own column/row indices, passed through torchvision's
``CenterCrop``. The point pairs are then checked against the pixels: the whole pipeline (``Resize`` with NEAREST +
``CenterCrop``) runs on an image whose pixel values encode their coordinates, and the original pixel sampled at
each model pixel centre must be the one the mapping lands in. The trainer (pytest) and the server (mocha) must both
reproduce every number in the file.

    cd trainer && /usr/bin/python3 scripts/make_geometry_cases.py   # then the repo's prettier formats it
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test" / "fixtures" / "contract" / "geometry-cases.json"

# (image W0 x H0, input H x W, crop_pct, crop_mode): square and non-square images, portrait and landscape,
# crop_pct 1.0 and 0.875 (and 0.9, 0.95), and remainders (R - H) that are odd, so that CenterCrop's (R - H) / 2
# ends in .5 and Python's banker's rounding decides (0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4).
CASES = [
    ((64, 64), (64, 64), 1.0, "center"),
    ((64, 64), (64, 64), 0.875, "center"),
    ((65, 64), (64, 64), 1.0, "center"),  # remainder 1: round(0.5) = 0
    ((67, 64), (64, 64), 1.0, "center"),  # remainder 3: round(1.5) = 2
    ((69, 64), (64, 64), 1.0, "center"),  # remainder 5: round(2.5) = 2
    ((64, 71), (64, 64), 1.0, "center"),  # portrait, remainder 7: round(3.5) = 4
    ((500, 375), (224, 224), 0.875, "center"),  # ImageNet's usual landscape
    ((375, 500), (224, 224), 0.875, "center"),  # portrait
    ((640, 427), (224, 224), 0.875, "center"),  # COCO-like, long side not a whole multiple
    ((96, 64), (64, 64), 0.875, "center"),
    ((64, 96), (96, 96), 0.875, "center"),  # upscaling a small image
    ((333, 251), (97, 97), 0.9, "center"),  # odd input size
    ((120, 121), (64, 64), 0.95, "center"),
    ((1000, 300), (64, 64), 1.0, "center"),  # very wide
    ((500, 375), (224, 224), 0.875, "squash"),
    ((375, 500), (224, 224), 1.0, "squash"),
    ((77, 50), (64, 64), 0.875, "squash"),
    ((300, 200), (48, 64), 0.875, "squash"),  # non-square input, squash
    ((640, 360), (48, 64), 1.0, "center"),  # non-square input: the image's short side (height) is the covering side
    ((90, 200), (64, 48), 0.875, "center"),  # portrait image, portrait input: width covers
    ((400, 300), (96, 128), 1.0, "center"),  # same aspect ratio as the input: the tie W0*Sh == H0*Sw
]

MODEL_POINTS = [(0.0, 0.0), (1.0, 1.0), (0.5, 0.5), (0.25, 0.75)]


def torchvision_resize(image_w: int, image_h: int, input_h: int, input_w: int, crop_pct: float, crop_mode: str):
    """The Resize torchvision/timm use for this case (NEAREST so that pixel values survive)."""
    scale_h, scale_w = math.floor(input_h / crop_pct), math.floor(input_w / crop_pct)
    if crop_mode == "squash":
        return T.Resize((scale_h, scale_w), interpolation=InterpolationMode.NEAREST)
    # timm's center mode resizes the shorter side; for a non-square input that is torchvision's Resize(int) only
    # when the image's shorter side is also the side that must cover the scale size: the cases above are chosen so
    covering_height = image_w * scale_h >= image_h * scale_w
    if input_h != input_w and covering_height != (image_h <= image_w):
        raise SystemExit(f"case {image_w}x{image_h} -> {input_w}x{input_h}: torchvision has no Resize for it")
    return T.Resize(scale_h if covering_height else scale_w, interpolation=InterpolationMode.NEAREST)


def measure(image_w: int, image_h: int, input_h: int, input_w: int, crop_pct: float, crop_mode: str) -> dict:
    resize = torchvision_resize(image_w, image_h, input_h, input_w, crop_pct, crop_mode)
    crop = T.CenterCrop((input_h, input_w))
    resized_w, resized_h = resize(Image.new("RGB", (image_w, image_h))).size
    grid_y, grid_x = torch.meshgrid(torch.arange(resized_h), torch.arange(resized_w), indexing="ij")
    cropped = crop(torch.stack([grid_x, grid_y]))
    left, top = int(cropped[0, 0, 0]), int(cropped[1, 0, 0])

    # the whole pipeline on an image whose values are the original pixel's index: which pixel lands where
    index = np.arange(image_w * image_h, dtype=np.int32).reshape(image_h, image_w)
    sampled = np.asarray(crop(resize(Image.fromarray(index, mode="I"))))
    points = []
    for u, v in MODEL_POINTS:
        x, y = (left + u * input_w) / resized_w, (top + v * input_h) / resized_h
        points.append({"model": [u, v], "image": [x, y], "image_px": [x * image_w, y * image_h]})
    for row in range(input_h):
        for col in range(input_w):
            u, v = (col + 0.5) / input_w, (row + 0.5) / input_h
            x_px = (left + u * input_w) / resized_w * image_w
            y_px = (top + v * input_h) / resized_h * image_h
            source_y, source_x = divmod(int(sampled[row, col]), image_w)
            # NEAREST picks the pixel that contains the mapped centre; on an exact pixel edge either side is fair
            for got, want in ((source_x, x_px), (source_y, y_px)):
                if not (got <= want <= got + 1 or abs(want - round(want)) < 1e-6 and abs(got - want) <= 1):
                    raise SystemExit(f"case {image_w}x{image_h}: model pixel ({col}, {row}) sampled {got}, maps to {want}")
    return {
        "image": [image_w, image_h],
        "input": [input_h, input_w],
        "crop_pct": crop_pct,
        "crop_mode": crop_mode,
        "resized": [resized_w, resized_h],
        "crop": {"left": left, "top": top},
        "points": points,
    }


def main() -> None:
    cases = [measure(w0, h0, h, w, pct, mode) for (w0, h0), (h, w), pct, mode in CASES]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases, indent=2) + "\n")
    prettier = REPO / "node_modules" / ".bin" / "prettier"
    if prettier.exists() and shutil.which("node"):
        subprocess.run([str(prettier), "--write", str(OUT)], check=True, stdout=subprocess.DEVNULL)
    else:
        print(f"note: format {OUT} with the repo's prettier before committing (npm run format)", file=sys.stderr)
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
