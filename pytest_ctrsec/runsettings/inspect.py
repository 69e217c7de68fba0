"""The ``docker inspect`` adapter: a container's inspect document -> :class:`RunSettings`.

Pure (no I/O): the container loader fetches what is needed (the inspect document, the image's
config, the container's /etc/passwd, volume options, daemon defaults) and passes it in. The
engine has already merged the image's USER, HEALTHCHECK and ENV and the daemon's log options
into the inspect document, so those are read from it directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import DaemonDefaults, ImageFacts, Mount, PortBinding, RunSettings

_CPU_PERIOD_DEFAULT = 100_000  # microseconds, the kernel's CFS default


def from_inspect(data: Mapping[str, Any], *, image: ImageFacts | None = None,
                 daemon: DaemonDefaults | None = None, apparmor_active: bool | None = None,
                 volume_devices: Mapping[str, str] | None = None) -> RunSettings:
    """Run settings of one container. ``volume_devices`` maps a named volume that is really a
    bind (local driver, ``o=bind``) to its host directory."""
    host: Mapping[str, Any] = data.get("HostConfig") or {}
    config: Mapping[str, Any] = data.get("Config") or {}
    health = _healthcheck(config)
    restart = host.get("RestartPolicy") or {}
    log = host.get("LogConfig") or {}
    return RunSettings(
        name=str(data.get("Name", "")).lstrip("/"),
        image_ref=config.get("Image") or None,
        image=image,
        image_id=data.get("Image") or None,
        user=str(config.get("User") or ""),
        privileged=bool(host.get("Privileged")),
        cap_add=tuple(host.get("CapAdd") or ()),
        cap_drop=tuple(host.get("CapDrop") or ()),
        security_opt=security_opt(host),
        apparmor_profile=data.get("AppArmorProfile", ""),
        apparmor_active=apparmor_active,
        read_only=bool(host.get("ReadonlyRootfs")),
        mounts=mounts(data, volume_devices or {}),
        devices=tuple(d.get("PathOnHost", "") for d in host.get("Devices") or ()),
        network_mode=host.get("NetworkMode") or None,
        pid_mode=host.get("PidMode") or None,
        ipc_mode=host.get("IpcMode") or None,
        uts_mode=host.get("UTSMode") or None,
        userns_mode=host.get("UsernsMode") or None,
        networks=tuple(((data.get("NetworkSettings") or {}).get("Networks") or {}).keys()),
        ports=ports(host, config),
        memory_limit=host.get("Memory") or None,
        cpu_limit=cpu_limit(host),
        cpu_shares=host.get("CpuShares") or None,
        pids_limit=host.get("PidsLimit"),
        restart_policy=restart.get("Name") or "no",
        restart_max_retries=restart.get("MaximumRetryCount"),
        healthcheck=health,
        healthcheck_disabled=health is not None and health[0].upper() == "NONE",
        environment=environment(config.get("Env") or ()),
        logging_driver=log.get("Type") or None,
        logging_options=dict(log.get("Config") or {}),
        daemon=daemon,
    )


def security_opt(host: Mapping[str, Any]) -> tuple[str, ...]:
    """The container's security options, without the ``label=disable`` the engine adds by
    itself to a privileged or host-PID/IPC container: the user did not write it, and the
    rules that matter there (no-privileged, no-host-pid, no-host-ipc) already speak."""
    opts = list(host.get("SecurityOpt") or ())
    injected = host.get("Privileged") or "host" in (host.get("PidMode"), host.get("IpcMode"))
    if injected and "label=disable" in opts:
        opts.remove("label=disable")
    return tuple(opts)


# Compose labels the containers it creates with the project's folder.
COMPOSE_WORKING_DIR = "com.docker.compose.project.working_dir"


def mounts(data: Mapping[str, Any], volume_devices: Mapping[str, str]) -> tuple[Mount, ...]:
    """Binds, volumes and tmpfs mounts; a named volume's ``source`` is its name."""
    labels = (data.get("Config") or {}).get("Labels") or {}
    project = str(labels.get(COMPOSE_WORKING_DIR) or "") or None
    out = []
    for m in data.get("Mounts") or ():
        kind = m.get("Type") or "bind"
        name = m.get("Name")
        source = name if kind == "volume" and name else m.get("Source") or None
        out.append(Mount(type=kind, target=m.get("Destination", ""), source=source,
                         read_only=not m.get("RW", True),
                         propagation=m.get("Propagation") or None,
                         bind_device=volume_devices.get(name) if kind == "volume" else None,
                         project_dir=project))
    # ``--tmpfs`` mounts are listed only in HostConfig.Tmpfs, not in Mounts.
    for target, opts in ((data.get("HostConfig") or {}).get("Tmpfs") or {}).items():
        out.append(Mount(type="tmpfs", target=target, read_only="ro" in opts.split(",")))
    return tuple(out)


def ports(host: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[PortBinding, ...]:
    """Published ports as configured (also known for a container that is not running).
    ``-P`` publishes every exposed port on all interfaces at an engine-chosen port."""
    out = []
    for key, bindings in (host.get("PortBindings") or {}).items():
        port, proto = _port_key(key)
        none_given: tuple[Mapping[str, Any], ...] = ({},)
        for b in bindings or none_given:
            out.append(PortBinding(port, proto, b.get("HostIp") or None,
                                   int(b["HostPort"]) if b.get("HostPort") else None))
    if host.get("PublishAllPorts"):
        published = {(p.container_port, p.protocol) for p in out}
        for key in config.get("ExposedPorts") or {}:
            port, proto = _port_key(key)
            if (port, proto) not in published:
                out.append(PortBinding(port, proto))
    return tuple(out)


def _port_key(key: str) -> tuple[int, str]:
    """``"80/tcp"`` -> ``(80, "tcp")``."""
    port, _, proto = key.partition("/")
    return int(port), proto or "tcp"


def cpu_limit(host: Mapping[str, Any]) -> float | None:
    """CPUs from ``--cpus`` (NanoCpus) or ``--cpu-quota``/``--cpu-period``."""
    if host.get("NanoCpus"):
        return float(host["NanoCpus"]) / 1e9
    quota = host.get("CpuQuota") or 0
    if quota > 0:
        return quota / float(host.get("CpuPeriod") or _CPU_PERIOD_DEFAULT)
    return None


def environment(pairs: Iterable[str]) -> dict[str, str | None]:
    """``["A=1", "B"]`` -> ``{"A": "1", "B": None}``."""
    env: dict[str, str | None] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        env[name] = value if sep else None
    return env


def _healthcheck(config: Mapping[str, Any]) -> tuple[str, ...] | None:
    test = (config.get("Healthcheck") or {}).get("Test")
    return tuple(test) if test else None


def needs_passwd(user: str) -> bool:
    """Whether the user must be looked up in /etc/passwd to know its uid."""
    name = user.partition(":")[0]
    return bool(name) and not name.isdigit() and name != "root"
