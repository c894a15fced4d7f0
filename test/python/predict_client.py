#!/usr/bin/python3
"""A client in another gRPC implementation (C-core, Debian's python3-grpcio) calling luab.v1.Inference/Predict.

Usage: predict_client.py STUBS_DIR ADDRESS IMAGE MODEL
STUBS_DIR holds inference_pb2*.py generated from proto/ by grpc_tools.protoc. Prints the response as JSON.
"""
import json
import sys

stubs, address, image_path, model = sys.argv[1:5]
sys.path.insert(0, stubs)

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from luab.v1 import inference_pb2, inference_pb2_grpc  # noqa: E402

with open(image_path, "rb") as f:
    image = f.read()
with grpc.insecure_channel(address) as channel:
    stub = inference_pb2_grpc.InferenceStub(channel)
    response = stub.Predict(inference_pb2.PredictRequest(id="python", model=model, image=image, top_k=2), timeout=30)
    models = stub.ListModels(inference_pb2.ListModelsRequest(), timeout=30)
    try:
        stub.Predict(inference_pb2.PredictRequest(model="no-such-model", image=image), timeout=30)
        error = None
    except grpc.RpcError as rpc_error:
        error = {"code": rpc_error.code().name, "details": rpc_error.details()}
print(json.dumps({
    "response": json_format.MessageToDict(response, preserving_proto_field_name=True),
    "models": [m.name for m in models.models],
    "error": error,
}))
