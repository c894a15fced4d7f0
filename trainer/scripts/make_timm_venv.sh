#!/usr/bin/env bash
# Optional: a venv that adds timm (RandAugment, mixup/cutmix, random erasing, stochastic depth, AdamP) on top of
# Debian's PyTorch stack. --system-site-packages keeps Debian's torch 1.13: timm's requirements are met by it, so
# pip installs no second torch. Usage: trainer/scripts/make_timm_venv.sh [DIR] (default .venv/timm), then run the
# trainer as DIR/bin/python -m luab_trainer ... (PYTHONPATH=trainer), and its tests the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${1:-.venv/timm}"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import timm" 2>/dev/null; then
  exit 0
fi
/usr/bin/python3 -m venv --system-site-packages "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "timm>=1.0,<1.1"
"$VENV/bin/python" -c "import timm, torch; print(f'timm {timm.__version__} on torch {torch.__version__} in $VENV')"
