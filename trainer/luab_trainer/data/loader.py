"""Data loaders. Training always goes through DistributedSampler, also in a world of one: its permutation depends
only on (seed, epoch), so one process with global batch B and N processes with B/N each see the same samples in
the same steps (process r takes positions r, r+N, ... of the permutation, so step k's union is positions
kB..kB+B-1), which is what makes a DDP run equal to a single-process run."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler
from torch.utils.data.distributed import DistributedSampler

from ..distributed import DistInfo
from .point_dataset import collate


class ShardSampler(Sampler):
    """Evaluation: process r takes items r, r+N, ... with no padding (DistributedSampler pads with repeats, which
    would count some images twice in the metrics)."""

    def __init__(self, length: int, info: DistInfo) -> None:
        self.indices = list(range(info.rank, length, info.world_size))

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def build_train_loader(dataset, global_batch: int, workers: int, seed: int, info: DistInfo) -> DataLoader:
    if global_batch % info.world_size:
        raise ValueError(f"batch_size {global_batch} must split evenly over {info.world_size} processes")
    per_process = global_batch // info.world_size
    if len(dataset) < global_batch:
        raise ValueError(f"batch_size {global_batch} is larger than the training set ({len(dataset)} images)")
    sampler = DistributedSampler(dataset, num_replicas=info.world_size, rank=info.rank, shuffle=True, seed=seed)
    return DataLoader(
        dataset,
        batch_size=per_process,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate,
        drop_last=True,
        pin_memory=torch.cuda.is_available(),
        # re-seeded every epoch (see seed_epoch) so worker augmentation is reproducible and --resume exact
        generator=torch.Generator(),
        persistent_workers=False,
    )


def build_eval_loader(dataset, batch_size: int, workers: int, info: DistInfo) -> DataLoader:
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=ShardSampler(len(dataset), info),
        num_workers=workers,
        collate_fn=collate,
        pin_memory=torch.cuda.is_available(),
    )


def seed_epoch(loader: DataLoader, seed: int, epoch: int, info: DistInfo) -> None:
    """Everything random in an epoch follows from (seed, epoch, rank): the sampler's permutation, the workers'
    base seed (drawn from the loader's generator) and, without workers, torch's global generator; Python's and
NumPy's generators too (timm's augmentations and Mixup draw from them)."""
    loader.sampler.set_epoch(epoch)
    epoch_seed = (seed * 1_000_003 + epoch) * 1_009 + info.rank
    loader.generator.manual_seed(epoch_seed)
    torch.manual_seed(epoch_seed)
    # timm's RandAugment/RandomErasing (without workers) draw from Python's random, its Mixup from NumPy's
    random.seed(epoch_seed)
    np.random.seed(epoch_seed % (1 << 32))
