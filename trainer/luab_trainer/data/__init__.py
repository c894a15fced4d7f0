"""Datasets, point-aware transforms and loaders."""
