"""The Compose project model the loader produces (plain data; the loader fills it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ...errors import NotFound
from ...findings import Location
from .. import Target


@dataclass(frozen=True)
class ComposeService:
    """One service after merge, ``extends``, ``include`` and interpolation.

    ``config`` is the service in canonical long form (as ``docker compose config`` prints it:
    ports and volumes long syntax, environment a mapping, relative bind sources resolved).
    ``raw`` is the same service merged but not interpolated, so rules can tell a literal
    value from a ``${VAR}`` reference. ``key_locations`` maps each top-level key of the
    service to where its final value was written (the file of the last override)."""

    name: str
    # Not in the repr: pytest prints fixture values in failure reports, and these hold the
    # service's environment, whose literal secrets must never be shown.
    config: Mapping[str, Any] = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False)
    location: Location
    key_locations: Mapping[str, Location] = field(default_factory=dict)

    @property
    def image(self) -> str | None:
        """The service's ``image`` after interpolation (``None`` for a build-only service),
        as :attr:`Container.image <pytest_ctrsec.targets.container.Container.image>` is a
        container's.

        >>> project.service("web").image  # doctest: +SKIP
        'registry.example/web:1.4'
        """
        value = self.config.get("image")
        return str(value) if value is not None else None

    def __repr__(self) -> str:
        # Short: pytest prints it for every failed assertion that touches the service.
        return f"<ComposeService {self.name} at {self.location}>"

    def locate(self, key: str) -> Location:
        """The file and line of ``key``, or of the service when the key is not written."""
        return self.key_locations.get(key, self.location)

    def ctrsec_targets(self) -> list[Target]:
        """This service as a check target (for ``assert_check``), named after its project's
        first file when it belongs to one."""
        from . import service_target

        project: ComposeProject | None = getattr(self, "_project", None)
        first = project.files[0] if project is not None else self.location.path
        return [service_target(self, project, first)]


class SourceString(NamedTuple):
    """A string literal written in a project file (Compose file, env_file or ``.env``), with
    where it stands; ``key`` is its dotted path or variable name, for secret detectors.
    (A named tuple: a project has one per literal, and these are made in bulk.)"""

    key: str
    value: str
    location: Location

    def __repr__(self) -> str:
        return f"SourceString({self.key!r}, <{len(self.value)} chars>, {self.location})"


@dataclass(frozen=True)
class ComposeProject:
    """A Compose project: the files merged in order, and what they define."""

    name: str
    files: tuple[str, ...]  # as the user gave them
    project_dir: Path
    services: tuple[ComposeService, ...]  # active services (profiles applied)
    secrets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    volumes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    networks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    top_locations: Mapping[str, Location] = field(default_factory=dict)  # "secrets.db" -> loc
    strings: tuple[SourceString, ...] = field(default=(), repr=False)  # literal strings

    def __post_init__(self) -> None:
        # Each service knows its project, so it can be checked on its own
        # (``assert_check(id, project.service("web"))``) with the project's volumes and name.
        for service in self.services:
            object.__setattr__(service, "_project", self)

    def __repr__(self) -> str:
        # Short: pytest prints the fixture value above every failed test that uses it.
        names = ", ".join(s.name for s in self.services) or "none"
        return f"<ComposeProject {self.name} ({', '.join(self.files)}): services {names}>"

    @property
    def location(self) -> Location:
        """The first Compose file, line 1: where project-wide results are anchored."""
        return Location(self.files[0], 1)

    def service(self, name: str) -> ComposeService:
        """The active service ``name``; :class:`~pytest_ctrsec.errors.NotFound` (a
        ``ConfigError`` and a ``LookupError``) names the active ones.

        >>> project.service("web").config.get("read_only")  # doctest: +SKIP
        True
        """
        __tracebackhide__ = True  # a failed lookup points at the user's test line
        for service in self.services:
            if service.name == name:
                return service
        active = ", ".join(s.name for s in self.services) or "none"
        raise NotFound(f"{self.files[0]}: no active service {name!r} (active: {active})")

    def ctrsec_targets(self) -> list[Target]:
        """Every service and the project itself as check targets (for ``assert_check``)."""
        from . import project_targets

        return project_targets(self, self.files[0])
