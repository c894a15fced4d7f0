"""What LUAB costs per training epoch against the plain baseline (issue #10; the paper: "almost nothing").

Same data, same backbone, same seed; the only difference is the point head and the smooth-L1 term. Epochs of the
two objectives are interleaved (baseline, luab, baseline, luab, ...) so that load from other processes on the
machine hits both alike, and the medians are compared. Data loading runs in the main process (workers 0) and is
included: it is what a user's epoch costs, and it is identical for both objectives.

    /usr/bin/python3 bench/trainer_epoch_cost.py                       # toy data, small CNN, 64 px, 5 repeats
    /usr/bin/python3 bench/trainer_epoch_cost.py --model resnet18 --repeats 7
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trainer"))

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from luab_trainer.config import TrainConfig  # noqa: E402
from luab_trainer.data.factory import build_data  # noqa: E402
from luab_trainer.data.loader import build_train_loader, seed_epoch  # noqa: E402
from luab_trainer.distributed import DistInfo  # noqa: E402
from luab_trainer.engine import StepContext, train_one_epoch  # noqa: E402
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
    parser.add_argument("--repeats", type=int, default=5, help="epochs per objective")
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
    setups = {}
    for objective in ("baseline", "luab"):
        cfg = TrainConfig(data_dir=data_dir, model=args.model, input_size=args.input_size, objective=objective,
                          batch_size=args.batch_size, val_split="", workers=0, epochs=args.repeats, seed=0)  # fmt: skip
        data = build_data(cfg, progress=False)
        torch.manual_seed(0)
        model = build_model_for(cfg, len(data.classes), data.multi_label)
        optimizer = create_optimizer(model, cfg.opt, cfg.lr, cfg.weight_decay, cfg.momentum)
        loader = build_train_loader(data.train, cfg.batch_size, 0, cfg.seed, info)
        setups[objective] = dict(
            model=model,
            optimizer=optimizer,
            loader=loader,
            scheduler=create_scheduler(optimizer, len(loader) * args.repeats, 0, cfg.lr, cfg.warmup_lr, cfg.min_lr),
            criterion=LuabLoss(False, cfg.point_lambda if objective == "luab" else 0.0, cfg.label_smoothing),
        )
    times: dict[str, list[float]] = {"baseline": [], "luab": []}
    for epoch in tqdm(range(args.repeats + 1), desc="interleaved epochs", unit="pair"):
        # alternate which objective goes first, so neither always runs right after the other's allocations
        for objective in ("baseline", "luab") if epoch % 2 == 0 else ("luab", "baseline"):
            setup = setups[objective]
            seed_epoch(setup["loader"], 0, epoch, info)  # the same samples and crops for both objectives
            started = time.perf_counter()
            train_one_epoch(setup["model"], setup["criterion"], setup["loader"], setup["optimizer"],
                            setup["scheduler"], make_grad_scaler(False), epoch, ctx)  # fmt: skip
            if epoch > 0:  # epoch 0 warms caches and allocators: not counted
                times[objective].append(time.perf_counter() - started)
    median = {k: statistics.median(v) for k, v in times.items()}
    images = len(setups["luab"]["loader"]) * args.batch_size
    return {
        "model": args.model,
        "input_size": args.input_size,
        "images_per_epoch": images,
        "threads": args.threads,
        "repeats": args.repeats,
        "seconds_per_epoch": {k: [round(t, 3) for t in v] for k, v in times.items()},
        "median_seconds": {k: round(v, 3) for k, v in median.items()},
        "luab_over_baseline": round(median["luab"] / median["baseline"], 4),
    }


if __name__ == "__main__":
    main()
