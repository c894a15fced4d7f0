"""The trainer's geometry reproduces the golden cases (values from torchvision's own transforms)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REPO_ROOT
from PIL import Image

from luab_trainer.data.transforms import EvalResizeCrop
from luab_trainer.geometry import eval_geometry

CASES_PATH = REPO_ROOT / "test" / "fixtures" / "contract" / "geometry-cases.json"
CASES = json.loads(CASES_PATH.read_text())


def test_cases_cover_what_the_contract_needs():
    assert len(CASES) >= 20
    assert {c["crop_mode"] for c in CASES} == {"center", "squash"}
    assert {1.0, 0.875} <= {c["crop_pct"] for c in CASES}
    assert any(c["image"][0] > c["image"][1] for c in CASES) and any(c["image"][0] < c["image"][1] for c in CASES)
    assert any(c["input"][0] != c["input"][1] for c in CASES)
    remainders = {(c["resized"][0] - c["input"][1]) % 4 for c in CASES} | {(c["resized"][1] - c["input"][0]) % 4 for c in CASES}
    assert {1, 3} <= remainders  # (R - H) / 2 ends in .5, both ways of banker's rounding


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['image']}->{c['input']}@{c['crop_pct']}/{c['crop_mode']}")
def test_geometry_reproduces_case(case):
    (image_w, image_h), (input_h, input_w) = case["image"], case["input"]
    geom = eval_geometry(image_w, image_h, input_h, input_w, case["crop_pct"], case["crop_mode"])
    assert [geom.resized_w, geom.resized_h] == case["resized"]
    assert {"left": geom.left, "top": geom.top} == case["crop"]
    for pair in case["points"]:
        assert geom.model_to_image(*pair["model"]) == pytest.approx(pair["image"], abs=1e-12)
        assert geom.image_to_model(*pair["image"]) == pytest.approx(pair["model"], abs=1e-9)


@pytest.mark.parametrize("case", CASES[:8], ids=lambda c: f"{c['image']}->{c['input']}")
def test_eval_transform_pixels_follow_the_case(case):
    """The evaluation transform's pixels: the original pixel index image, resized NEAREST, puts at each model
    pixel the original pixel that the case's mapping of that pixel's centre lands in."""
    (image_w, image_h), (input_h, input_w) = case["image"], case["input"]
    transform = EvalResizeCrop(input_h, input_w, case["crop_pct"], case["crop_mode"], "nearest")
    index = np.arange(image_w * image_h, dtype=np.int32).reshape(image_h, image_w)
    out, _, _ = transform(Image.fromarray(index, mode="I"), np.zeros((0, 2)), np.zeros(0))
    sampled = np.asarray(out)
    left, top = case["crop"]["left"], case["crop"]["top"]
    resized_w, resized_h = case["resized"]
    for row in range(0, input_h, max(1, input_h // 7)):
        for col in range(0, input_w, max(1, input_w // 7)):
            x_px = (left + col + 0.5) / resized_w * image_w
            y_px = (top + row + 0.5) / resized_h * image_h
            source_y, source_x = divmod(int(sampled[row, col]), image_w)
            assert abs(source_x + 0.5 - x_px) <= 0.5 + 1e-6 and abs(source_y + 0.5 - y_px) <= 0.5 + 1e-6
