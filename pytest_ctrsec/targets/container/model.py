"""The container model: a container's inspect data, its run settings and its processes.

The data fields are read once when the target is loaded; the checks use only those. The
methods (:meth:`Container.read_file`, :attr:`Container.host`) reach the engine again and are
for users' own tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import CannotEvaluate
from ...runsettings.model import RunSettings
from .. import Target

DEFAULT_READ_LIMIT = 16 * 1024 * 1024


class NoShell(CannotEvaluate):
    """testinfra cannot reach the container: it has no shell, or it is not running."""


@dataclass(frozen=True)
class Process:
    """One process of a running container, as the host's ``ps`` sees it (host pids and uids:
    they differ from the container's own view under user-namespace remapping)."""

    pid: int
    ppid: int | None
    uid: int | None
    command: str  # the full command line

    @property
    def name(self) -> str:
        """The program name: ``/usr/sbin/sshd -D`` and ``sshd: root@pts/0`` are ``sshd``."""
        first = self.command.split(None, 1)[0] if self.command.strip() else ""
        return first.strip("[]").rstrip(":").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Container:
    """One container on an engine."""

    id: str
    name: str
    status: str  # created, running, paused, restarting, exited, dead
    settings: RunSettings
    inspect: Mapping[str, Any] = field(repr=False)
    processes: tuple[Process, ...] | None = None  # None when no process can be listed
    processes_reason: str = ""  # why processes is None
    endpoint: str = ""  # the engine the container lives on

    def __repr__(self) -> str:
        # Short: pytest prints the fixture value above every failed test that uses it.
        return f"<Container {self.name} {self.id[:12]} {self.status}>"

    @property
    def target_name(self) -> str:
        return f"container:{self.name}"

    @property
    def running(self) -> bool:
        return bool((self.inspect.get("State") or {}).get("Running"))

    @property
    def image(self) -> str | None:
        """The image reference the container was created from."""
        return self.settings.image_ref

    @property
    def labels(self) -> Mapping[str, str]:
        return (self.inspect.get("Config") or {}).get("Labels") or {}

    def ctrsec_targets(self) -> list[Target]:
        """The container as a check target (for ``assert_check`` in user tests)."""
        return [Target("container", self.target_name, self.name, self.endpoint, None, self,
                       {"id": self.id[:12], "status": self.status, "image": self.image or ""})]

    def require_processes(self) -> tuple[Process, ...]:
        """The processes, or :class:`CannotEvaluate` saying why there are none to look at."""
        if self.processes is None:
            raise CannotEvaluate(f"{self.target_name}: {self.processes_reason}")
        return self.processes

    def read_file(self, path: str, limit: int = DEFAULT_READ_LIMIT) -> bytes:
        """The content of ``path`` in the container's filesystem (symlinks followed), read
        through the engine's archive API, so it works without a shell and on stopped
        containers. Raises ``FileNotFoundError`` or ``IsADirectoryError``."""
        from .files import client_for, read_file

        client = client_for(self.endpoint, self.target_name)
        return read_file(client, self.id, path, limit, self.target_name)

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists in the container (a dangling symlink does not)."""
        from .files import client_for, resolve

        client = client_for(self.endpoint, self.target_name)
        return resolve(client, self.id, path, self.target_name) is not None

    @property
    def host(self) -> Any:
        """A testinfra ``Host`` on the ``docker://`` backend; raises :class:`NoShell` when the
        container has no ``/bin/sh`` or is not running."""
        from .host import testinfra_host

        return testinfra_host(self)
