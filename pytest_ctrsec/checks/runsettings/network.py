"""Namespaces shared with the host, and published ports."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterator

from ...findings import Finding
from ...runsettings.model import PortBinding, RunSettings
from ._register import runsettings_check, spell, who

# slug, RunSettings field, Compose key, docker flag, namespace words, severity, refs
_NAMESPACES = (
    ("no-host-network", "network_mode", "network_mode", "--network", "network", "high",
     ("CIS 5.10", "CL-0008")),
    ("no-host-pid", "pid_mode", "pid", "--pid", "process (PID)", "high",
     ("CIS 5.16", "CL-0010")),
    ("no-host-ipc", "ipc_mode", "ipc", "--ipc", "IPC", "high", ("CIS 5.17", "CL-0010")),
    ("no-host-uts", "uts_mode", "uts", "--uts", "UTS (hostname)", "medium", ("CIS 5.21",)),
    ("no-host-userns", "userns_mode", "userns_mode", "--userns", "user", "medium",
     ("CIS 5.31",)),
)


def _namespace_rule(field: str, key: str, flag: str,
                    words: str) -> Callable[[RunSettings], Iterator[Finding]]:
    def rule(s: RunSettings) -> Iterator[Finding]:
        if (getattr(s, field) or "").strip().lower() == "host":
            yield Finding(f"{who(s)} shares the host's {words} namespace "
                          f"({spell(s, f'{key}: host', f'{flag}=host')}); remove it",
                          s.locate(field))

    rule.__name__ = f"no_host_{key}"
    return rule


for _slug, _field, _key, _flag, _words, _sev, _refs in _NAMESPACES:
    runsettings_check(
        _slug, title=f"Host {_words} namespace not shared", severity=_sev, refs=_refs,
        remediation=f"Remove `{_key}: host` / `{_flag}=host`; publish ports or share a "
                    f"namespace with one named container instead.",
    )(_namespace_rule(_field, _key, _flag, _words))


@functools.lru_cache(maxsize=1024)
def unspecified_address(host_ip: str | None) -> bool | None:
    """Whether a host IP means "every interface": empty, ``0.0.0.0``, ``::``, ``[::]``,
    ``::ffff:0.0.0.0`` and other spellings. ``None`` when it is not an IP address.

    >>> [unspecified_address(a) for a in (None, "", "[::]", "::ffff:0.0.0.0", "127.0.0.1")]
    [True, True, True, True, False]
    """
    text = (host_ip or "").strip().removeprefix("[").removesuffix("]")
    if not text:
        return True
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_unspecified or bool(mapped and mapped.is_unspecified)


def _port_words(p: PortBinding, last: PortBinding | None = None) -> str:
    """``8080->80/tcp``; a run of ports ``9000-9010->9000-9010/tcp``."""
    last = last or p
    host = p.host_port if p.host_port is not None else "(any)"
    if last.host_port != p.host_port:
        host = f"{host}-{last.host_port}"
    target = str(p.container_port)
    if last.container_port != p.container_port:
        target = f"{target}-{last.container_port}"
    return f"{host}->{target}/{p.protocol}"


def _follows(p: PortBinding, q: PortBinding) -> bool:
    """Whether ``q`` continues a range ending at ``p`` (``9000-9010:9000-9010``)."""
    return (q.location == p.location and q.host_ip == p.host_ip and q.protocol == p.protocol
            and q.container_port == p.container_port + 1
            and (q.host_port is None) == (p.host_port is None)
            and (q.host_port is None or q.host_port == (p.host_port or 0) + 1))


def _runs(ports: list[PortBinding]) -> list[tuple[PortBinding, PortBinding]]:
    """Consecutive ports written as one range, as (first, last): one finding per range."""
    runs: list[tuple[PortBinding, PortBinding]] = []
    for p in ports:
        if runs and _follows(runs[-1][1], p):
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


def published_ports(s: RunSettings) -> tuple[PortBinding, ...]:
    """Ports the engine really publishes: on the host's network it discards them (the process
    listens on the host's interfaces directly, which no-host-network reports)."""
    return () if (s.network_mode or "").strip().lower() == "host" else s.ports


@runsettings_check(
    "ports-bound-to-interface", title="Published ports bound to one interface",
    severity="medium", refs=("CIS 5.14", "CL-0005"),
    remediation="Publish on a specific address, e.g. `127.0.0.1:8080:80` or "
                "`host_ip: 127.0.0.1`, or put a reverse proxy in front.")
def ports_bound_to_interface(s: RunSettings) -> Iterator[Finding]:
    open_ports = [p for p in published_ports(s) if unspecified_address(p.host_ip) is not False]
    for p, last in _runs(open_ports):
        where = p.location or s.locate("ports")
        if unspecified_address(p.host_ip) is None:
            yield Finding(f"{who(s)} publishes port {_port_words(p, last)} on {p.host_ip!r}, "
                          f"which is not an IP address; name the interface's address", where)
        else:
            shown = p.host_ip or "no address given"
            yield Finding(f"{who(s)} publishes port {_port_words(p, last)} on all interfaces "
                          f"({shown}); bind it to one address such as 127.0.0.1", where)


@runsettings_check(
    "no-privileged-host-ports", title="No privileged host ports", severity="low",
    refs=("CIS 5.8",),
    remediation="Publish on a host port of 1024 or above and let a proxy or load balancer "
                "serve the low port.")
def no_privileged_host_ports(s: RunSettings) -> Iterator[Finding]:
    low = [p for p in published_ports(s) if p.host_port is not None and 0 < p.host_port < 1024]
    for p, last in _runs(low):
        yield Finding(f"{who(s)} publishes privileged host port {_port_words(p, last)}; use a "
                      f"host port of 1024 or above", p.location or s.locate("ports"))
