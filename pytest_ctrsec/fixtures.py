"""Public fixtures: thin wrappers over the target loaders."""

from __future__ import annotations
