"""A tiny byproduct dataset, written in the real formats, for the tests and the documented quick start.

Coloured shapes at random positions on noisy, blotchy backgrounds; ImageNet's folder layout with ``classes.json``;
ImageNet-AB XML (ILSVRC box + simulated annotator blocks) for the training images, LOC XML (boxes only) for the
validation images: the trainer's real readers read it. The objects' centres are spread over most of the image, so
a constant centre prediction is clearly worse than reading where the object is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image, ImageDraw

SHAPES = [
    ("disk", "n00000001", (220, 40, 40)),
    ("square", "n00000002", (40, 80, 220)),
    ("triangle", "n00000003", (40, 180, 60)),
]


@dataclass(frozen=True)
class ToyObject:
    shape: int
    box: tuple[int, int, int, int]  # xmin, ymin, xmax, ymax (pixels, inclusive)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    coarse = rng.uniform(60, 200, size=(4, 4, 3))
    blotches = np.array(Image.fromarray(coarse.astype(np.uint8)).resize((size, size), Image.BICUBIC), np.float64)
    noise = rng.normal(0, 18, size=(size, size, 3))
    return np.clip(blotches + noise, 0, 255).astype(np.uint8)


def _draw(rng: np.random.Generator, size: int, shape: int) -> tuple[Image.Image, ToyObject]:
    image = Image.fromarray(_background(rng, size))
    half = int(rng.integers(size // 8, size // 5 + 1))
    cx, cy = (int(rng.integers(half, size - half)) for _ in range(2))
    box = (cx - half, cy - half, cx + half - 1, cy + half - 1)
    draw = ImageDraw.Draw(image)
    colour = tuple(int(c) for c in np.clip(np.array(SHAPES[shape][2]) + rng.integers(-25, 26, 3), 0, 255))
    if SHAPES[shape][0] == "disk":
        draw.ellipse(box, fill=colour)
    elif SHAPES[shape][0] == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) / 2, box[1])], fill=colour)
    return image, ToyObject(shape, box)


def _loc_fields(wnid: str, stem: str, size: int, obj: ToyObject) -> str:
    xmin, ymin, xmax, ymax = obj.box
    return (
        f"  <folder>{wnid}</folder>\n  <filename>{stem}</filename>\n"
        "  <source><database>luab toy data</database></source>\n"
        f"  <size><width>{size}</width><height>{size}</height><depth>3</depth></size>\n"
        f"  <object><name>{wnid}</name><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
        f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>\n"
    )


def _metadata_block(rng: np.random.Generator, wnid: str, stem: str, size: int, centre, selected: bool) -> str:
    """One simulated annotator: a click near the object (odd number of clicks when it ends selected)."""
    clicks = 1 if selected else 2
    t0 = 1641425050000 + int(rng.integers(0, 10_000_000))
    records = []
    for k in range(clicks):
        x, y = np.clip(np.array(centre) / size + rng.normal(0, 0.03, 2), 0, 1)
        records.append(f"    <selectedRecord><time>{t0 + 300 * k}</time><x>{x:.6f}</x><y>{y:.6f}</y></selectedRecord>\n")
    hovered = (
        "    <hoveredRecord>None</hoveredRecord>\n"
        if rng.random() < 0.3
        else f"    <hoveredRecord><action>enter</action><time>{t0 - 200}</time></hoveredRecord>\n"
    )
    return (
        "  <metadata>\n"
        f"    <assignment_id>TOY{escape(stem).upper()}</assignment_id>\n    <estimateTime>{int(rng.integers(100, 900))}</estimateTime>\n"
        f"    <hit_id>TOYHIT</hit_id>\n    <hit_submit_time>{t0 // 1000 + 60}</hit_submit_time>\n"
        f"    <hoveredCount>1</hoveredCount>\n{hovered}"
        f"    <imageHeight>243</imageHeight>\n    <imageID>{wnid}/{stem}</imageID>\n"
        "    <imagePosition><x>857</x><y>1976</y></imagePosition>\n    <imageWidth>243</imageWidth>\n"
        f"    <image_idx>{int(rng.integers(0, 40))}</image_idx>\n    <imagenet_hit_id>toy</imagenet_hit_id>\n"
        f"    <originalImageHeight>{size}</originalImageHeight>\n    <originalImageWidth>{size}</originalImageWidth>\n"
        f"    <page_idx>0</page_idx>\n    <selected>{selected}</selected>\n    <selectedCount>{clicks}</selectedCount>\n"
        + "".join(records)
        + "    <worker_id>TOYWORKER</worker_id>\n  </metadata>\n"
    )


def make_toy_dataset(out: str, train_per_class: int = 100, val_per_class: int = 30, size: int = 40, seed: int = 0) -> dict:
    """Write the dataset under ``out``; returns {split: [(image path, ToyObject), ...]} for tests to score."""
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "classes.json"), "w", encoding="utf-8") as handle:
        json.dump([{"index": i, "name": name, "wnid": wnid} for i, (name, wnid, _) in enumerate(SHAPES)], handle)
    written: dict[str, list] = {"train": [], "val": []}
    for split, count in (("train", train_per_class), ("val", val_per_class)):
        for shape, (_, wnid, _) in enumerate(SHAPES):
            image_dir, xml_dir = os.path.join(out, split, wnid), os.path.join(out, f"{split}_xml", wnid)
            os.makedirs(image_dir, exist_ok=True)
            os.makedirs(xml_dir, exist_ok=True)
            for n in range(1, count + 1):
                stem = f"{wnid}_{n}" if split == "train" else f"{wnid}_val_{n}"
                image, obj = _draw(rng, size, shape)
                path = os.path.join(image_dir, stem + ".JPEG")
                image.save(path, quality=92)
                xml = "<annotation>\n" + _loc_fields(wnid, stem, size, obj)
                if split == "train":
                    centre = ((obj.box[0] + obj.box[2] + 1) / 2, (obj.box[1] + obj.box[3] + 1) / 2)
                    # ~10% of the images end with no selected block (no target), as in the real data
                    n_blocks = int(rng.integers(1, 3))
                    any_selected = rng.random() >= 0.1
                    for block in range(n_blocks):
                        selected = any_selected and (block == 0 or rng.random() < 0.5)
                        xml += _metadata_block(rng, wnid, stem, size, centre, selected)
                xml += "</annotation>\n"
                with open(os.path.join(xml_dir, stem + ".xml"), "w", encoding="utf-8") as handle:
                    handle.write(xml)
                written[split].append((path, obj))
    return written
