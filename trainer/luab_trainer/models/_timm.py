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
