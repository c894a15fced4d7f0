"""The preprocessing recipe and the ONNX session every Python peer of the side-by-side benchmark shares
(bench/side-by-side.ts), so that KServe, TorchServe and the grpcio server do exactly the same work per image.

The recipe is the model's config.json `preprocess` section as docs/model-repository.md defines it and the LUAB
server applies it (server/preprocess/): decode with Pillow, EXIF orientation, RGB, resize so the image covers
floor(size / crop_pct) keeping its aspect ratio (bilinear), centre crop to the model input, then
(v / 255 - mean) / std into float32 NCHW. A full decode, no JPEG draft mode: the plain way a Python server does it.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

KERNELS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "nearest": Image.NEAREST}


@dataclass(frozen=True)
class Recipe:
    width: int
    height: int
    crop_pct: float
    crop_mode: str
    kernel: int
    scale: np.ndarray  # 1 / (255 * std), shape [3, 1, 1]
    bias: np.ndarray  # -mean / std, shape [3, 1, 1]
    input_name: str
    outputs: tuple[str, str]  # the logits and point output names


def load_recipe(model_dir: str | Path) -> Recipe:
    config = json.loads((Path(model_dir) / "config.json").read_text())
    pre = config["preprocess"]
    mean = np.array(pre["mean"], dtype=np.float32).reshape(3, 1, 1)
    std = np.array(pre["std"], dtype=np.float32).reshape(3, 1, 1)
    return Recipe(
        width=config["input"]["width"],
        height=config["input"]["height"],
        crop_pct=pre.get("crop_pct", 1.0),
        crop_mode=pre.get("crop_mode", "center"),
        kernel=KERNELS[pre.get("interpolation", "bilinear")],
        scale=1 / (255 * std),
        bias=-mean / std,
        input_name=config["input"]["name"],
        outputs=(config["outputs"]["logits"], config["outputs"]["point"]),
    )


def geometry(w0: int, h0: int, r: Recipe) -> tuple[int, int, int, int]:
    """(Rw, Rh, left, top) of docs/model-repository.md's geometry: integer arithmetic and Python's round (half to
    even) for the crop, as the server and the trainer do it (checked against the contract's golden cases in
    test/side-by-side.test.ts)."""
    sw, sh = math.floor(r.width / r.crop_pct), math.floor(r.height / r.crop_pct)
    if r.crop_mode == "squash":
        rw, rh = sw, sh
    elif w0 * sh >= h0 * sw:
        rw, rh = (sh * w0) // h0, sh
    else:
        rw, rh = sw, (sw * h0) // w0
    return rw, rh, round((rw - r.width) / 2), round((rh - r.height) / 2)


def preprocess(data: bytes, r: Recipe) -> np.ndarray:
    """Encoded image -> float32 [3, H, W]."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    rw, rh, left, top = geometry(image.width, image.height, r)
    image = image.resize((rw, rh), r.kernel).crop((left, top, left + r.width, top + r.height))
    pixels = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)
    return pixels * r.scale + r.bias


def open_session(model_dir: str | Path, intra_op_threads: int):
    """The folder's model.onnx (a TorchServe model folder), else its latest numeric version's (a model repository
    entry), on the CPU, with `intra_op_threads` threads (0 = onnxruntime's default)."""
    flat = Path(model_dir) / "model.onnx"
    versions = sorted((p for p in Path(model_dir).iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    if not flat.is_file() and not versions:
        raise FileNotFoundError(f"{model_dir}: neither a model.onnx nor a numeric version folder with one")
    path = flat if flat.is_file() else versions[-1] / "model.onnx"
    import onnxruntime as ort  # here, so that the recipe itself needs only numpy and Pillow (its test runs without ORT)

    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def infer(session, r: Recipe, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[N, 3, H, W] -> (logits [N, classes], point [N, 2])."""
    logits, point = session.run(list(r.outputs), {r.input_name: batch})
    return logits, point
