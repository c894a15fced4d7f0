"""Exports an UNTRAINED model of the default model's architecture into a model repository, for the serving
benchmark only: its speed is that of the trained model (same graph, same shapes; weight values do not change
the cost of a convolution), its answers are meaningless.

Why: the serving targets are about the default model (a small CNN at 64x64), and the analytic test fixtures do
almost no arithmetic, so they hide what inference costs next to JPEG decoding and gRPC. Until a trained default
model exists (and to price other backbones or input sizes), this gives the benchmark a model of the right size.
It builds the network and writes the repository with the trainer's own code (create_model, export_to_repository),
so the ONNX graph is exactly what `luab export` would write.

    /usr/bin/python3 bench/make_standin_model.py --out /tmp/luab-bench-models
    node bin/luab.js serve --models /tmp/luab-bench-models --default-model small-cnn-64

--side-by-side writes the two models of the side-by-side benchmark (bench/side-by-side.ts) into one repository:
`small-cnn-96` (the small CNN at 96 px) and `resnet18-224` (torchvision's ResNet-18 at 224 px), both with
outputs logits [N, 9] and point [N, 2]:

    /usr/bin/python3 bench/make_standin_model.py --side-by-side --out out/side-by-side/models
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# ImageNet-9's classes (the synthetic benchmark's label set): only the count matters for speed.
IN9_LABELS = [
    ("dog", "n02084071"),
    ("bird", "n01503061"),
    ("wheeled vehicle", "n04576211"),
    ("reptile", "n01661091"),
    ("carnivore", "n02075296"),
    ("insect", "n02159955"),
    ("musical instrument", "n03800933"),
    ("primate", "n02469914"),
    ("fish", "n02512053"),
]
# The side-by-side benchmark's models: (name, backbone, input size). Names are fixed: the driver asks for them.
SIDE_BY_SIDE = [("small-cnn-96", "small_cnn", 96), ("resnet18-224", "resnet18", 224)]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="model repository folder (created if missing)")
    parser.add_argument("--name", help="model name (default: <backbone>-<input size>, e.g. small-cnn-64)")
    parser.add_argument("--backbone", default="small_cnn", help="a backbone registered in the trainer")
    parser.add_argument("--input-size", type=int, default=64, help="square model input, pixels")
    parser.add_argument("--trainer", default=str(REPO_ROOT / "trainer"), help="the trainer's folder (trainer/)")
    parser.add_argument("--side-by-side", action="store_true",
                        help=f"write the side-by-side benchmark's models ({', '.join(n for n, _, _ in SIDE_BY_SIDE)}); "
                             "--name, --backbone and --input-size are then not accepted")
    args = parser.parse_args(argv)
    if args.side_by_side and (args.name or args.backbone != "small_cnn" or args.input_size != 64):
        parser.error("--side-by-side writes fixed models: --name, --backbone and --input-size do not apply")
    if args.input_size < 16:
        parser.error(f"--input-size: expected at least 16, got {args.input_size}")
    return args


def export_one(out: str, name: str, backbone: str, input_size: int) -> None:
    """One untrained model of `backbone` at `input_size` px written as `out/name` (config.json + version 1)."""
    import torch  # Debian's python3-torch; imported late so that --help and argument errors are fast
    from luab_trainer.export import ExportSpec, export_to_repository
    from luab_trainer.models import create_model

    torch.manual_seed(0)
    model = create_model(backbone, len(IN9_LABELS), point_slots=1, input_size=(input_size, input_size),
                         prefer_timm=False)
    parameters = sum(p.numel() for p in model.parameters())
    spec = ExportSpec(
        labels=[{"name": label, "wnid": wnid} for label, wnid in IN9_LABELS],
        multi_label=False,
        input_size=input_size,
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        crop_pct=0.875,
        crop_mode="center",
        interpolation="bilinear",
        description=f"UNTRAINED {backbone} at {input_size}px: a stand-in for serving benchmarks only",
        provenance={"built_by": "bench/make_standin_model.py", "trained": False, "parameters": parameters},
    )
    result = export_to_repository(model, spec, str(Path(out) / name))
    print(f"{result.onnx_path}: {backbone}, {parameters / 1e6:.2f} M parameters, {input_size}px input")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    trainer = Path(args.trainer)
    if not (trainer / "luab_trainer" / "export.py").is_file():
        print(f"make_standin_model: {trainer}/luab_trainer/export.py not found (--trainer)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(trainer))
    from luab_trainer.models import backbone_names

    if args.backbone not in backbone_names():
        print(f"make_standin_model: --backbone: unknown '{args.backbone}' (known: {', '.join(backbone_names())})",
              file=sys.stderr)
        return 2
    if args.side_by_side:
        for name, backbone, size in SIDE_BY_SIDE:
            export_one(args.out, name, backbone, size)
        print(f"serve them with: --models {args.out}")
    else:
        name = args.name or f"{args.backbone.replace('_', '-')}-{args.input_size}"
        export_one(args.out, name, args.backbone, args.input_size)
        print(f"serve it with: --models {args.out} --default-model {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
