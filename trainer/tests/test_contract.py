"""The export follows docs/model-repository.md: schema-valid config.json, named ONNX I/O with a dynamic batch,
onnx.checker, parity with PyTorch through onnxruntime-node (the server's runtime), versions, and refusals."""

from __future__ import annotations

import json
import shutil
import sys
import types

import jsonschema
import onnx
import pytest
import torch
from conftest import REPO_ROOT

from luab_trainer.export import ExportError, ExportSpec, export_to_repository
from luab_trainer.models import create_model
from luab_trainer.models.point_classifier import PointClassifier
from luab_trainer.onnx_runtime import NodeOnnxRuntime, OnnxRuntimeUnavailable, PythonOnnxRuntime, find_runner

SCHEMA = json.loads((REPO_ROOT / "docs" / "model-config.schema.json").read_text())
LABELS = [{"name": "disk", "wnid": "n00000001"}, {"name": "square", "wnid": "n00000002"}, {"name": "triangle"}]


def spec(multi_label: bool = False, **overrides) -> ExportSpec:
    values = dict(labels=LABELS, multi_label=multi_label, input_size=32, mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25],
                  crop_pct=0.875, crop_mode="center", interpolation="bilinear",
                  provenance={"objective": "luab", "lambda": 10, "epochs": 0, "seed": 0})  # fmt: skip
    values.update(overrides)
    return ExportSpec(**values)


@pytest.fixture(scope="module")
def runner():
    """The parity checks here run on onnxruntime-node, the server's own runtime, whether or not Python's
    onnxruntime is installed (find_runner would prefer it): what is served is what is checked."""
    node = shutil.which("node")
    assert node is not None, "node is not on the PATH: the parity tests need Node.js and `npm ci`"
    return NodeOnnxRuntime(node)


def test_find_runner_prefers_python_then_node_then_fails_naming_both(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now raises ImportError
    assert isinstance(find_runner(), NodeOnnxRuntime)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(OnnxRuntimeUnavailable, match="install Python onnxruntime, or Node.js"):
        find_runner()
    monkeypatch.setitem(sys.modules, "onnxruntime", types.ModuleType("onnxruntime"))
    assert isinstance(find_runner(), PythonOnnxRuntime)


def onnx_io(path: str) -> tuple[list, dict]:
    model = onnx.load(path)
    dims = lambda value: [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]  # noqa: E731
    return [(i.name, dims(i)) for i in model.graph.input], {o.name: dims(o) for o in model.graph.output}


def test_single_label_luab_export(tmp_path, runner):
    torch.manual_seed(0)
    model = create_model("small_cnn", 3, 1, (32, 32))
    result = export_to_repository(model, spec(), str(tmp_path / "toy-luab"), runner)
    config = json.loads((tmp_path / "toy-luab" / "config.json").read_text())
    jsonschema.validate(config, SCHEMA)
    assert result.version == 1 and result.onnx_path == str(tmp_path / "toy-luab" / "1" / "model.onnx")
    assert config["task"] == "single-label" and config["labels"] == LABELS
    assert config["outputs"] == {"logits": "logits", "point": "point"}
    assert config["input"] == {"name": "image", "height": 32, "width": 32}
    assert config["preprocess"]["crop_pct"] == 0.875 and config["provenance"]["version"] == 1
    inputs, outputs = onnx_io(result.onnx_path)
    assert inputs == [("image", ["N", 3, 32, 32])]
    assert outputs == {"logits": ["N", 3], "point": ["N", 2]}
    assert onnx.load(result.onnx_path).opset_import[0].version <= 17
    assert result.parity_max_abs_diff <= 1e-4
    # no staging folder is left behind for the server to trip on
    assert sorted(p.name for p in (tmp_path / "toy-luab").iterdir()) == ["1", "config.json"]


def test_parity_numbers_from_the_runtime(tmp_path, runner):
    """Independently of the exporter's own check: run the file and compare with PyTorch on a batch of 5."""
    torch.manual_seed(1)
    model = create_model("small_cnn", 3, 1, (32, 32)).eval()
    result = export_to_repository(model, spec(), str(tmp_path / "m"), runner)
    images = torch.randn(5, 3, 32, 32)
    with torch.no_grad():
        logits, points = model(images)
    got = runner.run(result.onnx_path, {"image": images.numpy()})
    assert got["logits"].shape == (5, 3) and got["point"].shape == (5, 2)
    assert abs(got["logits"] - logits.numpy()).max() <= 1e-4
    assert abs(got["point"] - points[:, 0].numpy()).max() <= 1e-4
    assert ((got["point"] >= 0) & (got["point"] <= 1)).all()


def test_multi_label_exports_points_per_class(tmp_path, runner):
    model = create_model("small_cnn", 3, 3, (32, 32))
    result = export_to_repository(model, spec(multi_label=True), str(tmp_path / "coco"), runner)
    config = json.loads((tmp_path / "coco" / "config.json").read_text())
    jsonschema.validate(config, SCHEMA)
    assert config["task"] == "multi-label" and config["outputs"] == {"logits": "logits", "points": "points"}
    assert onnx_io(result.onnx_path)[1] == {"logits": ["N", 3], "points": ["N", 3, 2]}


def test_baseline_exports_without_point(tmp_path, runner):
    model = create_model("small_cnn", 3, 0, (32, 32))
    result = export_to_repository(model, spec(provenance={"objective": "baseline"}), str(tmp_path / "base"), runner)
    config = json.loads((tmp_path / "base" / "config.json").read_text())
    jsonschema.validate(config, SCHEMA)
    assert config["outputs"] == {"logits": "logits"}
    assert list(onnx_io(result.onnx_path)[1]) == ["logits"]


def test_vit_exports_with_layernorm(tmp_path, runner):
    model = create_model("vit_tiny", 3, 1, (32, 32), prefer_timm=False)
    result = export_to_repository(model, spec(), str(tmp_path / "vit"), runner)
    assert result.parity_max_abs_diff <= 1e-4


def test_next_version_and_contract_guard(tmp_path, runner):
    model = create_model("small_cnn", 3, 1, (32, 32))
    target = str(tmp_path / "toy")
    (tmp_path / "toy" / "7").mkdir(parents=True)  # an existing version 7 (its files are the server's business)
    (tmp_path / "toy" / "notes").mkdir()
    assert export_to_repository(model, spec(), target, runner).version == 8
    with pytest.raises(ExportError, match="different preprocess"):
        export_to_repository(model, spec(crop_pct=1.0), target, runner)
    assert sorted(p.name for p in (tmp_path / "toy").iterdir()) == ["7", "8", "config.json", "notes"]


def test_invalid_config_is_refused_before_anything_is_written(tmp_path, runner):
    model = create_model("small_cnn", 3, 1, (32, 32))
    with pytest.raises(ExportError, match="std"):
        export_to_repository(model, spec(std=[0.0, 0.2, 0.2]), str(tmp_path / "bad"), runner)
    assert list((tmp_path / "bad").iterdir()) == []
    with pytest.raises(ExportError, match="model name"):
        export_to_repository(model, spec(), str(tmp_path / ".hidden"), runner)


class DriftingModel(PointClassifier):
    """A model whose ONNX cannot match it: a Python-side call counter is added to the logits, which the tracer
    freezes into the graph as a constant while PyTorch's later calls keep counting."""

    calls = 0

    def forward(self, images):
        logits, points = super().forward(images)
        DriftingModel.calls += 1
        return logits + float(DriftingModel.calls), points


def test_parity_failure_refuses_the_export_and_leaves_nothing(tmp_path, runner):
    torch.manual_seed(2)
    plain = create_model("small_cnn", 3, 1, (32, 32))
    model = DriftingModel(plain.backbone, plain.head.in_features, 3, 1)
    target = tmp_path / "drift"
    with pytest.raises(ExportError, match=r"model.onnx: ONNX \(onnxruntime-node\) differs from PyTorch by"):
        export_to_repository(model, spec(), str(target), runner)
    assert list(target.iterdir()) == []  # neither a version folder nor config.json nor the staging folder
