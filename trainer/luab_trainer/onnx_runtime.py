"""Runs an ONNX file outside PyTorch, for the export's parity check.

``ModelRunner`` is the interface; two implementations: Python's ``onnxruntime`` when it is installed (a user's
GPU machine), else ``onnxruntime-node`` through ``node`` and this repo's node_modules (what CI has: the server's
own runtime, installed by ``npm ci``; Debian has no python3-onnxruntime and the project installs nothing from PyPI).
Checking against the server's runtime is also the stronger test: it is the one that will serve the model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
_NODE_SCRIPT = Path(__file__).with_name("ort_run.mjs")


class OnnxRuntimeUnavailable(RuntimeError):
    pass


class ModelRunner(Protocol):
    name: str

    def run(self, onnx_path: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


class PythonOnnxRuntime:
    name = "onnxruntime (Python)"

    def __init__(self) -> None:
        import onnxruntime  # noqa: F401  (raises ImportError when absent)

    def run(self, onnx_path, inputs):
        import onnxruntime

        session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        names = [output.name for output in session.get_outputs()]
        return dict(zip(names, session.run(names, inputs)))


class NodeOnnxRuntime:
    name = "onnxruntime-node"

    def __init__(self, node: str, repo_root: Path = REPO_ROOT) -> None:
        self.node = node
        if not (repo_root / "node_modules" / "onnxruntime-node").is_dir():
            raise OnnxRuntimeUnavailable(
                f"{repo_root / 'node_modules' / 'onnxruntime-node'} is missing: run `npm ci` in {repo_root}"
            )

    def run(self, onnx_path, inputs):
        with tempfile.TemporaryDirectory(prefix="luab-ort-") as scratch:
            request = {"model": os.path.abspath(onnx_path), "inputs": {}}
            for name, array in inputs.items():
                path = os.path.join(scratch, f"{name}.bin")
                np.ascontiguousarray(array, dtype="<f4").tofile(path)
                request["inputs"][name] = {"dims": list(array.shape), "file": path}
            done = subprocess.run(
                [self.node, str(_NODE_SCRIPT)], input=json.dumps(request), capture_output=True, text=True, timeout=300
            )
        if done.returncode != 0:
            raise RuntimeError(f"onnxruntime-node failed on {onnx_path}: {done.stderr.strip()}")
        outputs = json.loads(done.stdout)
        return {name: np.array(o["data"], dtype=np.float32).reshape(o["dims"]) for name, o in outputs.items()}


def find_runner() -> ModelRunner:
    try:
        return PythonOnnxRuntime()
    except ImportError:
        pass
    node = shutil.which("node")
    if node is None:
        raise OnnxRuntimeUnavailable(
            "no ONNX runtime for the parity check: install Python onnxruntime, or Node.js and `npm ci` in the repo"
        )
    return NodeOnnxRuntime(node)
