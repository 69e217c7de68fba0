"""The Docker daemon model: what the engine reports about itself, plus what can only be seen on
its host (the dockerd command line, daemon.json, socket and file modes).

A daemon setting can be given as a dockerd flag or in daemon.json (never both: dockerd refuses
to start then). :meth:`Daemon.setting` looks in both and knows when it cannot know: without the
command line (a remote daemon, a process we cannot see), a key that daemon.json does not set
may still be set by a flag, so the check cannot judge and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import CannotEvaluate
from ...findings import Location
from .. import Target


@dataclass(frozen=True)
class FileStat:
    """Owner and permission bits of a file or socket on the daemon's host."""

    path: str
    uid: int
    gid: int
    mode: int  # permission bits only (st_mode & 0o7777)
    user: str  # name, or the uid as text when the host has no such user
    group: str

    def __str__(self) -> str:
        return f"{self.path} ({self.user}:{self.group} {self.mode:04o})"


@dataclass(frozen=True)
class Setting:
    """A daemon setting's effective value and where it comes from."""

    value: Any
    source: str  # "dockerd flag", "daemon.json" or "default"
    location: Location | None = None

    def __str__(self) -> str:
        if self.source == "default":
            return "not set, dockerd's default applies"
        where = f" at {self.location}" if self.location else ""
        return f"set by {self.source}{where}"


@dataclass(frozen=True)
class Daemon:
    """One Docker daemon as the checks see it."""

    # The engine's own documents stay out of the repr: pytest prints the daemon in a failed
    # assertion, and a screenful of ``docker info`` hides what failed.
    endpoint: str
    info: Mapping[str, Any] = field(repr=False)
    version: Mapping[str, Any] = field(repr=False)
    default_bridge: Mapping[str, Any] | None = field(default=None, repr=False)
    networks_listed: bool = False  # the engine listed its networks (so a missing bridge is real)
    pid: int | None = None
    cmdline: tuple[str, ...] | None = None
    cmdline_reason: str = ""  # why the command line is not known
    flags: Mapping[str, Any] = field(default_factory=dict, repr=False)
    config_path: str | None = None
    config: Mapping[str, Any] | None = field(default=None, repr=False)
    config_missing: bool = False  # the file is known not to exist (dockerd's defaults apply)
    config_reason: str = ""  # why daemon.json is not known
    config_lines: Mapping[str, int] = field(default_factory=dict, repr=False)  # key -> line
    config_stat: FileStat | None = None
    sockets: tuple[FileStat, ...] = ()
    sockets_reason: str = ""
    content_trust: str | None = None  # DOCKER_CONTENT_TRUST of the process running the checks
    label: str = "local"  # "local" for the default engine, else the URL given
    endpoint_tls: bool = False  # these checks reached the engine over TLS

    @property
    def target_name(self) -> str:
        return f"daemon:{self.label}"

    def ctrsec_targets(self) -> list[Target]:
        """The daemon as a check target (for ``assert_check`` in user tests)."""
        return [Target("daemon", self.target_name, self.label, self.endpoint, None, self)]

    @property
    def local(self) -> bool:
        """The dockerd process serving the endpoint was found on this host."""
        return self.cmdline is not None

    @property
    def security_options(self) -> tuple[str, ...]:
        """``docker info`` SecurityOptions, e.g. ``name=seccomp,profile=default``."""
        return tuple(self.info.get("SecurityOptions") or ())

    def has_security_option(self, name: str) -> bool:
        return any(f"name={name}" in opt.split(",") for opt in self.security_options)

    def setting(self, key: str, default: Any = None) -> Setting:
        """The effective value of daemon.json key ``key`` (or its dockerd flag); raises
        :class:`CannotEvaluate` when neither place can be seen in full. ``default`` is
        dockerd's own default, reported when neither place sets the key.

        >>> daemon.setting("live-restore", False).value  # doctest: +SKIP
        True
        >>> str(daemon.setting("live-restore", False))  # doctest: +SKIP
        'set by daemon.json at /etc/docker/daemon.json:3'
        """
        if key in self.flags:
            return Setting(self.flags[key], "dockerd flag")
        if self.config is not None and key in self.config:
            return Setting(self.config[key], "daemon.json", self.config_location(key))
        if self.cmdline is not None and (self.config is not None or self.config_missing):
            return Setting(default, "default")
        raise CannotEvaluate(f"'{key}' is not visible: {self.unseen()}")

    def unseen(self) -> str:
        """Why part of the daemon's configuration cannot be seen."""
        parts = []
        if self.cmdline is None:
            parts.append(f"the dockerd command line is unknown ({self.cmdline_reason})")
        if self.config is None and not self.config_missing:
            parts.append(f"daemon.json is unknown ({self.config_reason})")
        return "; ".join(parts) or "the daemon configuration is not visible"

    def config_location(self, key: str) -> Location | None:
        """Where ``key`` is written in daemon.json; ``None`` when it is not written there."""
        if not self.config_path or key not in (self.config or {}):
            return None
        return Location(self.config_path, self.config_lines.get(key))
