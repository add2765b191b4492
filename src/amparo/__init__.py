"""Amparo: rights-based migration case management."""

__version__ = "0.1.0"
