"""The training configuration: one typed dataclass, layered as timm does it.

Precedence, lowest first: the defaults below, the YAML file given by ``--config``, the command-line flags, then
``--set key=value`` (applied last, for keys without a convenient flag in a wrapper script). Every key has a
default, a help text and a flag (``--kebab-case``); unknown keys in the YAML file are an error naming the file and
the key. The resolved configuration is written beside the outputs as ``args.yaml``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import os
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, get_args, get_origin, get_type_hints

import yaml

from .byproducts import coco_ab, imagenet_ab
from .data.rand_points import RAND_MODES
from .geometry import CROP_MODES
from .losses import OBJECTIVES

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DATASETS = ("imagenet-ab", "coco-ab")
COCO_CROP_RULES = ("drop-label", "keep-label")


def _key(default: Any, help: str, group: str, choices: Optional[Sequence[str]] = None):
    metadata = {"help": help, "group": group, "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainConfig:
    # data
    data_dir: Optional[str] = _key(None, "dataset root (ImageNet layout: train/, train_xml/, val/, val_xml/)", "data")
    dataset: str = _key("imagenet-ab", "imagenet-ab (also the synthetic benchmark) or coco-ab", "data", DATASETS)
    train_split: str = _key("train", "training images folder under data_dir", "data")
    val_split: str = _key("val", "validation images folder under data_dir ('' for none)", "data")
    train_xml_dir: Optional[str] = _key(None, "ImageNet-AB XML folder (default: <data_dir>/train_xml)", "data")
    val_xml_dir: Optional[str] = _key(None, "validation box XML folder (default: <data_dir>/val_xml)", "data")
    target_rule: str = _key(
        "first-selected-mean", "ImageNet-AB point target rule", "data", imagenet_ab.TARGET_RULES
    )
    coco_ab_json: Optional[str] = _key(None, "COCO-AB JSON (coco_ab_v1_0.json)", "data")
    coco_train_instances: Optional[str] = _key(None, "COCO instances JSON of the training images", "data")
    coco_val_instances: Optional[str] = _key(None, "COCO instances JSON of the validation images", "data")
    coco_train_images: Optional[str] = _key(None, "folder of the COCO training images (default: <data_dir>/train2014)", "data")
    coco_val_images: Optional[str] = _key(None, "folder of the COCO validation images (default: <data_dir>/val2014)", "data")
    coco_target_rule: str = _key("last-add", "COCO-AB point target rule", "data", coco_ab.TARGET_RULES)
    coco_crop_rule: str = _key(
        "drop-label",
        "a class whose COCO-AB point leaves the training crop: drop-label (the official loader: the class is absent "
        "from that sample) or keep-label (a positive without a point term)",
        "data",
        COCO_CROP_RULES,
    )
    skip_bad: bool = _key(False, "skip malformed byproduct records (counted and reported) instead of failing", "data")
    # model
    model: str = _key("small_cnn", "backbone: small_cnn, resnet18/50/101/152, vit_tiny/small/base", "model")
    input_size: int = _key(64, "model input height = width, pixels", "model")
    crop_pct: float = _key(0.875, "evaluation crop fraction (timm's crop_pct), written to config.json", "model")
    crop_mode: str = _key("center", "evaluation resize mode", "model", CROP_MODES)
    interpolation: str = _key("bilinear", "resize kernel", "model", ("bilinear", "bicubic", "nearest"))
    mean: list[float] = _key(list(IMAGENET_MEAN), "per-channel normalisation mean", "model")
    std: list[float] = _key(list(IMAGENET_STD), "per-channel normalisation std", "model")
    prefer_timm: bool = _key(True, "use timm's backbones when timm is installed", "model")
    drop_path: float = _key(0.0, "stochastic depth rate (timm's resnet*/vit_* backbones; needs timm)", "model")
    sync_bn: bool = _key(False, "convert BatchNorm to SyncBatchNorm under DDP (CUDA only)", "model")
    # objective
    objective: str = _key("luab", "baseline (no point loss), rand (uniform-random point), luab", "objective", OBJECTIVES)
    point_lambda: float = _key(10.0, "weight of the point loss (paper: 10 ImageNet; 5 or 50 COCO)", "objective")
    rand_mode: str = _key(
        "fresh-per-step",
        "Rand's point: fresh-per-step (uniform in the crop, drawn every step) or fixed-per-image (drawn once, moved "
        "with the crop); either way on exactly the samples LUAB regresses",
        "objective",
        RAND_MODES,
    )
    label_smoothing: float = _key(0.1, "cross-entropy label smoothing (single-label)", "objective")
    smooth_l1_beta: float = _key(1.0, "smooth-L1 beta (PyTorch's default)", "objective")
    # augmentation
    scale: list[float] = _key([0.08, 1.0], "RandomResizedCrop area range", "augmentation")
    ratio: list[float] = _key([0.75, 1.3333333333333333], "RandomResizedCrop aspect-ratio range", "augmentation")
    hflip: float = _key(0.5, "horizontal flip probability", "augmentation")
    color_jitter: float = _key(0.4, "colour jitter strength (0: off)", "augmentation")
    rand_augment: Optional[str] = _key(
        None,
        "timm RandAugment config (e.g. rand-m9-mstd0.5-inc1), its photometric ops only; needs timm",
        "augmentation",
    )
    reprob: float = _key(0.0, "random erasing probability (timm's RandomErasing; needs timm)", "augmentation")
    remode: str = _key("pixel", "random erasing fill", "augmentation", ("const", "rand", "pixel"))
    mixup: float = _key(
        0.0, "mixup alpha (0: off); the point loss is weighted by lambda per source; needs timm", "augmentation"
    )
    cutmix: float = _key(
        0.0, "cutmix alpha (0: off); the point of the source that covers more of the image, if visible; needs timm",
        "augmentation",
    )  # fmt: skip
    mixup_prob: float = _key(1.0, "probability of mixing a batch when mixup or cutmix is on", "augmentation")
    mixup_switch_prob: float = _key(0.5, "probability of cutmix instead of mixup when both are on", "augmentation")
    # optimisation
    opt: str = _key("adamw", "optimizer (adamp: timm's AdamP, needs timm)", "optimisation", ("adamw", "sgd", "adamp"))
    lr: float = _key(1e-3, "peak learning rate", "optimisation")
    weight_decay: float = _key(0.05, "weight decay (not on biases and norm weights)", "optimisation")
    momentum: float = _key(0.9, "SGD momentum", "optimisation")
    epochs: int = _key(30, "training epochs", "optimisation")
    warmup_epochs: float = _key(1.0, "linear warm-up length, epochs", "optimisation")
    warmup_lr: float = _key(1e-6, "learning rate at the start of the warm-up", "optimisation")
    min_lr: float = _key(1e-5, "learning rate at the end of the cosine", "optimisation")
    batch_size: int = _key(128, "GLOBAL batch size (split evenly across DDP processes)", "optimisation")
    clip_grad: Optional[float] = _key(None, "clip the gradient norm to this value", "optimisation")
    # runtime
    seed: int = _key(0, "seed of shuffling, augmentation, initialisation and the Rand targets", "runtime")
    workers: int = _key(2, "data loader worker processes per training process", "runtime")
    threads: int = _key(0, "torch intra-op threads per process (0: cores / local processes)", "runtime")
    device: str = _key("auto", "auto (CUDA when available), cpu, cuda", "runtime", ("auto", "cpu", "cuda"))
    amp: bool = _key(True, "mixed precision (float16 autocast) on CUDA; ignored on the CPU", "runtime")
    output: str = _key("runs", "folder for the run folders", "runtime")
    experiment: Optional[str] = _key(None, "run folder name (default: <model>-<objective>-<time>)", "runtime")
    resume: Optional[str] = _key(None, "checkpoint to continue from (its run folder is reused)", "runtime")
    progress: bool = _key(True, "show a progress bar", "runtime")
    export_to: Optional[str] = _key(None, "after training, export into this model folder (models/<name>)", "runtime")
    description: Optional[str] = _key(None, "description written into config.json at export", "runtime")

    def validate(self) -> None:
        """Checks that argparse cannot express; each message names the key."""
        problems = []
        if not self.data_dir:
            problems.append("data_dir: required (--data-dir or data_dir: in the YAML)")
        positive = ("input_size", "epochs", "batch_size")
        problems += [f"{k}: must be > 0, got {getattr(self, k)}" for k in positive if getattr(self, k) <= 0]
        if not 0 < self.crop_pct <= 1:
            problems.append(f"crop_pct: must be in (0, 1], got {self.crop_pct}")
        for name in ("point_lambda", "lr", "weight_decay", "warmup_epochs", "min_lr", "warmup_lr", "threads", "workers"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                problems.append(f"{name}: must be a finite number >= 0, got {value}")
        for name in ("mean", "std"):
            if len(getattr(self, name)) != 3:
                problems.append(f"{name}: needs 3 values (RGB), got {getattr(self, name)}")
        if any(s <= 0 for s in self.std):
            problems.append(f"std: must be > 0, got {self.std}")
        for name in ("scale", "ratio"):
            pair = getattr(self, name)
            if len(pair) != 2 or not 0 < pair[0] <= pair[1]:
                problems.append(f"{name}: needs 2 increasing positive values, got {pair}")
        if not 0 <= self.hflip <= 1:
            problems.append(f"hflip: a probability in [0, 1], got {self.hflip}")
        for name in ("mixup", "cutmix"):
            if not math.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                problems.append(f"{name}: a Beta alpha >= 0 (0: off), got {getattr(self, name)}")
        for name in ("drop_path", "reprob", "mixup_prob", "mixup_switch_prob"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name}: a probability in [0, 1], got {getattr(self, name)}")
        if self.drop_path > 0 and self.model == "small_cnn":
            problems.append("drop_path: small_cnn has no residual blocks to drop; use 0 or a resnet/vit model")
        missing = timm_keys_set(self)
        if missing and importlib.util.find_spec("timm") is None:
            problems.append(
                f"{', '.join(missing)}: need timm, which is not installed "
                "(trainer/scripts/make_timm_venv.sh makes a venv with it; or turn these keys off"
                + (", and opt: adamw replaces adamp" if "opt" in missing else "")
                + ")"
            )
        if self.drop_path > 0 and not self.prefer_timm:
            problems.append("drop_path: needs timm's backbones, but prefer_timm is false")
        if self.dataset == "coco-ab":
            for name in ("coco_ab_json", "coco_train_instances"):
                if not getattr(self, name):
                    problems.append(f"{name}: required for dataset coco-ab")
        if problems:
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class ConfigError(ValueError):
    pass


def timm_keys_set(config: TrainConfig) -> list[str]:
    """The keys whose setting needs timm (its RandAugment, RandomErasing, Mixup, AdamP, drop-path backbones)."""
    keys = [k for k in ("drop_path", "reprob", "mixup", "cutmix") if getattr(config, k) > 0]
    if config.rand_augment:
        keys.insert(0, "rand_augment")
    if config.opt == "adamp":
        keys.append("opt")
    return keys


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _value_type(annotation) -> tuple[type, bool]:
    """(element type, is a list) of a field annotation such as Optional[float] or list[float]."""
    if get_origin(annotation) is list:
        return get_args(annotation)[0], True
    if get_origin(annotation) is not None:  # Optional[X]
        return next(a for a in get_args(annotation) if a is not type(None)), False
    return annotation, False


def build_parser(prog: str = "luab_trainer train") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Train a LUAB model (or a baseline) and export it.")
    parser.add_argument("--config", help="YAML file of keys below (snake_case), layered over the defaults")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key (last wins)")
    groups: dict[str, argparse._ArgumentGroup] = {}
    hints = get_type_hints(TrainConfig)
    for item in dataclasses.fields(TrainConfig):
        meta = item.metadata
        group = groups.setdefault(meta["group"], parser.add_argument_group(meta["group"]))
        value_type, is_list = _value_type(hints[item.name])
        default = item.default if item.default is not dataclasses.MISSING else item.default_factory()
        help_text = f"{meta['help']} (default: {default})"
        if value_type is bool:
            group.add_argument(_flag(item.name), dest=item.name, action=argparse.BooleanOptionalAction, help=help_text)
        else:
            group.add_argument(
                _flag(item.name),
                dest=item.name,
                type=value_type,
                nargs="+" if is_list else None,
                choices=meta["choices"],
                help=help_text,
            )
    parser.set_defaults(**{f.name: None for f in dataclasses.fields(TrainConfig)})
    return parser


def _coerce(name: str, raw: Any, source: str) -> Any:
    """A YAML/--set value to the field's type; the message names where the value came from."""
    hints = get_type_hints(TrainConfig)
    item = next((f for f in dataclasses.fields(TrainConfig) if f.name == name), None)
    if item is None:
        known = ", ".join(f.name for f in dataclasses.fields(TrainConfig))
        raise ConfigError(f"{source}: unknown key '{name}' (known keys: {known})")
    value_type, is_list = _value_type(hints[name])
    optional = get_origin(hints[name]) is not None and not is_list
    if raw is None and optional:
        return None
    try:
        if is_list:
            if not isinstance(raw, list):
                raise TypeError(f"expected a list, got {raw!r}")
            return [_scalar(value_type, v) for v in raw]
        value = _scalar(value_type, raw)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: key '{name}': {error}") from None
    choices = item.metadata["choices"]
    if choices and value not in choices:
        raise ConfigError(f"{source}: key '{name}': {value!r} is not one of {', '.join(choices)}")
    return value


def _scalar(value_type: type, raw: Any) -> Any:
    if value_type is bool:
        if not isinstance(raw, bool):
            raise TypeError(f"expected true or false, got {raw!r}")
        return raw
    if value_type in (int, float) and isinstance(raw, str):
        # YAML 1.1 reads 1e-3 (no dot) as a string; accept the number people meant
        try:
            return value_type(raw)
        except ValueError:
            raise TypeError(f"expected {value_type.__name__}, got {raw!r}") from None
    if value_type is float and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    if value_type is int and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if value_type is str and isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        return str(raw)
    raise TypeError(f"expected {value_type.__name__}, got {raw!r}")


def load_yaml(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    return {name: _coerce(name, value, path) for name, value in data.items()}


def resolve(argv: Sequence[str]) -> TrainConfig:
    """Defaults < YAML (--config) < flags < --set. Relative paths in the YAML stay relative to the working
    directory (as timm's), so a config works the same from the CLI and from ``luab train``."""
    values, _ = resolve_with_sources(argv)
    config = TrainConfig(**values)
    config.validate()
    return config


def write_resolved(config: TrainConfig, run_dir: str) -> str:
    path = os.path.join(run_dir, "args.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config.to_dict(), handle, sort_keys=False)
    return path


def config_from_dict(values: dict, source: str) -> TrainConfig:
    """A TrainConfig from a stored dict (a checkpoint's), every key checked as a YAML key is."""
    return TrainConfig(**{name: _coerce(name, value, source) for name, value in values.items()})


#: keys a resumed run may change: they do not change what is computed, only how and where it runs
RUNTIME_KEYS = frozenset({"workers", "threads", "device", "progress", "export_to", "description", "resume", "amp"})


def resolve_with_sources(argv: Sequence[str]) -> tuple[dict, set[str]]:
    """The layered values (unvalidated) and the keys the user set explicitly (YAML, flags or --set)."""
    args = build_parser().parse_args(list(argv))
    values = TrainConfig().to_dict()
    explicit: set[str] = set()
    if args.config:
        loaded = load_yaml(args.config)
        values.update(loaded)
        explicit |= set(loaded)
    flags = {name: value for name, value in vars(args).items() if name in values and value is not None}
    values.update(flags)
    explicit |= set(flags)
    for assignment in args.set:
        name, sep, raw = assignment.partition("=")
        if not sep:
            raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE")
        values[name.strip()] = _coerce(name.strip(), yaml.safe_load(raw), f"--set {assignment}")
        explicit.add(name.strip())
    return values, explicit


def merge_for_resume(stored: dict, values: dict, explicit: set[str], checkpoint: str) -> TrainConfig:
    """A resumed run is the stored run: only runtime keys may be changed; any other key given with a different
    value is an error (it would silently make the continuation a different experiment)."""
    merged = dict(config_from_dict(stored, checkpoint).to_dict())
    conflicts = [k for k in sorted(explicit - RUNTIME_KEYS) if values[k] != merged.get(k)]
    if conflicts:
        details = ", ".join(f"{k} ({merged.get(k)!r} stored, {values[k]!r} given)" for k in conflicts)
        raise ConfigError(f"--resume {checkpoint}: these keys differ from the stored run: {details}")
    merged.update({k: values[k] for k in explicit & RUNTIME_KEYS})
    merged["resume"] = checkpoint
    config = TrainConfig(**merged)
    config.validate()
    return config
