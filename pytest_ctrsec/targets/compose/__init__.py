"""Compose targets: one per active service (its run settings) and one for the project.

``--ctrsec-compose`` files are merged in order into one project, like
``docker compose -f a -f b``; a directory stands for every project below it (see
:mod:`.discover`). Targets are named after the project's first file as the user gave it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ...runsettings.compose import ImageLookup, to_run_settings
from ...runsettings.imagefacts import lookup_image_facts
from .. import Target
from .model import ComposeProject, ComposeService


def load_targets(opts: Any) -> list[Target]:
    """Targets of ``opts.compose`` (with ``compose_profile`` and ``compose_env_file``).
    Bad input raises the loader's :class:`~pytest_ctrsec.errors.InputError` (one line with
    file and line)."""
    from .discover import projects
    from .loader import load_project

    values: Sequence[str] = tuple(getattr(opts, "compose", ()) or ())
    profiles = tuple(getattr(opts, "compose_profile", ()) or ())
    env_files = tuple(getattr(opts, "compose_env_file", ()) or ())
    environ = dict(os.environ)  # read once: a directory may hold hundreds of projects
    out: list[Target] = []
    for files in projects(values):
        project = load_project(files, profiles=profiles, env_files=env_files, environ=environ)
        out += project_targets(project, files[0])
    return out


def project_targets(project: ComposeProject, first_file: str, *,
                    image_lookup: ImageLookup | None = lookup_image_facts) -> list[Target]:
    """The service targets and the project target of a loaded project."""
    out = [service_target(svc, project, first_file, image_lookup) for svc in project.services]
    out.append(Target(model_type="compose.project", name=f"compose:{first_file}",
                      label=first_file, source=first_file, location=project.location,
                      model=project))
    return out


def service_target(svc: ComposeService, project: ComposeProject | None, first_file: str,
                   image_lookup: ImageLookup | None = lookup_image_facts) -> Target:
    """The target of one service (``project`` gives named volumes and the build tag)."""
    return Target(model_type="compose.service", name=f"compose:{first_file}#{svc.name}",
                  label=f"{first_file}#{svc.name}", source=first_file, location=svc.location,
                  model=to_run_settings(svc, project, image_lookup=image_lookup))


__all__: Sequence[str] = ("load_targets", "project_targets", "service_target")
