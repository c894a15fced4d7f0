"""WSOL metrics on CAMs whose answer is known, the RLE masks of the embedded benchmark, and the CAM itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from luab_trainer.models import create_model
from luab_trainer.wsol import BoxAccumulator, PxapAccumulator, compute_cams, decode_rle, normalize_cam


def disc_mask(height=48, width=64, cx=40, cy=20, r=9):
    yy, xx = np.mgrid[0:height, 0:width]
    return ((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= r * r).astype(np.uint8)


def box_of(mask):
    rows, cols = np.nonzero(mask)
    return (float(cols.min()), float(rows.min()), float(cols.max() + 1), float(rows.max() + 1))


def encode_rle(mask):
    flat = mask.T.ravel()  # column-major
    counts, current, run = [], 0, 0
    for value in flat:
        if value == current:
            run += 1
        else:
            counts.append(run)
            current, run = value, 1
    counts.append(run)
    return {"size": list(mask.shape), "counts": counts}


def test_rle_decodes_column_major_starting_with_zeros():
    mask = disc_mask()
    assert np.array_equal(decode_rle(encode_rle(mask)), mask)
    # by hand: a 2 x 3 mask whose only object pixel is row 1, column 0 -> column-major index 1
    assert decode_rle({"size": [2, 3], "counts": [1, 1, 4]}).tolist() == [[0, 0, 0], [1, 0, 0]]
    with pytest.raises(ValueError, match="counts sum to 5"):
        decode_rle({"size": [2, 3], "counts": [1, 4]})


def test_cam_equal_to_the_mask_scores_one_everywhere():
    boxes, pxap = BoxAccumulator(), PxapAccumulator()
    for cx in (16, 40):
        mask = disc_mask(cx=cx)
        cam = normalize_cam(mask.astype(float))
        boxes.add(cam, box_of(mask))
        pxap.add(cam, mask)
    result = boxes.result()
    assert result["max_box_acc"] == 1.0
    assert result["max_box_acc_v2"] == 1.0
    assert result["box_acc_iou70"] == 1.0
    assert pxap.result() == pytest.approx(1.0)


def test_cam_on_the_background_scores_low():
    mask = disc_mask()
    inverted = normalize_cam(1.0 - mask)
    boxes, pxap = BoxAccumulator(), PxapAccumulator()
    boxes.add(inverted, box_of(mask))
    pxap.add(inverted, mask)
    assert boxes.result()["max_box_acc"] == 0.0
    # a detector that ranks every object pixel last: AP = the object's share of the image (precision at recall 1)
    assert pxap.result() == pytest.approx(mask.mean(), abs=1e-9)


def test_max_box_acc_takes_the_largest_region_and_v2_any_region():
    # the object is the small disc; the CAM also lights a larger blob elsewhere, equally strongly
    obj = disc_mask(cx=12, cy=12, r=5)
    distractor = disc_mask(cx=46, cy=30, r=12)
    cam = normalize_cam(np.maximum(obj, distractor).astype(float))
    boxes = BoxAccumulator()
    boxes.add(cam, box_of(obj))
    result = boxes.result()
    assert result["max_box_acc"] == 0.0  # the largest region is the distractor
    assert result["box_acc_iou50"] == 1.0  # V2 looks at every region
    assert result["max_box_acc_v2"] == 1.0


def test_max_over_thresholds_finds_the_threshold_that_fits():
    # a CAM that is a smooth bump: at low thresholds the region is too large, at a middle one it fits the box
    yy, xx = np.mgrid[0:64, 0:64]
    cam = normalize_cam(np.exp(-(((xx + 0.5 - 32) ** 2 + (yy + 0.5 - 32) ** 2) / (2 * 8.0**2))))
    box = (22.0, 22.0, 42.0, 42.0)
    boxes = BoxAccumulator()
    boxes.add(cam, box)
    result = boxes.result()
    assert result["max_box_acc"] == 1.0
    assert 0.1 < result["best_threshold"] < 0.9  # not the trivial threshold 0 (the whole image: IoU ~0.1)


def test_constant_cam_is_zero_and_scores_nothing():
    cam = normalize_cam(np.full((8, 8), 3.0))
    assert not cam.any()
    boxes = BoxAccumulator()
    boxes.add(cam, (1.0, 1.0, 4.0, 4.0))
    assert boxes.result()["max_box_acc"] == 0.0


def test_grad_cam_equals_cam_over_the_area_for_a_gap_linear_head():
    torch.manual_seed(0)
    model = create_model("resnet18", 4, 1, (64, 64), prefer_timm=False).eval()
    images = torch.randn(2, 3, 64, 64)
    cam, logits, points, method = compute_cams(model, images)
    assert method == "cam"
    grad_cam, logits2, _, method2 = compute_cams(model, images, method="grad-cam")
    assert method2 == "grad-cam"
    assert torch.allclose(logits, logits2)
    area = cam.shape[1] * cam.shape[2]
    # Grad-CAM's ReLU aside, it is CAM / area; and the logit is the CAM's spatial mean plus the bias
    assert torch.allclose(grad_cam, torch.relu(cam) / area, atol=1e-5)
    predicted = logits.argmax(dim=1)
    expected = cam.mean(dim=(1, 2)) + model.head.bias[predicted]
    assert torch.allclose(logits.gather(1, predicted[:, None])[:, 0], expected, atol=1e-4)
    assert points.shape == (2, 1, 2)


def test_small_cnn_uses_grad_cam_and_a_vit_is_refused():
    model = create_model("small_cnn", 9, 0, (64, 64), prefer_timm=False).eval()
    cam, logits, points, method = compute_cams(model, torch.randn(3, 3, 64, 64))
    assert method == "grad-cam" and cam.shape == (3, 4, 4) and points is None
    assert (cam >= 0).all()
    vit = create_model("vit_tiny", 9, 0, (32, 32), prefer_timm=False)
    with pytest.raises(ValueError, match="no convolutional feature map"):
        compute_cams(vit, torch.randn(1, 3, 32, 32))


def write_fake_benchmark(root, records):
    """A folder like `luab synth`'s: images and objects.jsonl (only the fields wsol reads, plus one hidden object)."""
    import json

    from PIL import Image

    (root / "val").mkdir(parents=True)
    lines = []
    for i, (wnid, cx) in enumerate(records):
        mask = disc_mask(64, 64, cx=cx, cy=32, r=10)
        pixels = np.full((64, 64, 3), 40, np.uint8)
        pixels[mask == 1] = (230, 200, 30)
        Image.fromarray(pixels).save(root / "val" / f"{i}.png")
        lines.append({"path": f"val/{i}.png", "variant": "val", "wnid": wnid, "object_visible": True,
                      "box": list(box_of(mask)), "mask_rle": encode_rle(mask)})  # fmt: skip
    lines.append({"path": "val/0.png", "variant": "val", "wnid": "n1", "object_visible": False, "box": None,
                  "mask_rle": None})  # fmt: skip
    (root / "objects.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_run_wsol_scores_a_checkpoint_on_the_benchmark_layout(tmp_path):
    from luab_trainer.checkpoint import save_checkpoint
    from luab_trainer.config import TrainConfig
    from luab_trainer.wsol import run_wsol

    write_fake_benchmark(tmp_path / "data", [("n1", 20), ("n2", 44), ("n1", 32)])
    cfg = TrainConfig(data_dir=str(tmp_path / "data"), model="small_cnn", objective="luab", seed=3)
    model = create_model("small_cnn", 2, 1, (64, 64), prefer_timm=False)
    checkpoint = str(tmp_path / "checkpoint-last.pth")
    save_checkpoint(checkpoint, {"model": model.state_dict(), "config": cfg.to_dict(), "epoch": 2,
                                 "classes": [{"name": "a", "folder": "n1"}, {"name": "b", "folder": "n2"}],
                                 "multi_label": False, "history": []})  # fmt: skip
    result = run_wsol(checkpoint, str(tmp_path / "data"))
    assert (result["objective"], result["seed"], result["epochs"], result["cam_method"]) == ("luab", 3, 2, "grad-cam")
    [split] = result["splits"]  # no Backgrounds Challenge in this folder
    assert split["split"] == "val" and split["images"] == 3  # the hidden object is not scored
    for key in ("top1", "point_acc", "max_box_acc", "max_box_acc_v2", "pxap"):
        assert 0.0 <= split["metrics"][key] <= 1.0, key
    limited = run_wsol(checkpoint, str(tmp_path / "data"), limit=1)
    assert limited["splits"][0]["images"] == 1


def test_wsol_command_exit_codes(tmp_path):
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "luab_trainer", "wsol", *args], capture_output=True, text=True)

    done = run("--checkpoint", str(tmp_path / "none.pth"), "--data", str(tmp_path), "--limit", "0")
    assert done.returncode == 2 and "--limit: expected an integer >= 1" in done.stderr
    done = run("--checkpoint", str(tmp_path / "none.pth"), "--data", str(tmp_path))
    assert done.returncode == 1 and "none.pth: no such checkpoint" in done.stderr
