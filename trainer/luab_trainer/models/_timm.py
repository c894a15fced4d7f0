"""timm is optional: used when importable (and not turned off), never required."""

from __future__ import annotations

import importlib
import logging

_logger = logging.getLogger(__name__)


def timm_or_none(prefer_timm: bool):
    if not prefer_timm:
        return None
    try:
        return importlib.import_module("timm")
    except ImportError:
        _logger.debug("timm is not installed: using torchvision's implementation")
        return None


def require_no_drop_path(name: str, drop_path: float) -> None:
    """torchvision's builds (and the small CNN) have no stochastic depth: refuse rather than silently train without."""
    if drop_path > 0:
        raise ValueError(f"drop_path {drop_path}: {name} without timm has no stochastic depth (install timm, or use 0)")
