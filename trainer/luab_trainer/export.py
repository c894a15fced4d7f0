"""ONNX + config.json export into the server's model repository (docs/model-repository.md is the contract).

Layout: ``<model_dir>/config.json`` and ``<model_dir>/<version>/model.onnx``, version = the next free positive
integer. The ONNX file is written, checked (``onnx.checker``) and compared with PyTorch (max abs difference
<= 1e-4, on a batch size other than the traced one, which also proves the batch axis is dynamic) in a hidden
staging folder that the server ignores, then renamed into place: a server that watches the repository never sees
a half-written version. The config is validated against docs/model-config.schema.json before it is written.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import jsonschema
import numpy as np
import onnx
import torch
import torch.nn as nn

from .models import PointClassifier
from .onnx_runtime import REPO_ROOT, ModelRunner, find_runner

_logger = logging.getLogger(__name__)

SCHEMA_PATH = REPO_ROOT / "docs" / "model-config.schema.json"
OPSET = 17  # the highest torch 1.13 exports; the contract allows <= 17
PARITY_TOLERANCE = 1e-4
INPUT_NAME = "image"
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# config.json keys that must not change between versions of one model: they are shared by all versions
_CONTRACT_KEYS = ("schema_version", "task", "labels", "input", "preprocess", "outputs")


class ExportError(RuntimeError):
    pass


@dataclass(frozen=True)
class ExportSpec:
    """What config.json says about the model, besides its weights."""

    labels: list[dict]
    multi_label: bool
    input_size: int
    mean: list[float]
    std: list[float]
    crop_pct: float
    crop_mode: str
    interpolation: str
    description: Optional[str] = None
    provenance: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ExportResult:
    model_dir: str
    version: int
    onnx_path: str
    config_path: str
    parity_max_abs_diff: float
    runtime: str


class _OnnxGraph(nn.Module):
    """The exported graph: ``logits`` and, when the model has a point head, ``point`` [N, 2] (single-label) or
    ``points`` [N, C, 2] (multi-label)."""

    def __init__(self, model: PointClassifier, multi_label: bool) -> None:
        super().__init__()
        self.model = model
        self.multi_label = multi_label

    def forward(self, image):
        logits, points = self.model(image)
        if points is None:
            return logits
        return logits, (points if self.multi_label else points[:, 0, :])


def output_names(model: PointClassifier, multi_label: bool) -> list[str]:
    if model.point_head is None:
        return ["logits"]
    return ["logits", "points" if multi_label else "point"]


def build_config(spec: ExportSpec, outputs: list[str]) -> dict:
    config = {"schema_version": 1}
    if spec.description:
        config["description"] = spec.description
    config.update(
        task="multi-label" if spec.multi_label else "single-label",
        labels=spec.labels,
        input={"name": INPUT_NAME, "height": spec.input_size, "width": spec.input_size},
        preprocess={
            "mean": list(spec.mean),
            "std": list(spec.std),
            "crop_pct": spec.crop_pct,
            "crop_mode": spec.crop_mode,
            "interpolation": spec.interpolation,
        },
        outputs={name: name for name in outputs},
        provenance=spec.provenance,
    )
    return config


def validate_config(config: dict) -> None:
    if not SCHEMA_PATH.exists():
        raise ExportError(f"{SCHEMA_PATH}: the model-config schema is missing; cannot validate config.json")
    schema = json.loads(SCHEMA_PATH.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors)
        raise ExportError(f"config.json does not follow {SCHEMA_PATH.name}: {details}")


def next_version(model_dir: Path) -> int:
    versions = [int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit() and int(p.name) > 0]
    return max(versions, default=0) + 1


def export_onnx(model: PointClassifier, multi_label: bool, input_size: int, path: str) -> list[str]:
    graph = _OnnxGraph(model, multi_label).eval()
    names = output_names(model, multi_label)
    dummy = torch.randn(2, 3, input_size, input_size)
    # The tracer warns about every shape assert in torch's attention code; they are constants for a fixed input
    # size, and the parity check runs a batch size other than the traced one, which is what would break.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            graph,
            dummy,
            path,
            input_names=[INPUT_NAME],
            output_names=names,
            dynamic_axes={name: {0: "N"} for name in [INPUT_NAME, *names]},
            opset_version=OPSET,
            do_constant_folding=True,
            **_torchscript_exporter(),
        )
    _declare_output_shapes(path, model, multi_label)
    onnx.checker.check_model(onnx.load(path))
    return names


def _torchscript_exporter() -> dict:
    """PyTorch 2.9 made the dynamo exporter the default (opset 18, dynamic_shapes instead of dynamic_axes); ask
    for the TorchScript exporter that torch 1.13 has, so every version writes the same opset-17 graph."""
    return {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


def _declare_output_shapes(path: str, model: PointClassifier, multi_label: bool) -> None:
    """The tracer leaves the point output's class/xy axes symbolic (they come out of a Reshape); the server
    checks declared shapes at load, so write the known sizes into the graph's output types."""
    classes = model.head.out_features
    known = {"logits": [classes], "point": [2], "points": [classes, 2]}
    proto = onnx.load(path)
    for output in proto.graph.output:
        dims = output.type.tensor_type.shape.dim
        for dim, size in zip(dims[1:], known[output.name]):
            dim.Clear()
            dim.dim_value = size
    onnx.save(proto, path)


def check_parity(
    model: PointClassifier, multi_label: bool, input_size: int, path: str, runner: ModelRunner, batch: int = 3
) -> float:
    """Max abs difference between PyTorch and the ONNX runtime on a random batch; raises past the tolerance."""
    generator = torch.Generator().manual_seed(1234)
    images = torch.randn(batch, 3, input_size, input_size, generator=generator)
    with torch.no_grad():
        expected = _OnnxGraph(model, multi_label).eval()(images)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = runner.run(path, {INPUT_NAME: images.numpy()})
    worst = 0.0
    for name, want in zip(output_names(model, multi_label), expected):
        if name not in got:
            raise ExportError(f"{path}: output '{name}' missing from the ONNX session (has {sorted(got)})")
        if tuple(got[name].shape) != tuple(want.shape):
            raise ExportError(f"{path}: output '{name}' has shape {got[name].shape}, PyTorch gives {tuple(want.shape)}")
        worst = max(worst, float(np.max(np.abs(got[name] - want.numpy()))))
    if worst > PARITY_TOLERANCE:
        raise ExportError(f"{path}: ONNX ({runner.name}) differs from PyTorch by {worst:.2e} > {PARITY_TOLERANCE}")
    return worst


def export_to_repository(
    model: PointClassifier, spec: ExportSpec, model_dir: str, runner: Optional[ModelRunner] = None
) -> ExportResult:
    """Write ``model_dir/<next version>/model.onnx`` and ``model_dir/config.json``."""
    target = Path(model_dir)
    if not _MODEL_NAME.match(target.name):
        raise ExportError(f"{model_dir}: the model name '{target.name}' must match {_MODEL_NAME.pattern}")
    model = model.cpu().float().eval()
    runner = runner or find_runner()
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target))
    try:
        onnx_path = staging / "model.onnx"
        names = export_onnx(model, spec.multi_label, spec.input_size, str(onnx_path))
        parity = check_parity(model, spec.multi_label, spec.input_size, str(onnx_path), runner)
        version = next_version(target)
        config = build_config(spec, names)
        config["provenance"] = {**spec.provenance, "version": version, "parity_max_abs_diff": parity}
        validate_config(config)
        config_path = target / "config.json"
        if config_path.exists():
            _check_same_contract(config_path, config)
        staged_config = staging / "config.json"
        staged_config.write_text(json.dumps(config, indent=2) + "\n")
        os.replace(staged_config, config_path)
        version_dir = target / str(version)
        os.rename(staging, version_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _logger.info("exported %s version %d (parity %.1e with %s)", target, version, parity, runner.name)
    return ExportResult(str(target), version, str(version_dir / "model.onnx"), str(config_path), parity, runner.name)


def _check_same_contract(config_path: Path, config: dict) -> None:
    """All versions share one config.json: a new version whose labels, input, preprocessing or outputs differ
    would be served with the wrong config, so it is refused (export to a new model name instead)."""
    try:
        existing = json.loads(config_path.read_text())
    except json.JSONDecodeError as error:
        raise ExportError(f"{config_path}: existing config is not valid JSON ({error})") from None
    differing = [key for key in _CONTRACT_KEYS if existing.get(key) != config.get(key)]
    if differing:
        raise ExportError(
            f"{config_path}: the existing model has a different {', '.join(differing)}; "
            "all versions share one config.json, so export this model under a new name"
        )
