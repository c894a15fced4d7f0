"""byproducts-stats: numbers checked by hand on tiny inputs, and the figures written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import DATA, subprocess_env
from PIL import Image

from luab_trainer.byproducts.errors import SkipCounter
from luab_trainer.stats import coco_ab_stats, imagenet_ab_stats


def xml(size: tuple[int, int], box, click) -> str:
    fields = f"<size><width>{size[0]}</width><height>{size[1]}</height><depth>3</depth></size>"
    if box:
        fields += f"<object><name>n1</name><bndbox><xmin>{box[0]}</xmin><ymin>{box[1]}</ymin><xmax>{box[2]}</xmax><ymax>{box[3]}</ymax></bndbox></object>"
    if click:
        fields += (f"<metadata><selected>True</selected><selectedRecord><time>1</time><x>{click[0]}</x>"
                   f"<y>{click[1]}</y></selectedRecord></metadata>")  # fmt: skip
    else:
        fields += "<metadata><selected>False</selected></metadata>"
    return f"<annotation><folder>n1</folder>{fields}</annotation>"


def test_imagenet_ab_numbers_by_hand(tmp_path):
    folder = tmp_path / "train_xml" / "n1"
    folder.mkdir(parents=True)
    # 1: click (50, 25) in box [40..60] x [20..30]; centre (50, 25) in it too; box covers ~21x11 of 100x50
    (folder / "a.xml").write_text(xml((100, 50), (40, 20, 60, 30), (0.5, 0.5)))
    # 2: click (10, 10) outside box [50..99] x [0..49] (right half); centre (50, 25) inside
    (folder / "b.xml").write_text(xml((100, 50), (50, 0, 99, 49), (0.1, 0.2)))
    # 3: no selected block; 4: no box: neither is scored
    (folder / "c.xml").write_text(xml((100, 50), (0, 0, 99, 49), None))
    (folder / "d.xml").write_text(xml((100, 50), None, (0.5, 0.5)))
    stats, relative = imagenet_ab_stats(str(tmp_path / "train_xml"), "first-selected-mean", SkipCounter(), progress=False)
    assert (stats["images"], stats["with_target"], stats["with_box"], stats["scored_images"]) == (4, 3, 3, 2)
    assert stats["click_in_box"] == 0.5 and stats["centre_click_in_box"] == 1.0
    assert stats["uniform_random_in_box"] == pytest.approx((21 * 11 / 5000 + 0.5) / 2, abs=0.02)
    assert relative.ravel().tolist() == pytest.approx([0.5, 0.5, -40 / 49, 10 / 49])


def test_coco_ab_with_instances(tmp_path):
    instances = {
        "images": [{"id": 296169, "file_name": "a.jpg", "width": 480, "height": 360},
                   {"id": 459214, "file_name": "b.jpg", "width": 640, "height": 428}],
        "categories": [{"id": 3, "name": "car"}, {"id": 2, "name": "bicycle"}, {"id": 61, "name": "cake"}],
        "annotations": [{"image_id": 296169, "category_id": 61, "bbox": [300, 250, 100, 60]},
                        {"image_id": 459214, "category_id": 3, "bbox": [300, 200, 120, 80]},
                        {"image_id": 459214, "category_id": 2, "bbox": [0, 0, 50, 50]}],
    }  # fmt: skip
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(instances))
    stats, sequences = coco_ab_stats(str(DATA / "coco_ab_sample.json"), "last-add", str(path), SkipCounter(), False)
    # cake at (0.788*480, 0.838*360) = (378, 302): in [300, 400] x [250, 310]; car (373, 252) in its box;
    # bicycle (379, 273) is not in [0, 50]^2. Centre: (240, 180) in none; (320, 214) in the car's box.
    assert stats["scored_class_occurrences"] == 3
    assert stats["click_in_box"] == pytest.approx(2 / 3) and stats["centre_click_in_box"] == pytest.approx(1 / 3)
    assert sequences == {"add": 2, "add-move": 1}
    final, _ = coco_ab_stats(str(DATA / "coco_ab_sample.json"), "final-position", str(path), SkipCounter(), False)
    assert final["click_in_box"] == pytest.approx(1 / 3)  # the cake was moved to (337, 196): out of its box


def test_command_writes_figures(toy_data, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "luab_trainer", "byproducts-stats", "--imagenet-ab", f"{toy_data[0]}/train_xml",
         "--coco-ab", str(DATA / "coco_ab_sample.json"), "--out", str(tmp_path), "--no-progress"],
        env=subprocess_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["imagenet_ab"]["scored_images"] == report["imagenet_ab"]["with_target"] > 250
    # the simulated clicks are near the object: far better than the centre of the image
    assert report["imagenet_ab"]["click_in_box"] > 0.95 > 0.5 > report["imagenet_ab"]["centre_click_in_box"]
    for figure in ("imagenet_ab_clicks_in_box.png", "coco_ab_action_sequences.png"):
        with Image.open(tmp_path / figure) as image:
            assert image.format == "PNG" and image.width >= 400
    assert json.loads((tmp_path / "stats.json").read_text()) == report
