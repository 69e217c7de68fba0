"""The run-settings model (plain, frozen, typed data; no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..findings import Location


@dataclass(frozen=True)
class Mount:
    """A bind, volume or tmpfs mount. ``source`` is an absolute host path for binds (after
    Compose's relative-path resolution; a Compose ``~`` path keeps its ``~``: it names the
    deploying user's home, not the home of whoever runs the checks), a volume name for
    volumes, else ``None``."""

    type: str  # "bind", "volume", "tmpfs", "npipe", "image", "cluster"
    target: str
    source: str | None = None
    read_only: bool = False
    propagation: str | None = None
    # For a named volume that is really a bind (driver_opts type=none + o=bind + device=/path).
    bind_device: str | None = None
    location: Location | None = None
    # The folder of the Compose project the bind belongs to (Compose: the project directory;
    # a container: its com.docker.compose.project.working_dir label), so a bind of the
    # project's own files is told from a bind of the host's.
    project_dir: str | None = None


@dataclass(frozen=True)
class PortBinding:
    """One published port. ``host_ip`` is ``None`` when no address was given (all interfaces);
    ``host_port`` is ``None`` when the engine picks one."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str | None = None
    host_port: int | None = None
    location: Location | None = None


@dataclass(frozen=True)
class ImageFacts:
    """What the image's config says, when the image is known (local engine or archive)."""

    ref: str
    user: str = ""
    healthcheck: tuple[str, ...] | None = None  # Config.Healthcheck.Test, None when absent
    passwd: Mapping[str, int] | None = None  # user name -> uid, from the image's /etc/passwd
    env: tuple[str, ...] = field(default=(), repr=False)  # Config.Env ("NAME=value"): secrets


@dataclass(frozen=True)
class DaemonDefaults:
    """Daemon-wide settings that count for a container where the rule says so."""

    no_new_privileges: bool = False
    log_driver: str | None = None
    log_opts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSettings:
    """Docker run settings of one service or container.

    ``None`` means "not set" (the engine's default applies), as opposed to an explicit value.
    ``locate(key)`` gives the file and line of a setting for findings (the object's own
    location when the setting has none, e.g. a container)."""

    name: str
    image_ref: str | None = None
    image: ImageFacts | None = None
    image_id: str | None = None  # containers: the id (sha256:...) of the image they run
    user: str | None = None
    # Compose: ``user:`` as written when its variables are not set here, so the effective
    # user is unknown (``"${UID}:${GID}"`` reads ``":"`` without them).
    user_unset: str | None = None
    # Compose: ``image:`` as written when its variables are not set here and the reference
    # came out incomplete (``app:${VERSION}`` reads ``app:``).
    image_unset: str | None = None
    # Compose: the pull policy under which the image is only ever built here (``build:`` with
    # ``pull_policy: build`` or ``never``), so its reference names the local build, not
    # something pulled; None otherwise.
    image_built: str | None = None
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    apparmor_profile: str | None = None  # containers: .AppArmorProfile; compose: None
    apparmor_active: bool | None = None  # whether the host enforces AppArmor (containers)
    read_only: bool = False
    mounts: tuple[Mount, ...] = ()
    devices: tuple[str, ...] = ()  # host paths of exposed devices
    network_mode: str | None = None
    pid_mode: str | None = None
    ipc_mode: str | None = None
    uts_mode: str | None = None
    userns_mode: str | None = None
    networks: tuple[str, ...] = ()
    ports: tuple[PortBinding, ...] = ()
    memory_limit: int | None = None  # bytes
    cpu_limit: float | None = None  # CPUs
    cpu_shares: int | None = None
    pids_limit: int | None = None
    restart_policy: str | None = None  # "no", "always", "unless-stopped", "on-failure"
    restart_max_retries: int | None = None
    healthcheck: tuple[str, ...] | None = None  # the test command; ("NONE",) when disabled
    healthcheck_disabled: bool = False
    environment: Mapping[str, str | None] = field(default_factory=dict, repr=False)  # secrets
    logging_driver: str | None = None
    logging_options: Mapping[str, str] = field(default_factory=dict)
    daemon: DaemonDefaults | None = None  # containers only
    kind: str = "container"  # "service" for Compose: the noun messages use
    # How references are written in ``environment`` values: "compose" when they are the
    # file's uninterpolated text (``${VAR}`` is a reference, not a literal), None when final.
    env_syntax: str | None = None
    location: Location | None = None
    key_locations: Mapping[str, Location] = field(default_factory=dict)

    def locate(self, key: str) -> Location | None:
        """Where ``key`` (a top-level setting name such as ``privileged``) is written."""
        return self.key_locations.get(key, self.location)
