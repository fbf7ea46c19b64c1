"""MedSage: offline-first language-model toolkit for medical text in Chinese and English.

Importing this package is cheap and has no side effects; heavy libraries are imported inside
the functions that need them.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

__all__ = ["__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
