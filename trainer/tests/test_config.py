"""Configuration layering: defaults < YAML < flags < --set, and the resolved args.yaml."""

from __future__ import annotations

import pytest
import yaml

from luab_trainer.config import ConfigError, TrainConfig, resolve, resolve_with_sources, write_resolved


def test_precedence(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data_dir: d\nlr: 1e-3\nepochs: 5\nbatch_size: 64\nscale: [0.3, 1]\n")
    config = resolve(["--config", str(path), "--epochs", "7", "--set", "batch_size=16", "--set", "lr=0.5"])
    assert (config.lr, config.epochs, config.batch_size, config.scale) == (0.5, 7, 16, [0.3, 1.0])
    assert config.model == TrainConfig().model  # untouched keys keep their defaults
    _, explicit = resolve_with_sources(["--config", str(path), "--no-progress"])
    assert explicit == {"data_dir", "lr", "epochs", "batch_size", "scale", "progress"}


def test_args_yaml_round_trip(tmp_path):
    config = resolve(["--data-dir", "d", "--objective", "rand", "--mean", "0.5", "0.5", "0.5"])
    written = write_resolved(config, str(tmp_path))
    again = resolve(["--config", written])
    assert again == config and yaml.safe_load(open(written))["objective"] == "rand"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--data-dir", "d", "--mean", "0.5", "0.5"], "mean: needs 3 values"),
        (["--data-dir", "d", "--set", "point_lambda=-1"], "point_lambda: must be a finite number >= 0"),
        (["--data-dir", "d", "--set", "point_lambda=.inf"], "point_lambda: must be a finite number >= 0"),
        (["--data-dir", "d", "--set", "amp=maybe"], "key 'amp': expected true or false"),
        (["--data-dir", "d", "--dataset", "coco-ab"], "coco_ab_json: required for dataset coco-ab"),
        (["--data-dir", "d", "--scale", "0.9", "0.1"], "scale: needs 2 increasing positive values"),
    ],
)
def test_invalid_values_name_the_key(argv, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        resolve(argv)
