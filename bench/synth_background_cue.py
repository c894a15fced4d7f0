"""How much of the embedded benchmark's spurious background cue is the habitat (scene) and how much the photo.

Reads a `luab synth` output folder (objects.jsonl for the images' classes and background photos, manifest.json for
each photo's scene and the pools) and reports, for a classifier that sees only the background: the accuracy of
the best rule "background -> class" learnt on the training images (the majority class of each photo, or of each
scene), measured on the validation images; and which classes' pools share a scene. Standard library only.

    /usr/bin/python3 bench/synth_background_cue.py /tmp/synth-default
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter, defaultdict


def majority_rule(pairs: list[tuple[str, str]]) -> dict[str, str]:
    by_key: dict[str, Counter] = defaultdict(Counter)
    for key, cls in pairs:
        by_key[key][cls] += 1
    return {key: counts.most_common(1)[0][0] for key, counts in by_key.items()}


def accuracy(rule: dict[str, str], pairs: list[tuple[str, str]]) -> float:
    return sum(rule.get(key) == cls for key, cls in pairs) / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("synth_dir")
    args = parser.parse_args()
    with open(os.path.join(args.synth_dir, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    scene_of = {photo["id"]: photo["scene"] for photo in manifest["backgrounds"]["photos"]}
    records = []
    with open(os.path.join(args.synth_dir, "objects.jsonl"), encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    split = {name: [r for r in records if r["variant"] == name and r["background"]] for name in ("train", "val")}
    result: dict = {"train_images": len(split["train"]), "val_images": len(split["val"])}
    for cue, key in (("photo", lambda r: r["background"]), ("scene", lambda r: scene_of[r["background"]]),
                     ("pool", lambda r: r["background_class"])):  # fmt: skip
        train = [(key(r), r["class"]) for r in split["train"]]
        val = [(key(r), r["class"]) for r in split["val"]]
        result[f"val_accuracy_from_{cue}"] = round(accuracy(majority_rule(train), val), 4)
    classes_per_scene: dict[str, set] = defaultdict(set)
    for cls, pool in manifest["pools"].items():
        for photo in pool["seen"]:
            classes_per_scene[scene_of[photo]].add(cls)
    result["pool_classes_per_scene"] = {s: sorted(c) for s, c in sorted(classes_per_scene.items())}
    result["chance"] = round(1 / len(manifest["pools"]), 4)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
