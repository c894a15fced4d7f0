"""The ``train``, ``export`` and ``make-toy-data`` commands (``byproducts-stats`` lives in stats.py)."""

from __future__ import annotations

import argparse
import json
import sys

from .checkpoint import load_checkpoint
from .config import TrainConfig, config_from_dict, merge_for_resume, resolve_with_sources
from .data.classes import ClassInfo


def train_command(argv: list[str]) -> int:
    from .train import run_training

    values, explicit = resolve_with_sources(argv)
    if values.get("resume"):
        stored = load_checkpoint(values["resume"])["config"]
        config = merge_for_resume(stored, values, explicit, values["resume"])
    else:
        config = TrainConfig(**values)
        config.validate()
    result = run_training(config)
    exported = result["export"]
    if exported is not None:
        print(
            f"exported {exported.model_dir} version {exported.version} "
            f"(ONNX parity with PyTorch: {exported.parity_max_abs_diff:.1e}, {exported.runtime})",
            file=sys.stderr,
        )
    return 0


def export_command(argv: list[str]) -> int:
    from .export import export_to_repository
    from .train import build_model_for, export_spec

    parser = argparse.ArgumentParser(prog="luab_trainer export", description="Export a checkpoint into a model repository.")
    parser.add_argument("--checkpoint", required=True, help="a run's checkpoint-last.pth")
    parser.add_argument("--to", required=True, help="model folder, e.g. models/<name> (next free version is written)")
    parser.add_argument("--description", help="description for config.json")
    args = parser.parse_args(argv)
    state = load_checkpoint(args.checkpoint)
    config = config_from_dict(state["config"], args.checkpoint)
    if args.description:
        config.description = args.description
    classes = [ClassInfo(name=c["name"], folder=c["folder"]) for c in state["classes"]]
    model = build_model_for(config, len(classes), state["multi_label"])
    model.load_state_dict(state["model"])
    result = export_to_repository(model, export_spec(config, classes, state["multi_label"], state["history"]), args.to)
    print(json.dumps({"model_dir": result.model_dir, "version": result.version, "onnx": result.onnx_path,
                      "config": result.config_path, "parity_max_abs_diff": result.parity_max_abs_diff}))  # fmt: skip
    return 0


def toy_data_command(argv: list[str]) -> int:
    from .toydata import make_toy_dataset

    parser = argparse.ArgumentParser(prog="luab_trainer make-toy-data", description="Write the tiny shapes dataset.")
    parser.add_argument("--out", required=True)
    parser.add_argument("--train-per-class", type=int, default=100)
    parser.add_argument("--val-per-class", type=int, default=30)
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    written = make_toy_dataset(args.out, args.train_per_class, args.val_per_class, args.size, args.seed)
    print(json.dumps({split: len(items) for split, items in written.items()}))
    return 0
