"""Training curves of a run as one PNG (``RUN/curves.png``): losses, and the validation metrics with the constant
centre predictor drawn beside LUAB's point metrics, so the gap is visible at a glance."""

from __future__ import annotations

from typing import Sequence


def plot_history(history: Sequence[dict], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [entry["epoch"] + 1 for entry in history]

    def series(key: str):
        values = [entry.get(key) for entry in history]
        return values if any(v is not None for v in values) else None

    figure, (losses, points, classes) = plt.subplots(1, 3, figsize=(12, 3.6), dpi=100)
    for key in ("loss", "loss_cls", "loss_point"):
        if series(key) and all(v > 0 for v in series(key)):  # the baseline's point loss is 0: no log of it
            losses.plot(epochs, series(key), marker=".", label=key)
    losses.set_title("training loss", fontsize=10)
    losses.set_yscale("log")
    for key, style in (("val_point_error", "-"), ("val_centre_point_error", "--")):
        if series(key):
            points.plot(epochs, series(key), style, marker=".", label=key.replace("val_", ""))
    points.set_title("validation point error (fraction of the input)", fontsize=10)
    points.set_ylim(bottom=0)
    for key, style in (("val_top1", "-"), ("val_map", "-"), ("val_point_acc", "-"), ("val_centre_point_acc", "--")):
        if series(key):
            classes.plot(epochs, series(key), style, marker=".", label=key.replace("val_", ""))
    classes.set_title("validation accuracy", fontsize=10)
    classes.set_ylim(0, 1)
    for axis in (losses, points, classes):
        axis.set_xlabel("epoch")
        if axis.has_data():
            axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
