#!/usr/bin/env bash
# Creates .venv/peers: PyPI's tritonclient (gRPC and HTTP, with its own generated stubs) and numpy, the
# third-party KServe v2 client the tests call the server with. ~30 s. Uses the python3 on PATH (a pyenv or
# Debian python3 with venv); kept apart from Debian's python3-grpcio, which is older than tritonclient's.
# Safe to run again: an existing venv is only updated.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv/peers
PYTHON=${LUAB_PEERS_PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check 'tritonclient[grpc,http]>=2.50' numpy
"$VENV/bin/python" -c "import tritonclient.grpc, tritonclient.http, numpy" >/dev/null
echo "setup: $VENV ready ($("$VENV/bin/python" -c 'import importlib.metadata as m; print("tritonclient", m.version("tritonclient"))'))"
