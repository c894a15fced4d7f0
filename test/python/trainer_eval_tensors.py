"""The trainer's evaluation preprocessing of images, for the server's parity test (test/preprocess-parity.test.ts).

Usage: trainer_eval_tensors.py TRAINER_DIR SPEC_JSON OUT_FILE IMAGE...

SPEC_JSON holds input_h, input_w, crop_pct, crop_mode, interpolation, mean and std (the model's config.json
values). Each image goes through exactly what the trainer evaluates with: ``load_rgb`` (EXIF orientation, the
contract's alpha and colour policy, RGB), ``build_eval_transform`` (resize + crop) and ``to_normalized_tensor``;
the float32 NCHW tensors are written one after the other to OUT_FILE.
"""

import json
import sys

import numpy as np


def main() -> None:
    trainer_dir, spec_json, out_file, *images = sys.argv[1:]
    sys.path.insert(0, trainer_dir)
    from luab_trainer.data.point_dataset import load_rgb
    from luab_trainer.data.transforms import build_eval_transform, to_normalized_tensor

    spec = json.loads(spec_json)
    transform = build_eval_transform(
        (spec["input_h"], spec["input_w"]), spec["crop_pct"], spec["crop_mode"], spec["interpolation"]
    )
    no_points = np.zeros((0, 2), dtype=np.float32)
    with open(out_file, "wb") as out:
        for path in images:
            image, _, _ = transform(load_rgb(path), no_points, np.zeros(0, dtype=np.float32))
            tensor = to_normalized_tensor(image, spec["mean"], spec["std"])
            out.write(tensor.numpy().astype(np.float32).tobytes())


if __name__ == "__main__":
    main()
