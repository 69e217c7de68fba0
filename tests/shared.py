"""Where the tests find the workplace's shared data (read in place, never copied)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_path(*parts: str) -> Path:
    """A path under ``shared/``: ``$CTRSEC_SHARED`` or the folder beside the clone."""
    base = os.environ.get("CTRSEC_SHARED") or REPO_ROOT.parent / "shared"
    return Path(base).joinpath(*parts)
