"""What LUAB costs per training epoch against the plain baseline (issue #10; the paper: "almost nothing").

Same data, same backbone, same seed; the only difference is the point head and the smooth-L1 term. The two models
train side by side on the SAME batches: every batch is loaded once, then one optimisation step of each objective
runs on it, in alternating order, so a burst of load from other processes on a shared machine hits both alike.
An epoch's cost is the sum of its steps. The headline ratio is the median over steps of the paired ratio (LUAB's
step / the baseline's step on the same batch), which a burst of load cannot move much; the ratio of the median
epoch times is printed beside it. Data loading is
identical for both objectives and is left out, which makes the ratio stricter, not kinder (it would only add the
same seconds to both sides).

    /usr/bin/python3 bench/trainer_epoch_cost.py                       # toy data, small CNN, 64 px
    /usr/bin/python3 bench/trainer_epoch_cost.py --model resnet18
    /usr/bin/python3 bench/trainer_epoch_cost.py --data-dir data/synth  # the synthetic benchmark
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trainer"))

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from luab_trainer.config import TrainConfig  # noqa: E402
from luab_trainer.data.factory import build_data  # noqa: E402
from luab_trainer.data.loader import build_train_loader, seed_epoch  # noqa: E402
from luab_trainer.distributed import DistInfo  # noqa: E402
from luab_trainer.engine import StepContext, to_device, train_step  # noqa: E402
from luab_trainer.losses import LuabLoss  # noqa: E402
from luab_trainer.optim import create_optimizer, create_scheduler  # noqa: E402
from luab_trainer.toydata import make_toy_dataset  # noqa: E402
from luab_trainer.train import build_model_for, make_grad_scaler  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="ImageNet-AB-layout dataset (default: toy data made in a temp folder)")
    parser.add_argument("--train-per-class", type=int, default=200, help="toy data size per class (3 classes)")
    parser.add_argument("--model", default="small_cnn")
    parser.add_argument("--input-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7, help="measured epochs (after one warm-up epoch)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="luab-bench-") as scratch:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = os.path.join(scratch, "toy")
            make_toy_dataset(data_dir, train_per_class=args.train_per_class, val_per_class=1, size=args.input_size)
        results = run(data_dir, args)
    print(json.dumps(results, indent=2))


def run(data_dir: str, args) -> dict:
    info, device = DistInfo(), torch.device("cpu")
    ctx = StepContext(device=device, amp=False, clip_grad=None, dist=info, progress=False)
    cfg = TrainConfig(data_dir=data_dir, model=args.model, input_size=args.input_size, objective="luab",
                      batch_size=args.batch_size, val_split="", workers=0, epochs=args.repeats, seed=0)  # fmt: skip
    data = build_data(cfg, progress=False)
    loader = build_train_loader(data.train, cfg.batch_size, 0, cfg.seed, info)
    setups = {}
    for objective in ("baseline", "luab"):
        torch.manual_seed(0)
        model = build_model_for(replace(cfg, objective=objective), len(data.classes), data.multi_label).train()
        optimizer = create_optimizer(model, cfg.opt, cfg.lr, cfg.weight_decay, cfg.momentum)
        setups[objective] = dict(
            model=model,
            optimizer=optimizer,
            scheduler=create_scheduler(optimizer, len(loader) * (args.repeats + 1), 0, cfg.lr, cfg.warmup_lr, cfg.min_lr),
            criterion=LuabLoss(False, cfg.point_lambda, cfg.label_smoothing),
        )
    scaler = make_grad_scaler(False)
    epochs: dict[str, list[float]] = {"baseline": [], "luab": []}
    paired: list[float] = []
    for epoch in tqdm(range(args.repeats + 1), desc="epochs (both objectives)", unit="epoch"):
        seed_epoch(loader, cfg.seed, epoch, info)
        spent = {"baseline": 0.0, "luab": 0.0}
        step_seconds = {}
        for step, batch in enumerate(loader):
            batch = to_device(batch, device)
            order = ("baseline", "luab") if step % 2 == 0 else ("luab", "baseline")
            for objective in order:
                setup = setups[objective]
                started = time.perf_counter()
                train_step(setup["model"], setup["criterion"], batch, setup["optimizer"], setup["scheduler"], scaler, ctx)
                step_seconds[objective] = time.perf_counter() - started
                spent[objective] += step_seconds[objective]
            if epoch > 0:
                paired.append(step_seconds["luab"] / step_seconds["baseline"])
        if epoch > 0:  # epoch 0 warms caches and allocators: not counted
            for objective, seconds in spent.items():
                epochs[objective].append(seconds)
    median = {k: statistics.median(v) for k, v in epochs.items()}
    return {
        "model": args.model,
        "input_size": args.input_size,
        "images_per_epoch": len(loader) * args.batch_size,
        "threads": args.threads,
        "epochs": args.repeats,
        "seconds_per_epoch": {k: [round(t, 3) for t in v] for k, v in epochs.items()},
        "median_seconds_per_epoch": {k: round(v, 3) for k, v in median.items()},
        "epoch_median_ratio": round(median["luab"] / median["baseline"], 4),
        "steps_paired": len(paired),
        "luab_over_baseline": round(statistics.median(paired), 4),
    }


if __name__ == "__main__":
    main()
