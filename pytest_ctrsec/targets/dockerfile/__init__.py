"""Dockerfile targets: ``--ctrsec-dockerfile`` files (or folders searched for Dockerfiles)."""

from __future__ import annotations

import os
import re
from typing import Any

from ...errors import InputError
from ...limits import MiB, TooLarge, read_capped
from ...findings import Location
from .. import Target
from .parser import Dockerfile, Instruction, Stage, parse

__all__ = ["Dockerfile", "Instruction", "Stage", "find_dockerfiles", "load_dockerfile",
           "load_targets", "parse"]

_NAMES = re.compile(r"(?:Dockerfile|Containerfile)(?:\..+)?|dockerfile|containerfile"
                    r"|.+\.(?:Dockerfile|dockerfile|Containerfile)")
# Files named like a Dockerfile that are something else: BuildKit's per-Dockerfile ignore
# file (``Dockerfile.dockerignore``), templates rendered into a Dockerfile, notes, backups.
_NOT_DOCKERFILES = re.compile(
    r".*\.(?:dockerignore|tmpl|tpl|template|j2|jinja2?|erb|in|m4|mustache|hbs|gotmpl|md|txt"
    r"|rst|orig|bak|rej|swp|sh|py|ya?ml|json|toml|lock|patch|diff|sig|asc|sha256|log)|.*~",
    re.I)
MAX_BYTES = 16 * MiB  # real Dockerfiles, heredocs included, are kilobytes
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"})


def load_dockerfile(path: str | os.PathLike[str]) -> Dockerfile:
    """Read and parse one Dockerfile; errors name the file (and line)."""
    name = os.fspath(path)
    try:
        raw = read_capped(name, MAX_BYTES)
    except OSError as err:
        raise InputError(f"cannot read Dockerfile: {err.strerror}", name) from None
    except TooLarge as err:
        raise InputError(f"Dockerfile {err}; not a Dockerfile", name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start})", name) from None
    return parse(text, name)


def find_dockerfiles(folder: str) -> list[str]:
    """Dockerfiles below ``folder`` (``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``,
    ``Containerfile``), sorted, skipping VCS and dependency folders and files that only
    look like Dockerfiles (``Dockerfile.dockerignore``, ``Dockerfile.j2``)."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        found.extend(os.path.join(root, f) for f in sorted(files)
                     if _NAMES.fullmatch(f) and not _NOT_DOCKERFILES.fullmatch(f))
    return found


def load_targets(opts: Any) -> list[Target]:
    """One target per Dockerfile named (folders are searched)."""
    paths: list[str] = []
    for given in getattr(opts, "dockerfile", ()) or ():
        if not os.path.isdir(given):
            paths.append(given)
            continue
        found = find_dockerfiles(given)
        if not found:
            raise InputError("no Dockerfile in this folder (looked for Dockerfile, "
                             "Dockerfile.*, *.Dockerfile and Containerfile)", given)
        paths.extend(found)
    return [dockerfile_target(load_dockerfile(path)) for path in dict.fromkeys(paths)]


def dockerfile_target(model: Dockerfile) -> Target:
    """The check target of a parsed Dockerfile, anchored to its first line."""
    return Target("dockerfile", f"dockerfile:{model.path}", model.path, model.path,
                  Location(model.path, 1), model)
