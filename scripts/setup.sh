#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine (the README's test line runs this first):
# Debian's PyTorch stack for trainer/ and the Python gRPC peer used in tests, then the npm packages (`npm ci`
# also builds dist/ through the `prepare` script). Safe to run again: apt-get skips what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  python3-torch python3-torchvision python3-onnx   # trainer/ (torch 1.13 on Debian 12)
  python3-pytest python3-yaml python3-tqdm python3-matplotlib python3-jsonschema python3-numpy python3-pil
  python3-ijson                                    # trainer/: streams the 398 MB COCO-AB JSON
  python3-grpcio python3-grpc-tools                # a second gRPC implementation that calls the server in tests
  fonts-dejavu-core                                # labels on the synth contact sheets (librsvg text via sharp)
  python3-sklearn                                  # the AUPR/AUROC cross-check of eval/metrics/ood.ts
  chromium                                         # report.html and the try-a-model page tested headless (playwright-core)
  python3-venv openssl                             # .venv/peers (tritonclient) and deploy/ validators' venvs; TLS tests
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund

./scripts/setup-deploy-tools.sh
./scripts/setup-python-peers.sh
./trainer/scripts/make_timm_venv.sh                # .venv/timm: Debian's torch + timm, for trainer/timm_tests
