"""Readers for annotation byproducts: ImageNet-AB XML and COCO-AB JSON."""

from .errors import ByproductFormatError, SkipCounter

__all__ = ["ByproductFormatError", "SkipCounter"]
