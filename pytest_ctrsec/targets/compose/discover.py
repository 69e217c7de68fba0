"""Which Compose projects the ``--ctrsec-compose`` values name.

Files given explicitly form one project, merged in the order given (``docker compose -f a
-f b``). A directory stands for every Compose project below it: in each folder, the file
Docker Compose would pick by default (``compose.yaml``, ``compose.yml``,
``docker-compose.yaml``, ``docker-compose.yml``) merged with its override file, as
``docker compose`` does when run in that folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDES = {
    "compose.yaml": ("compose.override.yaml", "compose.override.yml"),
    "compose.yml": ("compose.override.yml", "compose.override.yaml"),
    "docker-compose.yaml": ("docker-compose.override.yaml", "docker-compose.override.yml"),
    "docker-compose.yml": ("docker-compose.override.yml", "docker-compose.override.yaml"),
}
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"})


def projects(values: Sequence[str]) -> list[list[str]]:
    """Groups of files, one group per project, in a stable order."""
    explicit = [v for v in values if not os.path.isdir(v)]
    found = [group for v in values if os.path.isdir(v) for group in _walk(v)]
    return ([explicit] if explicit else []) + found


def _walk(top: str) -> Iterator[list[str]]:
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        group = default_files(folder, set(files))
        if group:
            yield group


def default_files(folder: str, names: set[str]) -> list[str]:
    """The files ``docker compose`` reads by default in ``folder`` (none when it has none)."""
    for name in DEFAULT_FILES:
        if name in names:
            override = next((o for o in OVERRIDES[name] if o in names), None)
            chosen = [name] + ([override] if override else [])
            return [str(Path(folder, n)) if folder != "." else n for n in chosen]
    return []
