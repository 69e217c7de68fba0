"""The dockerd command line, read the way dockerd's flag parser reads it, into the same keys
daemon.json uses (``--insecure-registry`` -> ``insecure-registries``), so one lookup serves
both places a setting can come from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Flag:
    key: str  # the daemon.json key
    kind: str  # "bool", "str", "list" (repeatable) or "map" (repeatable key=value)
    short: str | None = None


FLAGS: dict[str, Flag] = {
    "--authorization-plugin": Flag("authorization-plugins", "list"),
    "--config-file": Flag("config-file", "str"),
    "--debug": Flag("debug", "bool", "-D"),
    "--experimental": Flag("experimental", "bool"),
    "--group": Flag("group", "str", "-G"),
    "--host": Flag("hosts", "list", "-H"),
    "--icc": Flag("icc", "bool"),
    "--insecure-registry": Flag("insecure-registries", "list"),
    "--iptables": Flag("iptables", "bool"),
    "--live-restore": Flag("live-restore", "bool"),
    "--log-driver": Flag("log-driver", "str"),
    "--log-level": Flag("log-level", "str", "-l"),
    "--log-opt": Flag("log-opts", "map"),
    "--no-new-privileges": Flag("no-new-privileges", "bool"),
    "--tls": Flag("tls", "bool"),
    "--tlscacert": Flag("tlscacert", "str"),
    "--tlscert": Flag("tlscert", "str"),
    "--tlskey": Flag("tlskey", "str"),
    "--tlsverify": Flag("tlsverify", "bool"),
    "--userland-proxy": Flag("userland-proxy", "bool"),
    "--userns-remap": Flag("userns-remap", "str"),
}
_SHORT = {f.short: long for long, f in FLAGS.items() if f.short}


def parse(argv: Sequence[str]) -> dict[str, Any]:
    """Settings given on the command line (``argv[0]`` is the program), by daemon.json key.

    >>> parse(["dockerd", "--icc=false", "-H", "unix:///s", "--log-opt", "max-size=1m"])
    {'icc': False, 'hosts': ['unix:///s'], 'log-opts': {'max-size': '1m'}}
    """
    out: dict[str, Any] = {}
    args = list(argv[1:])
    i = 0
    while i < len(args):
        name, value = _split(args[i])
        flag = FLAGS.get(_SHORT.get(name, name))
        takes_value = flag.kind != "bool" if flag else not value
        # dockerd takes no positional arguments, so a bare word after a flag is its value.
        if value is None and takes_value and i + 1 < len(args) and not args[i + 1].startswith("-"):
            i += 1
            value = args[i]
        if flag:
            _store(out, flag, value)
        i += 1
    return out


def _split(arg: str) -> tuple[str, str | None]:
    """``--icc=false`` -> (``--icc``, ``false``); ``-lwarn`` -> (``-l``, ``warn``)."""
    if arg.startswith("--"):
        name, sep, value = arg.partition("=")
        return name, value if sep else None
    if arg.startswith("-") and len(arg) > 2:
        return arg[:2], arg[2:].removeprefix("=")
    return arg, None


def _store(out: dict[str, Any], flag: Flag, value: str | None) -> None:
    if flag.kind == "bool":
        out[flag.key] = value is None or value.lower() in ("1", "t", "true")
    elif flag.kind == "list" and value:
        # dockerd's list flags are repeated, one value each (no comma splitting).
        out.setdefault(flag.key, []).append(value)
    elif flag.kind == "map" and value:
        k, _, v = value.partition("=")
        out.setdefault(flag.key, {})[k] = v
    elif value is not None:
        out[flag.key] = value
