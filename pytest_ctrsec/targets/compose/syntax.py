"""Compose short syntaxes turned into their long form, as ``docker compose config`` does.

- ports: ``[ip:][host[-range]:]container[-range][/proto]``, IPv6 in brackets, one entry per
  container port (a range is expanded), ``mode: ingress``;
- volumes: ``[source:]target[:options]``, a bind when the source starts with ``.``, ``/`` or
  ``~`` (else a named volume), options ``ro``/``rw``/``z``/``Z``/propagation/``nocopy``;
- devices: ``host[:container[:permissions]]``.

Problems raise :class:`SyntaxProblem` (the caller adds file and line).
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any


class SyntaxProblem(ValueError):
    """A short-syntax value Compose would reject."""


_PROTOCOLS = ("tcp", "udp", "sctp")
PROPAGATIONS = ("rprivate", "private", "rshared", "shared", "rslave", "slave")


def _port_range(text: str, what: str, raw: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        start = int(low, 10)
        end = int(high, 10) if sep else start
    except ValueError:
        raise SyntaxProblem(f"invalid {what} {text!r} in port {raw!r}") from None
    if not (0 <= start <= 65535 and 0 <= end <= 65535) or end < start:
        raise SyntaxProblem(f"invalid {what} {text!r} in port {raw!r}")
    return start, end


def _split_port(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _host_ip(text: str, raw: str) -> str:
    if text.startswith("["):
        if not text.endswith("]"):
            raise SyntaxProblem(f"invalid IP address {text!r} in port {raw!r}")
        text = text[1:-1]
    if text and not _is_ip(text):
        raise SyntaxProblem(f"invalid IP address {text!r} in port {raw!r}")
    return text


@functools.lru_cache(maxsize=1024)
def _is_ip(text: str) -> bool:
    """Whether ``text`` is an IPv4 or IPv6 address (a corpus names the same few)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_port(value: str | int | float) -> list[dict[str, Any]]:
    """The long-syntax entries of a short port spec (``"127.0.0.1:8080-8081:80-81/udp"``)."""
    raw = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    ip_text, host, container = _split_port(raw)
    container, _, proto = container.partition("/")
    proto = (proto or "tcp").lower()
    ip = _host_ip(ip_text, raw)
    if not container:
        raise SyntaxProblem(f"no container port in {raw!r}")
    if proto not in _PROTOCOLS:
        raise SyntaxProblem(f"invalid protocol {proto!r} in port {raw!r}")
    start, end = _port_range(container, "container port", raw)
    host_start = host_end = 0
    if host:
        host_start, host_end = _port_range(host, "host port", raw)
        if end - start != host_end - host_start and end != start:
            raise SyntaxProblem(f"container and host port ranges differ in size in {raw!r}")
    entries: list[tuple[str, dict[str, Any]]] = []
    for offset in range(end - start + 1):
        entry: dict[str, Any] = {"mode": "ingress"}
        if ip:
            entry["host_ip"] = ip
        entry["target"] = start + offset
        if host:
            if start == end and host_start != host_end:
                entry["published"] = f"{host_start}-{host_end}"  # the engine picks one of them
            else:
                entry["published"] = str(host_start + offset)
        entry["protocol"] = proto
        entries.append((f"{start + offset}/{proto}", entry))
    entries.sort(key=lambda pair: pair[0])  # Compose orders them as strings ("1000/tcp" < "999/tcp")
    return [entry for _, entry in entries]


def port_key(item: Any) -> Any:
    """The merge key of a port: host ip, published port, target and protocol."""
    if isinstance(item, dict):
        return (
            str(item.get("host_ip") or ""),
            str(item.get("published") or ""),
            str(item.get("target")),
            str(item.get("protocol") or "tcp"),
        )
    try:
        parsed = parse_port(item)
    except SyntaxProblem:
        return ("raw", str(item))
    return port_key(parsed[0]) if len(parsed) == 1 else ("raw", str(item))


def is_path_source(source: str) -> bool:
    """Whether a short-syntax volume source names a host path (a bind) rather than a volume."""
    if not source:
        return False
    if source[0] in "./~" or source.startswith("\\\\"):
        return True
    return len(source) >= 2 and source[0].isalpha() and source[1] == ":"


def _volume_fields(spec: str) -> list[str]:
    """Split on ':' outside ``${...}`` and after a Windows drive letter."""
    fields: list[str] = []
    buf = ""
    depth = 0
    i = 0
    while i < len(spec):
        char = spec[i]
        if char == "$" and spec[i + 1 : i + 2] == "{":
            depth += 1
            buf += "${"
            i += 2
            continue
        if char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth and not (len(buf) == 1 and buf.isalpha()):
            fields.append(buf)
            buf = ""
            i += 1
            continue
        buf += char
        i += 1
    fields.append(buf)
    return fields


def parse_volume(spec: str) -> dict[str, Any]:
    """The long syntax of a short volume spec (``./data:/data:ro,z``)."""
    if not spec:
        raise SyntaxProblem("empty volume spec")
    if len(spec) <= 2:
        return {"type": "volume", "target": spec, "volume": {}}
    fields = _volume_fields(spec)
    if any(not f for f in fields):
        raise SyntaxProblem(f"empty section between colons in volume {spec!r}")
    if len(fields) > 3:
        raise SyntaxProblem(f"too many colons in volume {spec!r}")
    out: dict[str, Any] = {}
    source = fields[0] if len(fields) > 1 else ""
    target = fields[1] if len(fields) > 1 else fields[0]
    bind: dict[str, Any] = {}
    volume: dict[str, Any] = {}
    read_only = False
    for option in fields[2].split(",") if len(fields) == 3 else ():
        if option in ("ro", "rw"):
            read_only = option == "ro"
        elif option == "nocopy":
            volume["nocopy"] = True
        elif option in PROPAGATIONS:
            bind["propagation"] = option
        elif option in ("z", "Z"):
            bind["selinux"] = option
    if is_path_source(source):
        out["type"] = "bind"
        bind["create_host_path"] = True
    else:
        out["type"] = "volume"
    if source:
        out["source"] = source
    out["target"] = target
    if read_only:
        out["read_only"] = True
    if bind:
        out["bind"] = bind
    if out["type"] == "volume" or volume:
        out["volume"] = volume
    return out


def volume_key(item: Any) -> Any:
    """The merge key of a service volume: its target."""
    if isinstance(item, dict):
        return item.get("target")
    try:
        return parse_volume(str(item))["target"]
    except SyntaxProblem:
        return str(item)


def parse_device(spec: str) -> dict[str, str]:
    """``/dev/sda:/dev/xvda:rwm`` -> ``{source, target, permissions}``."""
    parts = spec.split(":")
    if len(parts) > 3:
        raise SyntaxProblem(f"confusing device mapping {spec!r}, use the long syntax")
    source = parts[0]
    target = parts[1] if len(parts) > 1 and parts[1] else source
    permissions = parts[2] if len(parts) > 2 else "rwm"
    return {"source": source, "target": target, "permissions": permissions}


def device_key(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("target") or item.get("source")
    parts = str(item).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def file_mount_key(item: Any, default_dir: str) -> Any:
    """The merge key of a secret (``/run/secrets``) or config (``/``) mount: its target."""
    if isinstance(item, dict):
        target = item.get("target")
        if target:
            return target
        item = item.get("source", "")
    return f"{default_dir.rstrip('/')}/{item}"


def split_key_value(item: str) -> tuple[str, str | None]:
    """``"A=1"`` -> ``("A", "1")``; ``"A"`` -> ``("A", None)``."""
    key, sep, value = item.partition("=")
    return key, value if sep else None


def scalar_text(value: Any) -> str:
    """A YAML scalar as Compose writes it into a string (``true``, ``1``, ``1.5``)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
