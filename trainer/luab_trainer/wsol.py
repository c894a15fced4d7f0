"""Weakly-supervised object localisation (the paper's Table 3): class activation maps from a checkpoint, scored
with the protocol of Choe et al. 2020, "Evaluating Weakly Supervised Object Localization Methods Right"
(the wsolevaluation code's BoxEvaluator and MaskEvaluator, re-implemented here on NumPy/SciPy: OpenCV, which that
code uses for resizing and contours, is not a dependency of the trainer).

CAM (``cam_method``):

- ``cam`` for a backbone whose head is global average pooling + linear (ResNet): Zhou et al.'s CAM,
  ``sum_k w[c, k] * A_k`` with A the last convolutional stage's map and w the classifier's weights of the
  predicted class c. Exact: the logit is the spatial mean of this map plus the bias.
- ``grad-cam`` for the small CNN, whose head is NOT a global average (its features are a 2x2-pooled map through a
  fully connected layer, so a per-location class score does not exist): Selvaraju et al.'s Grad-CAM,
  ``ReLU(sum_k alpha_k A_k)`` with alpha_k the spatial mean of d logit_c / d A_k. For a GAP + linear head this is
  the CAM divided by the map's area (tested), so the two agree where both apply.

The map is upsampled to the image (bicubic, as wsolevaluation's cv2.INTER_CUBIC) and min-max normalised per image.

Metrics, over CAM thresholds 0, 0.01, ..., 0.99 (wsolevaluation's ``cam_curve_interval`` 0.01):

- MaxBoxAcc (Choe et al.'s "MaxBoxAcc", their v1): at each threshold, the box of the largest connected region
  (8-connected) of ``cam > threshold`` (threshold relative to the map's maximum, which is 1 after normalisation);
  the fraction of images whose box has IoU >= 0.5 with the true box; the maximum over thresholds.
- MaxBoxAccV2: boxes of every connected region (the best IoU of them counts), at IoU 0.3, 0.5 and 0.7, each
  maximised over thresholds on its own, then averaged (reported apart as ``box_acc_iou30/50/70``).
- PxAP: the CAM's pixels as a detector of the object mask: histograms of the CAM values on mask and non-mask
  pixels over all images, precision and recall at every threshold, AP = sum of precision x recall step.

Boxes are in continuous pixel coordinates (xmax = last column + 1), the frame of the embedded benchmark's boxes
(docs/synth.md), rather than wsolevaluation's inclusive corners with a +1 in the IoU: the two agree up to how a
box's last pixel is counted. Images are given to the model resized to its input size with no crop (the embedded
benchmark's images already are that size; the Backgrounds Challenge's protocol does not crop either), so the
point head's prediction is a fraction of the image as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage

from .checkpoint import load_checkpoint
from .config import config_from_dict
from .models.point_classifier import PointClassifier
from .models.small_cnn import SmallCNN

THRESHOLDS = np.arange(0.0, 1.0, 0.01)
IOU_THRESHOLDS = (0.3, 0.5, 0.7)
# The Backgrounds Challenge's variants that show the object (no_fg, only_bg_b and only_bg_t remove it).
BGC_VARIANTS = ("original", "only_fg", "mixed_same", "mixed_rand", "mixed_next")
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


# --- the protocol -----------------------------------------------------------------------------------------------


def normalize_cam(cam: np.ndarray) -> np.ndarray:
    """wsolevaluation's normalize_scoremap: min-max to [0, 1]; a constant or non-finite map becomes all zeros."""
    cam = np.asarray(cam, dtype=np.float64)
    if not np.isfinite(cam).all() or cam.max() == cam.min():
        return np.zeros_like(cam)
    return (cam - cam.min()) / (cam.max() - cam.min())


def region_boxes(binary: np.ndarray) -> tuple[list[tuple[float, float, float, float]], int]:
    """Boxes [x0, y0, x1, y1] (continuous pixels) of the 8-connected regions of a binary map, and the index of the
    largest region (by pixel count; wsolevaluation takes the largest contour). ([], -1) for an empty map."""
    labels, count = ndimage.label(binary, structure=_EIGHT_CONNECTED)
    if count == 0:
        return [], -1
    slices = ndimage.find_objects(labels)
    largest = int(np.argmax(np.bincount(labels.ravel())[1:]))
    return [(float(s[1].start), float(s[0].start), float(s[1].stop), float(s[0].stop)) for s in slices], largest


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class BoxAccumulator:
    """For every threshold, the best IoU per image: of the largest region (MaxBoxAcc) and of any region (V2)."""

    def __init__(self, thresholds: np.ndarray = THRESHOLDS) -> None:
        self.thresholds = thresholds
        self.largest: list[np.ndarray] = []
        self.any_region: list[np.ndarray] = []

    def add(self, cam: np.ndarray, box: Sequence[float]) -> None:
        largest = np.zeros(len(self.thresholds))
        best = np.zeros(len(self.thresholds))
        for i, threshold in enumerate(self.thresholds):
            # cv2.THRESH_BINARY keeps the pixels above the threshold (at 0: every pixel with any activation)
            regions, biggest = region_boxes(cam > threshold)
            if not regions:
                continue
            largest[i] = box_iou(regions[biggest], box)
            best[i] = max(box_iou(b, box) for b in regions)
        self.largest.append(largest)
        self.any_region.append(best)

    def result(self) -> dict:
        if not self.largest:
            return {"max_box_acc": None, "max_box_acc_v2": None, "best_threshold": None}
        largest = np.stack(self.largest)
        any_region = np.stack(self.any_region)
        acc_v1 = (largest >= 0.5).mean(axis=0)
        out = {"max_box_acc": float(acc_v1.max()), "best_threshold": float(self.thresholds[int(np.argmax(acc_v1))])}
        per_iou = []
        for iou in IOU_THRESHOLDS:
            acc = (any_region >= iou).mean(axis=0)
            out[f"box_acc_iou{round(iou * 100)}"] = float(acc.max())
            per_iou.append(acc.max())
        out["max_box_acc_v2"] = float(np.mean(per_iou))
        return out


class PxapAccumulator:
    """wsolevaluation's MaskEvaluator: CAM-value histograms of mask and non-mask pixels, then AP."""

    def __init__(self, thresholds: np.ndarray = THRESHOLDS) -> None:
        self.edges = np.append(thresholds, [1.0, 2.0, 3.0])
        self.true_hist = np.zeros(len(self.edges) - 1, dtype=np.int64)
        self.false_hist = np.zeros(len(self.edges) - 1, dtype=np.int64)

    def add(self, cam: np.ndarray, mask: np.ndarray) -> None:
        mask = mask.astype(bool)
        self.true_hist += np.histogram(cam[mask], bins=self.edges)[0]
        self.false_hist += np.histogram(cam[~mask], bins=self.edges)[0]

    def result(self) -> Optional[float]:
        num_true = self.true_hist.sum()
        if num_true == 0:
            return None
        tp = self.true_hist[::-1].cumsum()
        fp = self.false_hist[::-1].cumsum()
        fn = num_true - tp
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
        recall = tp / (tp + fn)
        return float((precision[1:] * np.diff(recall)).sum())


# --- masks and records of the embedded benchmark ----------------------------------------------------------------


def decode_rle(rle: dict) -> np.ndarray:
    """COCO's uncompressed RLE (runs of 0 and 1 alternating, column-major, starting with 0s) to a [H, W] mask."""
    height, width = rle["size"]
    counts = np.asarray(rle["counts"], dtype=np.int64)
    if counts.sum() != height * width:
        raise ValueError(f"mask_rle: counts sum to {int(counts.sum())}, not {height} x {width}")
    values = np.arange(len(counts)) % 2
    flat = np.repeat(values.astype(np.uint8), counts)
    return flat.reshape(width, height).T


@dataclass
class Item:
    path: str
    label_wnid: str
    box: tuple[float, float, float, float]
    mask: np.ndarray


def read_split(root: str, variant: Optional[str], variants: Optional[Iterable[str]] = None,
               limit: Optional[int] = None) -> dict[str, list[Item]]:  # fmt: skip
    """The records of ROOT/objects.jsonl with a visible object, grouped by variant (only ``variant``, or those
    in ``variants``), each group cut to its first ``limit``."""
    groups: dict[str, list[Item]] = {}
    wanted = {variant} if variant is not None else set(variants or ())
    sidecar = os.path.join(root, "objects.jsonl")
    with open(sidecar, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            if record.get("variant") not in wanted or not record.get("object_visible") or record.get("box") is None:
                continue
            group = groups.setdefault(record["variant"], [])
            if limit is not None and len(group) >= limit:
                continue
            if record.get("mask_rle") is None:
                raise ValueError(f"{sidecar}:{number}: field 'mask_rle': missing for a visible object")
            group.append(Item(os.path.join(root, record["path"]), record["wnid"], tuple(record["box"]),
                              decode_rle(record["mask_rle"])))  # fmt: skip
    return groups


# --- CAMs from a model ------------------------------------------------------------------------------------------


def cam_target(model: PointClassifier) -> tuple[nn.Module, str]:
    """The module whose output is the last convolutional map, and the CAM method that applies to the head."""
    backbone = model.backbone
    if isinstance(backbone, SmallCNN):
        return backbone.stages, "grad-cam"
    if hasattr(backbone, "layer4"):
        return backbone.layer4, "cam"
    raise ValueError(f"backbone {type(backbone).__name__}: no convolutional feature map to take a CAM from "
                     "(small_cnn and resnet* have one; ViTs are not supported)")  # fmt: skip


def compute_cams(model: PointClassifier, images: torch.Tensor, method: Optional[str] = None):
    """CAMs of the predicted class [B, h, w] (before upsampling and normalisation), the logits and the points."""
    module, default_method = cam_target(model)
    method = method or default_method
    captured: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        if method == "grad-cam":
            output.retain_grad()
        captured.append(output)

    handle = module.register_forward_hook(keep)
    try:
        with torch.set_grad_enabled(method == "grad-cam"):
            logits, points = model(images)
    finally:
        handle.remove()
    features = captured[-1]
    predicted = logits.argmax(dim=1)
    if method == "cam":
        weights = model.head.weight[predicted]  # [B, K]
        cams = torch.einsum("bkhw,bk->bhw", features, weights)
    elif method == "grad-cam":
        model.zero_grad(set_to_none=True)
        logits.gather(1, predicted[:, None]).sum().backward()
        alpha = features.grad.mean(dim=(2, 3))  # [B, K]
        cams = F.relu(torch.einsum("bkhw,bk->bhw", features.detach(), alpha))
    else:
        raise ValueError(f"cam method must be cam or grad-cam, got {method!r}")
    return cams.detach(), logits.detach(), None if points is None else points.detach(), method


def load_model(checkpoint: str) -> tuple[PointClassifier, object, list[str], dict]:
    from .train import build_model_for

    state = load_checkpoint(checkpoint)
    config = config_from_dict(state["config"], checkpoint)
    if state.get("multi_label"):
        raise ValueError(f"{checkpoint}: a multi-label (COCO-AB) model; WSOL here scores single-label models")
    model = build_model_for(config, len(state["classes"]), False)
    model.load_state_dict(state["model"])
    model.eval()
    return model, config, [c["folder"] for c in state["classes"]], state


def evaluate_items(model: PointClassifier, config, wnids: list[str], items: list[Item],
                   batch_size: int = 64) -> tuple[dict, str]:  # fmt: skip
    """Top-1, the point head's point-in-box accuracy, MaxBoxAcc(V2) and PxAP of one split."""
    mean = torch.tensor(config.mean).view(1, 3, 1, 1)
    std = torch.tensor(config.std).view(1, 3, 1, 1)
    size = config.input_size
    boxes, pxap = BoxAccumulator(), PxapAccumulator()
    correct, point_hits, point_total = 0, 0, 0
    method = ""
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        pictures = [Image.open(item.path).convert("RGB") for item in batch]
        tensors = torch.stack([
            torch.from_numpy(np.asarray(p.resize((size, size), Image.BILINEAR) if p.size != (size, size) else p,
                                        dtype=np.float32) / 255.0).permute(2, 0, 1)
            for p in pictures
        ])  # fmt: skip
        cams, logits, points, method = compute_cams(model, (tensors - mean) / std)
        predicted = logits.argmax(dim=1).tolist()
        for i, item in enumerate(batch):
            height, width = item.mask.shape
            correct += int(wnids[predicted[i]] == item.label_wnid)
            upsampled = F.interpolate(cams[i][None, None].float(), size=(height, width), mode="bicubic",
                                      align_corners=False)[0, 0].numpy()  # fmt: skip
            cam = normalize_cam(upsampled)
            boxes.add(cam, item.box)
            pxap.add(cam, item.mask)
            if points is not None:
                x, y = float(points[i, 0, 0]) * width, float(points[i, 0, 1]) * height
                x0, y0, x1, y1 = item.box
                point_hits += int(x0 <= x <= x1 and y0 <= y <= y1)
                point_total += 1
    metrics = {
        "top1": correct / len(items) if items else None,
        "point_acc": point_hits / point_total if point_total else None,
        **boxes.result(),
        "pxap": pxap.result(),
    }
    return metrics, method


def run_wsol(checkpoint: str, data: str, limit: Optional[int] = None,
             progress: Callable[[str], None] = lambda _: None) -> dict:  # fmt: skip
    model, config, wnids, state = load_model(checkpoint)
    splits = [("val", read_split(data, "val", limit=limit).get("val", []))]
    bgc_root = os.path.join(data, "suites", "backgrounds_challenge")
    if os.path.isfile(os.path.join(bgc_root, "objects.jsonl")):
        groups = read_split(bgc_root, None, BGC_VARIANTS, limit)
        splits += [(f"bg-challenge/{v}", groups[v]) for v in BGC_VARIANTS if v in groups]
    result_splits, method = [], ""
    for name, items in splits:
        if not items:
            raise ValueError(f"{data}: no images with a visible object for split {name}")
        metrics, method = evaluate_items(model, config, wnids, items)
        progress(f"{name}: {len(items)} images, " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()
                                                              if isinstance(v, float)))  # fmt: skip
        result_splits.append({"split": name, "images": len(items), "metrics": metrics})
    return {
        "schema_version": 1,
        "checkpoint": os.path.abspath(checkpoint),
        "model": config.model,
        "objective": config.objective,
        "lambda": config.point_lambda if config.objective != "baseline" else 0,
        "seed": config.seed,
        "epochs": state["epoch"],
        "data": os.path.abspath(data),
        "cam_method": method,
        "protocol": {
            "thresholds": "0 to 0.99 step 0.01",
            "max_box_acc": "largest 8-connected region, IoU >= 0.5",
            "max_box_acc_v2": "mean over IoU 0.3/0.5/0.7 of the max over thresholds, every region's box",
            "pxap": "average precision of CAM pixels against the object mask",
            "input": "image resized to the input size, no crop; CAM upsampled bicubically, min-max normalised",
            "limit_per_split": limit,
        },
        "splits": result_splits,
    }


def wsol_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="luab_trainer wsol",
        description="CAM-based weakly-supervised localisation of a checkpoint on the embedded benchmark "
        "(MaxBoxAcc, MaxBoxAccV2, PxAP; Choe et al. 2020), beside the point head's accuracy.",
    )
    parser.add_argument("--checkpoint", required=True, help="a run's checkpoint-last.pth")
    parser.add_argument("--data", required=True, help="`luab synth` output folder (objects.jsonl, suites/)")
    parser.add_argument("--out", help="write the JSON here (default: stdout)")
    parser.add_argument("--limit", type=int, help="the first N images of each split")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit: expected an integer >= 1")
    torch.set_num_threads(max(1, (os.cpu_count() or 1)))
    result = run_wsol(args.checkpoint, args.data, args.limit, progress=lambda line: print(line, file=sys.stderr))
    text = json.dumps(result, indent=2)
    if args.out:
        partial = args.out + ".partial"
        with open(partial, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.replace(partial, args.out)
    else:
        print(text)
    return 0


if __name__ == "__main__":  # python -m luab_trainer.wsol ...
    sys.exit(wsol_command(sys.argv[1:]))
