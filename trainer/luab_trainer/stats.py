"""``byproducts-stats``: what a byproduct dataset holds, and how good its clicks are, as numbers and figures.

ImageNet-AB (a folder of XML): images, with a byproduct, with a target under the rule, with a box; the click-in-box
accuracy against the centre-click and uniform-random baselines (the paper: 82.9%, 83.9% and 48.2% on the real
data); the click position relative to its box as a 2-D histogram (the paper's Fig. F). COCO-AB (the JSON): records,
placed class occurrences, the histogram of per-class action sequences (Fig. J) and, given the COCO instances file,
the click-in-box accuracy per class occurrence.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .byproducts.coco_ab import TARGET_RULES as COCO_RULES
from .byproducts.coco_ab import class_targets, iter_coco_ab
from .byproducts.errors import SkipCounter
from .byproducts.imagenet_ab import TARGET_RULES, Box, read_with_target

HIST_RANGE = (-0.5, 1.5)  # box-relative coordinates: 0..1 is inside the box
HIST_BINS = 40
_RASTER = 64  # resolution of the union-of-boxes area estimate (uniform-random baseline)


def _union_fraction(boxes, width: int, height: int) -> float:
    """Fraction of the image covered by the boxes: the chance a uniform-random click lands in one."""
    mask = np.zeros((_RASTER, _RASTER), bool)
    for b in boxes:
        x0, x1 = int(b.xmin / width * _RASTER), int(np.ceil((b.xmax + 1) / width * _RASTER))
        y0, y1 = int(b.ymin / height * _RASTER), int(np.ceil((b.ymax + 1) / height * _RASTER))
        mask[max(y0, 0) : min(y1, _RASTER), max(x0, 0) : min(x1, _RASTER)] = True
    return float(mask.mean())


def _main_box(boxes) -> Box:
    return max(boxes, key=lambda b: (b.xmax - b.xmin) * (b.ymax - b.ymin))


def imagenet_ab_stats(xml_dir: str, rule: str, skips: SkipCounter, progress: bool = True) -> tuple[dict, np.ndarray]:
    """Returns the numbers and the box-relative click positions [M, 2] for the histogram."""
    paths = sorted(str(p) for p in Path(xml_dir).rglob("*.xml"))
    if not paths:
        raise FileNotFoundError(f"{xml_dir}: no .xml files")
    counts = Counter()
    relative = []
    hits = centre_hits = random_expectation = 0.0
    for path in tqdm(paths, desc="reading XML", unit="file", disable=not progress):
        parsed = read_with_target(path, rule, skips)
        if parsed is None:
            continue
        record, target = parsed
        counts["images"] += 1
        counts["with_byproduct"] += bool(record.annotators)
        counts["annotator_blocks"] += len(record.annotators)
        counts["with_target"] += target is not None
        counts["with_box"] += bool(record.boxes)
        size = record.image_size
        if target is None or not record.boxes or size is None:
            continue
        width, height = size
        counts["scored"] += 1
        x_px, y_px = target[0] * width, target[1] * height
        hits += any(b.contains(x_px, y_px) for b in record.boxes)
        centre_hits += any(b.contains(width / 2, height / 2) for b in record.boxes)
        random_expectation += _union_fraction(record.boxes, width, height)
        box = _main_box(record.boxes)
        relative.append(((x_px - box.xmin) / max(box.xmax - box.xmin, 1), (y_px - box.ymin) / max(box.ymax - box.ymin, 1)))
    scored = counts["scored"]
    stats = {
        "rule": rule,
        **{k: counts[k] for k in ("images", "with_byproduct", "with_target", "with_box", "annotator_blocks")},
        "scored_images": scored,
        "click_in_box": hits / scored if scored else None,
        "centre_click_in_box": centre_hits / scored if scored else None,
        "uniform_random_in_box": random_expectation / scored if scored else None,
        "skipped_files": skips.skipped,
    }
    return stats, np.array(relative, dtype=np.float64).reshape(-1, 2)


def coco_ab_stats(path: str, rule: str, instances_path, skips: SkipCounter, progress: bool = True) -> tuple[dict, Counter]:
    sequences: Counter = Counter()
    counts = Counter()
    boxes_by_image, names = {}, {}
    if instances_path:
        from .data.coco_ab import read_coco_instances

        instances = read_coco_instances(instances_path)
        names = dict(instances.categories)
        boxes_by_image = instances.boxes
        sizes = {image_id: (w, h) for image_id, (_, w, h) in instances.images.items()}
    for record in tqdm(iter_coco_ab(path, skips), desc="reading COCO-AB", unit="rec", disable=not progress):
        counts["records"] += 1
        for sequence in record.action_sequences().values():
            sequences["-".join(sequence)] += 1
        targets = class_targets(record, rule)
        counts["placed_class_occurrences"] += len(targets)
        if record.image_id not in boxes_by_image:
            continue
        width, height = sizes[record.image_id]
        for name, (x, y) in targets.items():
            class_boxes = [(bx, by, bw, bh) for cid, bx, by, bw, bh in boxes_by_image[record.image_id] if names[cid] == name]
            if not class_boxes:
                counts["placed_absent_class"] += 1
                continue
            counts["scored"] += 1
            inside = lambda px, py: any(bx <= px <= bx + bw and by <= py <= by + bh for bx, by, bw, bh in class_boxes)  # noqa: E731
            counts["hits"] += inside(x * width, y * height)
            counts["centre_hits"] += inside(width / 2, height / 2)
    scored = counts["scored"]
    total_sequences = sum(sequences.values())
    stats = {
        "rule": rule,
        "records": counts["records"],
        "placed_class_occurrences": counts["placed_class_occurrences"],
        "action_sequences": {k: v / total_sequences for k, v in sequences.most_common(10)} if total_sequences else {},
        "scored_class_occurrences": scored,
        "click_in_box": counts["hits"] / scored if scored else None,
        "centre_click_in_box": counts["centre_hits"] / scored if scored else None,
        "placed_absent_class": counts["placed_absent_class"],
        "skipped_records": skips.skipped,
    }
    return stats, sequences


def plot_click_histogram(relative: np.ndarray, stats: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 4.6), dpi=100)
    histogram, _, _ = np.histogram2d(relative[:, 1], relative[:, 0], bins=HIST_BINS, range=[HIST_RANGE, HIST_RANGE])
    image = axis.imshow(histogram, extent=(*HIST_RANGE, HIST_RANGE[1], HIST_RANGE[0]), cmap="magma", interpolation="nearest")
    axis.add_patch(plt.Rectangle((0, 0), 1, 1, fill=False, edgecolor="cyan", linewidth=1.5, label="GT box"))
    axis.set_xlabel("click x relative to the box (0 = left, 1 = right)")
    axis.set_ylabel("click y relative to the box (0 = top, 1 = bottom)")
    accuracy = stats["click_in_box"]
    axis.set_title(f"Clicks relative to the box (n={len(relative)}, in box {accuracy:.1%})", fontsize=10)
    axis.legend(loc="lower right", fontsize=8)
    figure.colorbar(image, ax=axis, label="clicks")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_action_sequences(sequences: Counter, path: str, top: int = 10) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    total = sum(sequences.values())
    common = sequences.most_common(top)
    figure, axis = plt.subplots(figsize=(6, 0.35 * len(common) + 1.2), dpi=100)
    labels = [name for name, _ in common][::-1]
    shares = [count / total for _, count in common][::-1]
    axis.barh(labels, shares, color="#4c72b0")
    for y, share in enumerate(shares):
        axis.text(share, y, f" {share:.1%}", va="center", fontsize=8)
    axis.set_xlabel(f"share of placed class occurrences (n={total})")
    axis.set_title("COCO-AB action sequences per class", fontsize=10)
    axis.set_xlim(0, max(shares) * 1.2)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def stats_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="luab_trainer byproducts-stats", description=__doc__.split("\n\n")[0])
    parser.add_argument("--imagenet-ab", metavar="DIR", help="folder of ImageNet-AB XML (e.g. train_xml)")
    parser.add_argument("--rule", default="first-selected-mean", choices=TARGET_RULES)
    parser.add_argument("--coco-ab", metavar="FILE", help="COCO-AB JSON")
    parser.add_argument("--coco-instances", metavar="FILE", help="COCO instances JSON (for click-in-box)")
    parser.add_argument("--coco-rule", default="last-add", choices=COCO_RULES)
    parser.add_argument("--out", required=True, help="folder for stats.json and the figures")
    parser.add_argument("--skip-bad", action="store_true", help="count malformed records instead of failing")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not args.imagenet_ab and not args.coco_ab:
        parser.error("give --imagenet-ab DIR and/or --coco-ab FILE")
    os.makedirs(args.out, exist_ok=True)
    report: dict = {}
    if args.imagenet_ab:
        skips = SkipCounter(skip_bad=args.skip_bad)
        stats, relative = imagenet_ab_stats(args.imagenet_ab, args.rule, skips, not args.no_progress)
        skips.report("XML files")
        if len(relative):
            stats["figure"] = os.path.join(args.out, "imagenet_ab_clicks_in_box.png")
            plot_click_histogram(relative, stats, stats["figure"])
        report["imagenet_ab"] = stats
    if args.coco_ab:
        skips = SkipCounter(skip_bad=args.skip_bad)
        stats, sequences = coco_ab_stats(args.coco_ab, args.coco_rule, args.coco_instances, skips, not args.no_progress)
        skips.report("COCO-AB records")
        if sequences:
            stats["figure"] = os.path.join(args.out, "coco_ab_action_sequences.png")
            plot_action_sequences(sequences, stats["figure"])
        report["coco_ab"] = stats
    with open(os.path.join(args.out, "stats.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps(report))
    return 0
