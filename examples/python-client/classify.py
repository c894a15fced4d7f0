"""Classes and the object point of images, from a LUAB server, with PyPI's tritonclient over KServe v2 gRPC.

Nothing LUAB-specific is needed: the server speaks the Open Inference Protocol (docs/serving.md, "KServe v2"), so
the client Triton ships works as it is. Each image is sent encoded (`image_bytes`, BYTES [1]); the server decodes
and preprocesses it like a luab.v1 Predict. The answer: the top-k classes through the classification extension
(`scores` with class_count k: "score:index:label" strings) and the point, `point` (fractions of the image) and
`point_px` (pixels), for models with a point head.

    pip install 'tritonclient[grpc]'          # or: ./scripts/setup-python-peers.sh, then .venv/peers/bin/python
    python examples/python-client/classify.py --url localhost:50051 examples/images/police-car.jpg
    python examples/python-client/classify.py --json --top-k 3 IMAGE...

Exit codes: 0 every image answered; 1 the server refused one (the message names the image and the server's
reason); 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException


def classify(client: grpcclient.InferenceServerClient, model: str, path: str, top_k: int, has_point: bool) -> dict:
    with open(path, "rb") as image_file:
        encoded = image_file.read()
    image = grpcclient.InferInput("image_bytes", [1], "BYTES")
    image.set_data_from_numpy(np.array([encoded], dtype=np.object_))
    outputs = [grpcclient.InferRequestedOutput("scores", class_count=top_k)]
    if has_point:
        outputs += [grpcclient.InferRequestedOutput("point"), grpcclient.InferRequestedOutput("point_px")]
    result = client.infer(model, [image], outputs=outputs, request_id=path)
    classes = []
    for entry in result.as_numpy("scores").reshape(-1):
        score, index, label = entry.decode().split(":", 2)
        classes.append({"label": label, "index": int(index), "score": float(score)})
    answer = {"image": path, "model": model, "classes": classes, "point": None}
    if has_point:
        x, y = result.as_numpy("point")[0].tolist()
        x_px, y_px = result.as_numpy("point_px")[0].tolist()
        answer["point"] = {"x": x, "y": y, "x_px": x_px, "y_px": y_px}
    return answer


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="+", help="image files (JPEG, PNG, WebP, ...)")
    parser.add_argument("--url", default="localhost:50051", help="the server's gRPC address (default localhost:50051)")
    parser.add_argument("--model", default="luab-in9-cnn", help="model name (default luab-in9-cnn)")
    parser.add_argument("--top-k", type=int, default=3, help="classes to show (default 3)")
    parser.add_argument("--json", action="store_true", help="one JSON object per image instead of text")
    args = parser.parse_args(argv)
    if args.top_k < 1:
        parser.error("--top-k: expected an integer >= 1")
    client = grpcclient.InferenceServerClient(url=args.url)
    try:
        metadata = client.get_model_metadata(args.model, as_json=True)
        has_point = any(output["name"] == "point" for output in metadata["outputs"])
        for path in args.images:
            answer = classify(client, args.model, path, args.top_k, has_point)
            if args.json:
                print(json.dumps(answer))
                continue
            print(f"{path}  {args.model}")
            for rank, c in enumerate(answer["classes"], 1):
                print(f"  {rank}. {c['label']:<20} {c['score']:.4f}")
            point = answer["point"]
            if point:
                print(f"  point  x={point['x']:.4f} y={point['y']:.4f}  ({point['x_px']:.1f}, {point['y_px']:.1f} px)")
    except InferenceServerException as error:
        print(f"classify.py: {error.message()} (status {error.status()})", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"classify.py: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
