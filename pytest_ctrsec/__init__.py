"""pytest-ctrsec: container-security best practices as pytest test cases."""

from __future__ import annotations

__version__ = "0.1.0"
