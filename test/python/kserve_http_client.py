"""PyPI's tritonclient[http] against the server's KServe v2 REST API (binary tensor data, as it sends by default).

Usage: kserve_http_client.py URL IMAGE
Prints what came back as one JSON object; the mocha test asserts.
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

url, image_path = sys.argv[1:3]
with open(image_path, "rb") as f:
    image = f.read()


def error_of(call):
    try:
        call()
    except InferenceServerException as e:
        return {"status": e.status(), "message": e.message()}
    return None


def bytes_input(images):
    tensor = httpclient.InferInput("image_bytes", [len(images)], "BYTES")
    tensor.set_data_from_numpy(np.array(images, dtype=np.object_), binary_data=True)
    return tensor


out = {}
client = httpclient.InferenceServerClient(url=url)
out["live"] = client.is_server_live()
out["ready"] = client.is_server_ready()
out["server_metadata"] = client.get_server_metadata()
out["model_ready"] = client.is_model_ready("centroid")
out["metadata"] = client.get_model_metadata("centroid")
out["config"] = client.get_model_config("centroid")
out["index"] = client.get_model_repository_index()

result = client.infer("centroid", [bytes_input([image, image])], request_id="http")
out["binary"] = {
    "id": result.get_response()["id"],
    "point_px": result.as_numpy("point_px").tolist(),
    "logits": result.as_numpy("logits").tolist(),
}
result = client.infer(
    "centroid",
    [bytes_input([image])],
    outputs=[
        httpclient.InferRequestedOutput("scores", binary_data=False, class_count=2),
        httpclient.InferRequestedOutput("point", binary_data=False),
    ],
)
out["json_outputs"] = result.get_response()
out["error"] = error_of(lambda: client.infer("no-such-model", [bytes_input([image])]))
out["statistics"] = client.get_inference_statistics("centroid")
client.unload_model("centroid-squash")
out["after_unload"] = client.is_model_ready("centroid-squash")
client.load_model("centroid-squash")
out["after_load"] = client.is_model_ready("centroid-squash")
client.close()
print(json.dumps(out))
