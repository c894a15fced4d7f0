"""PyPI's tritonclient[grpc] (its own generated stubs, not the project's) against the server's KServe v2 API.

Usage: kserve_grpc_client.py ADDRESS FIXTURES_JSON
FIXTURES_JSON names the image files the Node test wrote (encoded images, one raw RGB file with its size, one
preprocessed FP32 tensor). Runs every call and prints what came back as one JSON object; the mocha test asserts.
"""
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

address, fixtures_path = sys.argv[1:3]
with open(fixtures_path) as f:
    fixtures = json.load(f)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def error_of(call):
    try:
        call()
    except InferenceServerException as e:
        return {"status": e.status(), "message": e.message()}
    return None


def bytes_input(images):
    tensor = grpcclient.InferInput("image_bytes", [len(images)], "BYTES")
    tensor.set_data_from_numpy(np.array(images, dtype=np.object_))
    return tensor


out = {}
client = grpcclient.InferenceServerClient(url=address)
out["live"] = client.is_server_live()
out["ready"] = client.is_server_ready()
out["server_metadata"] = client.get_server_metadata(as_json=True)
out["model_ready"] = client.is_model_ready("centroid")
out["unknown_model_ready"] = client.is_model_ready("no-such-model")
out["metadata"] = client.get_model_metadata("centroid", as_json=True)
out["config"] = client.get_model_config("centroid", as_json=True)
out["index"] = client.get_model_repository_index(as_json=True)

# Two encoded images in one request; the point in the original images, normalised, in pixels and in model input.
images = [read(p) for p in fixtures["encoded"]]
result = client.infer("centroid", [bytes_input(images)], request_id="two-images")
out["bytes"] = {
    "id": result.get_response().id,
    "version": result.get_response().model_version,
    "outputs": [o.name for o in result.get_response().outputs],
    **{name: result.as_numpy(name).tolist() for name in ["logits", "scores", "point", "point_px", "point_model_input"]},
}

# The classification extension on scores, and only the outputs asked for.
result = client.infer(
    "centroid",
    [bytes_input(images[:1])],
    outputs=[grpcclient.InferRequestedOutput("scores", class_count=2), grpcclient.InferRequestedOutput("point_px")],
)
out["classification"] = {
    "outputs": [o.name for o in result.get_response().outputs],
    "scores": [v.decode() for v in result.as_numpy("scores").reshape(-1)],
    "shape": list(result.as_numpy("scores").shape),
    "point_px": result.as_numpy("point_px").tolist(),
}

# UINT8 pixels [1, H, W, 3] and the model's own FP32 input [1, 3, H, W].
pixels = fixtures["pixels"]
rgb = np.frombuffer(read(pixels["path"]), dtype=np.uint8).reshape(1, pixels["height"], pixels["width"], 3)
tensor = grpcclient.InferInput("image_pixels", list(rgb.shape), "UINT8")
tensor.set_data_from_numpy(rgb)
out["pixels"] = client.infer("centroid", [tensor]).as_numpy("point_px").tolist()
fp32 = np.frombuffer(read(fixtures["tensor"]), dtype=np.float32).reshape(1, 3, 48, 64)
tensor = grpcclient.InferInput("image", [1, 3, 48, 64], "FP32")
tensor.set_data_from_numpy(fp32)
result = client.infer("centroid", [tensor])
out["tensor"] = {"logits": result.as_numpy("logits").tolist(), "point": result.as_numpy("point").tolist()}

# Errors: gRPC status codes and messages naming the field.
out["errors"] = {
    "unknown_model": error_of(lambda: client.infer("no-such-model", [bytes_input(images[:1])])),
    "wrong_input": error_of(
        lambda: client.infer("centroid", [grpcclient.InferInput("nope", [1], "BYTES").set_data_from_numpy(
            np.array([images[0]], dtype=np.object_))])
    ),
    "not_an_image": error_of(lambda: client.infer("centroid", [bytes_input([images[0], b"not an image"])])),
    "unknown_output": error_of(
        lambda: client.infer("centroid", [bytes_input(images[:1])], outputs=[grpcclient.InferRequestedOutput("x")])
    ),
}

# ModelStreamInfer: a bad request in the middle gets its own error and the stream goes on.
stream_results = []
client.start_stream(callback=lambda result, error: stream_results.append(
    {"error": error.message() if error else None, "id": result.get_response().id if result else None}))
client.async_stream_infer("centroid", [bytes_input(images[:1])], request_id="s1")
client.async_stream_infer("centroid", [bytes_input([b"broken"])], request_id="s2")
client.async_stream_infer("centroid", [bytes_input(images[1:])], request_id="s3")
client.stop_stream()
out["stream"] = stream_results

out["statistics"] = client.get_inference_statistics("centroid", as_json=True)

# Repository: unload makes the model unavailable, load brings it back.
client.unload_model("centroid-squash")
out["after_unload"] = client.is_model_ready("centroid-squash")
client.load_model("centroid-squash")
out["after_load"] = client.is_model_ready("centroid-squash")
out["load_unknown"] = error_of(lambda: client.load_model("no-such-model"))
client.close()
print(json.dumps(out))
