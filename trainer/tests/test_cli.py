"""The command line as a user (and ``luab train``) runs it: the documented quick start, exit codes, messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import jsonschema
import pytest
import yaml
from conftest import REPO_ROOT, TRAINER_DIR, subprocess_env

SCHEMA = json.loads((REPO_ROOT / "docs" / "model-config.schema.json").read_text())
QUICK = ["--epochs", "1", "--no-progress", "--val-split", "val"]


def luab(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "luab_trainer", *args], env=subprocess_env(), cwd=cwd,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_quick_start_trains_and_exports(tmp_path):
    """docs/trainer.md's quick start, from the repo root, with 1 epoch instead of 8."""
    data = tmp_path / "toy"
    made = luab("make-toy-data", "--out", str(data), "--train-per-class", "40", "--val-per-class", "10")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {"train": 120, "val": 30}
    models = tmp_path / "models" / "toy-luab"
    done = luab("train", "--config", str(TRAINER_DIR / "configs" / "toy-luab.yaml"), "--data-dir", str(data),
                "--output", str(tmp_path / "runs"), "--export-to", str(models), *QUICK, "--set", "batch_size=16")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = done.stdout.strip().splitlines()  # stdout: exactly one JSON line per epoch
    entry = json.loads(line)
    assert entry["epoch"] == 0 and entry["val_point_error"] is not None
    config = json.loads((models / "config.json").read_text())
    jsonschema.validate(config, SCHEMA)
    assert config["outputs"]["point"] == "point" and (models / "1" / "model.onnx").is_file()
    assert config["provenance"]["objective"] == "luab" and config["provenance"]["epochs"] == 1
    assert config["labels"][0] == {"name": "disk", "wnid": "n00000001"}
    resolved = yaml.safe_load((tmp_path / "runs" / "toy-luab" / "args.yaml").read_text())
    assert resolved["epochs"] == 1 and resolved["batch_size"] == 16 and resolved["lr"] == 2e-3  # flag, --set, YAML
    assert "exported" in done.stderr and "version 1" in done.stderr

    again = luab("export", "--checkpoint", str(tmp_path / "runs" / "toy-luab" / "checkpoint-last.pth"), "--to", str(models))
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["version"] == 2 and (models / "2" / "model.onnx").is_file()


def test_baseline_exports_classes_only(toy_data, tmp_path):
    done = luab("train", "--data-dir", toy_data[0], "--input-size", "32", "--objective", "baseline", "--threads", "1",
                "--workers", "0", "--batch-size", "32", "--output", str(tmp_path), "--experiment", "b",
                "--export-to", str(tmp_path / "models" / "base"), *QUICK)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    entry = json.loads(done.stdout)
    assert entry["val_point_error"] is None and entry["val_centre_point_error"] > 0
    assert json.loads((tmp_path / "models" / "base" / "config.json").read_text())["outputs"] == {"logits": "logits"}


def test_non_finite_loss_stops_with_a_clear_message(toy_data, tmp_path):
    done = luab("train", "--data-dir", toy_data[0], "--input-size", "32", "--threads", "1", "--workers", "0",
                "--batch-size", "32", "--output", str(tmp_path), "--opt", "sgd", "--warmup-epochs", "0",
                "--set", "lr=1e30", *QUICK)  # fmt: skip
    assert done.returncode == 1
    assert "non-finite loss at epoch 0, step" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "yaml_text, args, message",
    [
        ("data_dir: x\nlearning_rate: 0.1\n", [], "unknown key 'learning_rate'"),
        ("data_dir: x\nepochs: many\n", [], "key 'epochs': expected int"),
        ("data_dir: x\nobjective: luab2\n", [], "'luab2' is not one of baseline, rand, luab"),
        ("data_dir: x\n", ["--set", "epochs"], "expected KEY=VALUE"),
        ("data_dir: x\ncrop_pct: 1.5\n", [], "crop_pct: must be in (0, 1]"),
        ("epochs: 1\n", [], "data_dir: required"),
    ],
)
def test_configuration_errors_exit_2_and_name_the_key(tmp_path, yaml_text, args, message):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text)
    done = luab("train", "--config", str(config), *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    if "unknown key" in message or "expected int" in message:
        assert str(config) in done.stderr


def test_malformed_byproduct_fails_or_is_counted_with_skip_bad(toy_data, tmp_path):
    data = tmp_path / "toy"
    shutil.copytree(toy_data[0], data)
    broken = data / "train_xml" / "n00000002" / "n00000002_3.xml"
    broken.write_text(broken.read_text().replace("<selected>True</selected>", "<selected>yes</selected>", 1)
                      .replace("<selected>False</selected>", "<selected>yes</selected>", 1))  # fmt: skip
    common = ["train", "--data-dir", str(data), "--input-size", "32", "--threads", "1", "--workers", "0",
              "--batch-size", "32", "--output", str(tmp_path / "runs"), "--no-progress", "--epochs", "1",
              "--val-split", ""]  # fmt: skip
    failed = luab(*common, "--experiment", "strict")
    assert failed.returncode == 1
    assert f"{broken}: field 'metadata[0]/selected': expected True or False, got 'yes'" in failed.stderr
    skipped = luab(*common, "--experiment", "lenient", "--skip-bad")
    assert skipped.returncode == 0, skipped.stderr[-2000:]
    assert "skipped 1 malformed byproduct records (--skip-bad)" in skipped.stderr


def test_usage_without_command_exits_2():
    done = luab()
    assert done.returncode == 2 and "usage: python -m luab_trainer" in done.stderr
