"""The timm path: run with a Python that has timm (trainer/scripts/make_timm_venv.sh), outside the default test
run (Debian has no timm):

    trainer/scripts/make_timm_venv.sh && cd trainer && ../.venv/timm/bin/python -m pytest -q timm_tests
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"

if importlib.util.find_spec("timm") is None:
    raise RuntimeError(f"timm_tests needs timm, which {sys.executable} does not have (trainer/scripts/make_timm_venv.sh)")

# the default suite's conftest (fixtures, sys.path, one torch thread), loaded under another name: both are "conftest"
_spec = importlib.util.spec_from_file_location("luab_tests_conftest", TESTS / "conftest.py")
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)
toy_config, toy_data = _shared.toy_config, _shared.toy_data
