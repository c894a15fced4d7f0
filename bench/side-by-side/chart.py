"""The side-by-side benchmark's chart (bench/side-by-side.ts): images/s per system at each concurrency, one panel
per model, bars at the median over the repeats with the range of the repeats as error bars. Drawn with
matplotlib (Debian python3-matplotlib, installed by scripts/setup.sh) from the benchmark's results.json.

    /usr/bin/python3 bench/side-by-side/chart.py out/side-by-side/results.json docs/images/side-by-side.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results_path: str, png_path: str) -> None:
    results = json.load(open(results_path))
    context, labels, summaries = results["context"], results["labels"], results["summaries"]
    systems = context["systems"]
    models = list(dict.fromkeys(s["model"] for s in summaries))
    concurrencies = sorted({s["concurrency"] for s in summaries})
    figure, axes = plt.subplots(1, len(models), figsize=(6.5 * len(models), 4.8), squeeze=False)
    width = 0.8 / len(systems)
    for ax, model in zip(axes[0], models):
        for i, system in enumerate(systems):
            rows = {s["concurrency"]: s for s in summaries if s["model"] == model and s["system"] == system}
            xs = [j + (i - (len(systems) - 1) / 2) * width for j, c in enumerate(concurrencies) if c in rows]
            present = [rows[c] for c in concurrencies if c in rows]
            heights = [r["throughput"] for r in present]
            errors = [[r["throughput"] - r["throughputMin"] for r in present],
                      [r["throughputMax"] - r["throughput"] for r in present]]
            ax.bar(xs, heights, width, yerr=errors, capsize=2, label=labels[system])
        ax.set_xticks(range(len(concurrencies)), [f"c={c}" for c in concurrencies])
        ax.set_title(model)
        ax.set_ylabel("images/s (median of repeats; bars: range)")
        ax.grid(axis="y", alpha=0.3)
    handles, names = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, names, loc="lower center", ncol=len(systems), fontsize=8, frameon=False)
    figure.suptitle(f"One 500x375 JPEG per gRPC call, ghz; {context['machine']}; {context['date'][:10]}", fontsize=10)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    figure.savefig(png_path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py RESULTS.json OUT.png")
    main(sys.argv[1], sys.argv[2])
