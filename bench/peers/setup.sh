#!/usr/bin/env bash
# Installs the side-by-side benchmark's peers (bench/side-by-side.ts, docs/benchmarks.md), each into its own venv
# under .venv/ (gitignored), and the ghz load generator. Not part of scripts/setup.sh: it takes minutes and
# several hundred MB, and only the benchmark needs it. Safe to run again: what is installed is kept.
#
#   .venv/bench-kserve       PyPI kserve + onnxruntime + pillow (a pyenv/python.org python3)
#   .venv/bench-torchserve   PyPI torchserve + torch-model-archiver + onnxruntime + pillow, on Debian's torch
#                            (/usr/bin/python3 --system-site-packages; numpy<2 for Debian's torch 1.13); Java 17;
#                            its gRPC .proto files taken from its frontend jar into .venv/bench-torchserve/proto
#                            and compiled into inference.protoset there (for ghz)
#   .venv/bench-grpcio       PyPI grpcio + grpcio-tools + onnxruntime + pillow, and the v2 stubs generated from
#                            proto/inference/grpc_service.proto into .venv/bench-grpcio/stubs
#   .venv/bench-go/bin/ghz   github.com/bojand/ghz v0.93.0 from the Go module proxy (Go >= 1.22 on PATH)
#
# Sources: PyPI, the Go module proxy and Debian packages only. Environment: LUAB_BENCH_PYTHON (default python3)
# is the interpreter of the KServe and grpcio venvs.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${LUAB_BENCH_PYTHON:-python3}
PIP_FLAGS=(--quiet --disable-pip-version-check)

need() { command -v "$1" >/dev/null || { echo "bench/peers/setup.sh: $1 not found: $2" >&2; exit 1; }; }
need "$PYTHON" "set LUAB_BENCH_PYTHON to a Python 3.10-3.12 with venv"
need /usr/bin/python3 "Debian's python3 (with python3-torch, python3-venv) is needed for TorchServe"
need java "TorchServe needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)"
need go "ghz is built from the Go module proxy (Debian: apt-get install golang, or go.dev's Go >= 1.22)"
/usr/bin/python3 -c 'import torch' 2>/dev/null || {
  echo "bench/peers/setup.sh: /usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch)" >&2
  exit 1
}

venv() { # venv DIR PYTHON [extra venv flags]: creates DIR unless it already has a python
  local dir=$1 python=$2
  shift 2
  if [ ! -x "$dir/bin/python" ]; then
    echo "setup: creating $dir with $("$python" --version)"
    "$python" -m venv "$@" "$dir"
  fi
}

venv .venv/bench-kserve "$PYTHON"
.venv/bench-kserve/bin/pip install "${PIP_FLAGS[@]}" 'kserve==0.21.*' onnxruntime pillow numpy
.venv/bench-kserve/bin/python -c 'import kserve, onnxruntime, PIL' >/dev/null
echo "setup: .venv/bench-kserve ready (kserve $(.venv/bench-kserve/bin/python -c 'import importlib.metadata as m; print(m.version("kserve"))'))"

venv .venv/bench-torchserve /usr/bin/python3 --system-site-packages
# numpy<2: Debian's torch 1.13 is built against numpy 1.x; onnxruntime's wheels still accept numpy 1.x.
.venv/bench-torchserve/bin/pip install "${PIP_FLAGS[@]}" 'torchserve==0.12.*' 'torch-model-archiver==0.12.*' \
  onnxruntime 'numpy<2' pillow
.venv/bench-torchserve/bin/python -c 'import ts, torch, onnxruntime, PIL' >/dev/null
# ghz needs the .proto of TorchServe's gRPC API: the frontend jar carries it (and the google/ files it imports).
.venv/bench-torchserve/bin/python - <<'PY'
import pathlib, zipfile, ts
jar = pathlib.Path(ts.__file__).parent / "frontend" / "model-server.jar"
out = pathlib.Path(".venv/bench-torchserve/proto")
with zipfile.ZipFile(jar) as z:
    names = [n for n in z.namelist() if n.endswith(".proto") and not n.startswith("proto/")]
    z.extractall(out, names)
assert (out / "inference.proto").is_file(), f"{jar} holds no inference.proto"
PY
echo "setup: .venv/bench-torchserve ready (torchserve $(.venv/bench-torchserve/bin/python -c 'import importlib.metadata as m; print(m.version("torchserve"))'))"

venv .venv/bench-grpcio "$PYTHON"
.venv/bench-grpcio/bin/pip install "${PIP_FLAGS[@]}" grpcio grpcio-tools onnxruntime pillow numpy
mkdir -p .venv/bench-grpcio/stubs
.venv/bench-grpcio/bin/python -m grpc_tools.protoc -I proto --python_out=.venv/bench-grpcio/stubs \
  --grpc_python_out=.venv/bench-grpcio/stubs inference/grpc_service.proto inference/model_config.proto
.venv/bench-grpcio/bin/python -c 'import grpc, onnxruntime, PIL' >/dev/null
# ghz's own .proto parser predates proto3 `optional` (TorchServe's inference.proto uses it): a descriptor set
# compiled by grpcio-tools' protoc is what ghz reads instead.
.venv/bench-grpcio/bin/python -m grpc_tools.protoc -I .venv/bench-torchserve/proto --include_imports \
  --descriptor_set_out=.venv/bench-torchserve/proto/inference.protoset inference.proto
echo "setup: .venv/bench-grpcio ready (grpcio $(.venv/bench-grpcio/bin/python -c 'import grpc; print(grpc.__version__)'))"

if [ ! -x .venv/bench-go/bin/ghz ]; then
  echo "setup: building ghz v0.93.0 (Go module proxy; about a minute)"
  GOBIN="$PWD/.venv/bench-go/bin" GOFLAGS=-mod=mod go install github.com/bojand/ghz/cmd/ghz@v0.93.0
fi
echo "setup: .venv/bench-go/bin/ghz ready (ghz v0.93.0)"
echo "setup: peers ready; next: npm run build && node dist/bench/side-by-side.js (docs/benchmarks.md)"
