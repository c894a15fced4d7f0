"""The side-by-side benchmark's KServe peer (bench/side-by-side.ts): KServe's Python model server (PyPI kserve)
with a custom Model, the way KServe's docs write one: load() opens an onnxruntime session, preprocess() turns
the v2 request's BYTES input (the encoded image) into a tensor with the shared recipe (bench/peers/recipe.py),
predict() runs it, and the answer is a v2 InferResponse (FP32 "logits" and "point"). Sync methods, as in the
docs: KServe runs them on its event loop, one request at a time. Everything else is KServe's default (it also
starts its REST server; per-request latency logging is on).

    .venv/bench-kserve/bin/python bench/peers/kserve_model.py --model_dir DIR --grpc_port 8102 --http_port 8103
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import kserve
import numpy as np
from kserve import InferOutput, InferRequest, InferResponse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recipe import infer, load_recipe, open_session, preprocess  # noqa: E402


class LuabOnnxModel(kserve.Model):
    def __init__(self, name: str, model_dir: str, intra_op_threads: int) -> None:
        super().__init__(name)
        self.model_dir = model_dir
        self.intra_op_threads = intra_op_threads
        self.load()

    def load(self) -> bool:
        self.recipe = load_recipe(self.model_dir)
        self.session = open_session(self.model_dir, self.intra_op_threads)
        self.ready = True
        return self.ready

    def preprocess(self, payload: InferRequest, headers: dict[str, str] | None = None) -> np.ndarray:
        images = payload.inputs[0].as_numpy()  # BYTES -> an object array of bytes
        return np.stack([preprocess(bytes(image), self.recipe) for image in images.reshape(-1)])

    def predict(self, payload: np.ndarray, headers: dict[str, str] | None = None) -> InferResponse:
        logits, point = infer(self.session, self.recipe, payload)
        outputs = [InferOutput(name="logits", shape=list(logits.shape), datatype="FP32"),
                   InferOutput(name="point", shape=list(point.shape), datatype="FP32")]
        outputs[0].set_data_from_numpy(logits)
        outputs[1].set_data_from_numpy(point)
        return InferResponse(response_id="", model_name=self.name, infer_outputs=outputs)


if __name__ == "__main__":
    # KServe's ModelServer reads its own flags (--grpc_port, --http_port, ...) from sys.argv: these are the rest.
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--model_dir", required=True, help="a model folder: config.json + <version>/model.onnx")
    parser.add_argument("--intra_op_threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    args, _ = parser.parse_known_args()
    name = args.model_name if args.model_name != "model" else Path(args.model_dir).resolve().name
    model = LuabOnnxModel(name, args.model_dir, args.intra_op_threads)
    kserve.ModelServer().start([model])
