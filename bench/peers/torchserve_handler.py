"""The side-by-side benchmark's TorchServe peer (bench/side-by-side.ts): a custom handler, the documented way
(initialize(context) + handle(data, context)), that runs the model with onnxruntime and the shared recipe
(bench/peers/recipe.py). The driver packs it with torch-model-archiver (--archive-format no-archive) together
with recipe.py, the model's config.json and its model.onnx; TorchServe's gRPC Predictions API sends the encoded
image as the "data" input. The answer is JSON: {"logits": [...], "point": [x, y]} per request.
"""

from __future__ import annotations

import json
import os

import numpy as np

from recipe import infer, load_recipe, open_session, preprocess  # shipped next to this file by the archiver

# ONNX intra-op threads per TorchServe worker (the driver sets it; TorchServe runs one process per worker).
THREADS = int(os.environ.get("LUAB_BENCH_ORT_THREADS", "1"))


class LuabOnnxHandler:
    def __init__(self) -> None:
        self.initialized = False

    def initialize(self, context) -> None:
        model_dir = context.system_properties["model_dir"]
        self.recipe = load_recipe(model_dir)
        self.session = open_session(model_dir, THREADS)
        self.initialized = True

    def handle(self, data: list[dict], context) -> list[str]:
        # TorchServe hands over a batch (a list of requests; one unless batch_size is set at registration).
        images = [bytes(request.get("data") or request.get("body")) for request in data]
        batch = np.stack([preprocess(image, self.recipe) for image in images])
        logits, point = infer(self.session, self.recipe, batch)
        return [json.dumps({"logits": l.tolist(), "point": p.tolist()}) for l, p in zip(logits, point)]


_service = LuabOnnxHandler()


def handle(data, context):
    if not _service.initialized:
        _service.initialize(context)
    if data is None:
        return None
    return _service.handle(data, context)
