"""What of the host is reachable from inside: mounts, runtime sockets and devices."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator

from ...findings import Finding
from ...runsettings.model import Mount, RunSettings
from ._register import runsettings_check, spell, who

# Runtime API sockets where engines put them (``/var/run`` is a link to ``/run``).
SOCKET_NAMES = frozenset({"docker.sock", "containerd.sock", "containerd.sock.ttrpc",
                          "crio.sock", "podman.sock", "cri-dockerd.sock", "dockershim.sock",
                          "buildkitd.sock"})
SOCKET_PATHS = ("/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock",
                "/run/podman/podman.sock", "/run/cri-dockerd.sock", "/run/dockershim.sock",
                "/run/k3s/containerd/containerd.sock", "/run/buildkit/buildkitd.sock",
                "/run/user/0/docker.sock")
# Rootless engines put their sockets in the user's runtime dir.
_ROOTLESS_DIR = re.compile(r"/run/user(?:/[0-9]+(?:/(?:podman|docker))?)?")

# Host directories whose exposure compromises the host; all of them are root-equivalent
# when writable. Credential directories are sensitive wherever they are.
SYSTEM_DIRS = ("/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/bin",
               "/sbin", "/proc", "/sys", "/usr", "/root", "/var/lib/docker",
               "/var/lib/containerd")
CREDENTIAL_DIRS = frozenset({".ssh", ".aws", ".kube", ".docker", ".gnupg"})
# The host's service manager and system bus: a root process that reaches their sockets can
# start any command on the host, read-only mount or not.
CONTROL_DIRS = ("/run/dbus", "/run/systemd/private")
_CONTROL = "the host's system bus or service manager sockets"
_CONTROL_EXACT = frozenset({"/run/systemd"})
_HOME = re.compile(r"/home(?:/[^/]+)?")
# A Compose ``~`` path (the deploying user's home) is judged as this home.
_DEPLOY_HOME = "/home/~"
# Harmless binds of sensitive trees: pseudo-devices, and read-only what every local user may
# read anyway: time zone, CA certificates, OS release, host and user names, shared data and
# kernel modules (loading one needs SYS_MODULE, which no-dangerous-capabilities reports).
_HARMLESS = frozenset({"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"})
_HARMLESS_RO = ("/etc/localtime", "/etc/timezone", "/usr/share", "/etc/ssl/certs",
                "/etc/ca-certificates", "/etc/pki/ca-trust", "/usr/local/share/ca-certificates",
                "/etc/machine-id", "/etc/os-release", "/usr/lib/os-release", "/etc/hostname",
                "/etc/hosts", "/etc/resolv.conf", "/etc/passwd", "/etc/group",
                "/lib/modules", "/usr/lib/modules")
# Where a project folder cannot be the project's own: binds there are the host's.
_NOT_PROJECT = ("/proc", "/sys", "/dev", "/boot", "/var/lib/docker", "/var/lib/containerd",
                "/run")

# Devices that give raw disk, kernel memory or kernel log access.
_DANGEROUS_DEVICE = re.compile(
    r"/dev(?:/(?:[sh]d[a-z]|x?vd[a-z]|nvme[0-9]|mmcblk[0-9]|md[0-9]|loop|dm-|mapper/|disk/|"
    r"zfs|rbd|nbd|sr[0-9]|mtd|raw|mem$|kmem$|port$|kmsg$|cpu/|mcelog$).*)?|/")


@functools.lru_cache(maxsize=4096)
def normalise_path(path: str) -> str:
    """A host path with ``..``, ``.`` and repeated or trailing slashes removed and
    ``/var/run`` read as ``/run``.

    >>> normalise_path("/var/run/../run//docker.sock/")
    '/run/docker.sock'
    """
    norm = posixpath.normpath("/" + path.strip())
    norm = "/" + norm.lstrip("/")
    if norm == "/var/run" or norm.startswith("/var/run/"):
        norm = norm[4:]
    return norm


def host_path(m: Mount) -> str | None:
    """The host path a mount exposes: a bind's source, or a named volume's bind device; a
    ``~`` path is placed in a home directory (``~/x`` -> ``/home/~/x``)."""
    path = m.source if m.type == "bind" else m.bind_device
    if not path:
        return None
    if path.startswith("~"):
        user, _, rest = path[1:].partition("/")
        path = f"/home/{user}/{rest}" if user else f"{_DEPLOY_HOME}/{rest}"
    return normalise_path(path)


def _within(path: str, base: str) -> bool:
    return path == base or path.startswith(base + "/")


@functools.lru_cache(maxsize=4096)
def _exposes_socket(path: str) -> bool:
    if path == "/" or posixpath.basename(path) in SOCKET_NAMES:
        return True
    if _ROOTLESS_DIR.fullmatch(path):
        return True
    return any(sock.startswith(path + "/") for sock in SOCKET_PATHS)


def _mount_words(m: Mount) -> str:
    what = m.source if m.type == "bind" else f"volume {m.source} (bind of {m.bind_device})"
    return f"{what} -> {m.target}"


def _socket_words(path: str) -> str:
    """Which runtime socket a mounted path is or holds."""
    if posixpath.basename(path) in SOCKET_NAMES:
        return f"the container runtime's socket {path}"
    held = [sock for sock in SOCKET_PATHS if sock.startswith(path.rstrip("/") + "/")]
    if held:
        return f"{path}, which holds the runtime socket {held[0]}"
    return f"{path}, where a rootless engine keeps its socket"


@runsettings_check(
    "no-runtime-socket-mount", title="No container runtime socket mounted",
    severity="critical", refs=("CIS 5.32", "CL-0001"),
    remediation="Remove the mount; a process that can reach the engine's API controls the "
                "host. Use a narrowly scoped API proxy if the service must talk to the engine.")
def no_runtime_socket_mount(s: RunSettings) -> Iterator[Finding]:
    for m in s.mounts:
        path = host_path(m)
        if m.type == "npipe" and "docker_engine" in (m.source or ""):
            what = "the Docker engine's named pipe"
        elif path is not None and _exposes_socket(path):
            what = _socket_words(path)
        else:
            continue
        yield Finding(f"{who(s)} mounts {what} ({_mount_words(m)}), which gives control of "
                      f"the engine and so of the host; remove the mount",
                      m.location or s.locate("mounts"))


def _credential_dir(path: str) -> str | None:
    """``a credential directory (.ssh)`` when a part of ``path`` is one, else ``None``."""
    found = CREDENTIAL_DIRS.intersection(path.split("/"))
    return f"a credential directory ({min(found)})" if found else None


@functools.lru_cache(maxsize=4096)
def _sensitivity(path: str, read_only: bool) -> tuple[str, bool] | None:
    """Why ``path`` is sensitive and whether it is root-equivalent, or ``None``."""
    if path in _HARMLESS or (read_only and any(_within(path, p) for p in _HARMLESS_RO)):
        return None
    if path == "/":
        return "the host's root filesystem", True
    credential = _credential_dir(path)
    if credential:
        return credential, _within(path, "/root")
    for base in SYSTEM_DIRS:
        if _within(path, base):
            return f"host system directory {base}", True
        if base.startswith(path + "/"):
            return f"a directory holding {base}", True
    if path in _CONTROL_EXACT or any(_within(path, d) for d in CONTROL_DIRS):
        return _CONTROL, True
    if _HOME.fullmatch(path):
        return "home directories holding credentials (.ssh, .aws, ...)", False
    return None


@functools.lru_cache(maxsize=1024)
def _own_folder(project: str) -> bool:
    """Whether a project folder can hold the project's own files: not ``/``, not a listed
    directory or one above it, not a home directory and not in the kernel's or engine's
    trees (a project kept in ``/root/app`` or ``/etc/app`` still owns what is below it)."""
    if project == "/" or _HOME.fullmatch(project) or any(_within(project, d)
                                                          for d in _NOT_PROJECT):
        return False
    if _credential_dir(project):
        return False
    return not any(_within(base, project) for base in SYSTEM_DIRS)


def _judge(m: Mount, path: str) -> tuple[str, bool] | None:
    """:func:`_sensitivity`, where a bind inside its Compose project's folder is the
    project's own data: only a credential directory there counts."""
    project = normalise_path(m.project_dir) if m.project_dir else None
    if project and _within(path, project) and _own_folder(project):
        credential = _credential_dir(path[len(project):])
        return (credential, False) if credential else None
    return _sensitivity(path, m.read_only)


@runsettings_check(
    "no-sensitive-host-mounts", title="No sensitive host directory mounted",
    severity="high", refs=("CIS 5.6", "CL-0013", "CL-0025"),
    remediation="Mount only the application's own data; if host data is needed, bind the "
                "narrowest path read-only.")
def no_sensitive_host_mounts(s: RunSettings) -> Iterator[Finding]:
    for m in s.mounts:
        path = host_path(m)
        why = _judge(m, path) if path is not None else None
        if why is None:
            continue
        reason, root_equivalent = why
        writable = not m.read_only
        mode = "writable" if writable else "read-only"
        fix = ("remove it (read-only does not stop a process from using a socket)"
               if reason == _CONTROL else "remove it or bind a narrower path read-only")
        yield Finding(f"{who(s)} mounts {reason} {mode} ({_mount_words(m)}); {fix}",
                      m.location or s.locate("mounts"),
                      "critical" if writable and root_equivalent else None)


@runsettings_check(
    "no-host-devices", title="No host devices exposed", severity="high",
    refs=("CIS 5.18", "CL-0016"),
    remediation="Remove the device from `devices` / `--device`; raw disks, kernel memory and "
                "the kernel log give control of the host.")
def no_host_devices(s: RunSettings) -> Iterator[Finding]:
    for device in s.devices:
        path = normalise_path(device) if device.startswith("/") else device
        dangerous = bool(_DANGEROUS_DEVICE.fullmatch(path))
        kind = "a raw disk, kernel memory or kernel log device" if dangerous else "host device"
        yield Finding(f"{who(s)} exposes {kind} {device} "
                      f"({spell(s, 'devices', '--device')}); remove it",
                      s.locate("devices"), None if dangerous else "low")


@runsettings_check(
    "no-shared-propagation", title="No shared mount propagation", severity="medium",
    refs=("CIS 5.20", "CL-0017"),
    remediation="Drop `shared`/`rshared` propagation from the mount (the default `rprivate` "
                "keeps container mounts from reaching the host).")
def no_shared_propagation(s: RunSettings) -> Iterator[Finding]:
    for m in s.mounts:
        if (m.propagation or "").lower() in ("shared", "rshared"):
            yield Finding(f"{who(s)} mounts {m.source} -> {m.target} with {m.propagation} "
                          f"propagation; remove it", m.location or s.locate("mounts"))
