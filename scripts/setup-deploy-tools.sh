#!/usr/bin/env bash
# Creates .venv/deploy with the offline validators of deploy/ (deploy/requirements-validate.txt):
# kubernetes-validate (ships the Kubernetes JSON schemas), the kserve SDK (its models describe the KServe CRDs)
# and hadolint (the Dockerfile linter, as a PyPI wheel). Called by scripts/setup.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv/deploy
REQUIREMENTS=deploy/requirements-validate.txt
STAMP="$VENV/.requirements"
if [ -x "$VENV/bin/python" ] && cmp -s "$REQUIREMENTS" "$STAMP"; then
  exit 0
fi
echo "setup: $VENV (deploy validators)"
# Debian's Python, as on a fresh Debian 12 machine (python3-venv is in setup.sh's package list).
/usr/bin/python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
cp "$REQUIREMENTS" "$STAMP"
