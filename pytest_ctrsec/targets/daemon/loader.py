"""Loading the daemon target: the engine's info and version, then, when the daemon runs on this
host, its command line, daemon.json and the modes of its socket and config file.

Read-only: nothing here writes to the engine or the host.
"""

from __future__ import annotations

import functools
import grp
import json
import os
import pwd
import re
import stat
from typing import Any

from ...engine import endpoint as engine_endpoint
from ...engine import get_client, uses_tls
from ...errors import ConfigError, ParseError, TargetUnavailable
from .. import Target
from . import flags as dockerd_flags
from .model import Daemon, FileStat
from .proc import find_dockerd, read_cmdline

DEFAULT_CONFIG = "/etc/docker/daemon.json"


def load_targets(opts: Any) -> list[Target]:
    """The daemon target of ``--ctrsec-daemon`` (``local`` or an engine URL)."""
    value = getattr(opts, "daemon", None)
    if not value:
        return []
    url = None if value in ("local", True) else str(value)
    return load_daemon(url, getattr(opts, "daemon_json", None)).ctrsec_targets()


@functools.lru_cache(maxsize=8)
def load_daemon(url: str | None = None, config_path: str | None = None) -> Daemon:
    """The daemon behind ``url`` (default: ``$DOCKER_HOST`` or the local socket)."""
    where = engine_endpoint(url)
    client = get_client(url)
    try:
        info, version = client.api.info(), client.api.version()
    except Exception as err:  # the SDK raises several unrelated types here
        raise TargetUnavailable(f"Docker engine at {where}: {_one_line(err)}") from None
    socket_path = where[len("unix://"):] if where.startswith("unix://") else None
    pid, cmdline, cmd_reason = _process(socket_path, where)
    flags = dockerd_flags.parse(cmdline) if cmdline else {}
    path = config_path or flags.get("config-file") or (DEFAULT_CONFIG if cmdline else None)
    config, missing, reason, lines = _read_config(path, explicit=bool(config_path))
    if path is None:
        reason = "no daemon.json path: give --ctrsec-daemon-json"
    hosts = list(flags.get("hosts") or ()) + list((config or {}).get("hosts") or ())
    sockets = _socket_stats(socket_path, hosts)
    bridge, networks_listed = _default_bridge(client)
    return Daemon(
        endpoint=where, info=info, version=version, default_bridge=bridge,
        networks_listed=networks_listed,
        pid=pid, cmdline=cmdline, cmdline_reason=cmd_reason, flags=flags,
        config_path=path, config=config, config_missing=missing, config_reason=reason,
        config_lines=lines, config_stat=file_stat(path) if path else None,
        sockets=sockets,
        sockets_reason="" if sockets else _no_socket(socket_path, where),
        content_trust=os.environ.get("DOCKER_CONTENT_TRUST"),
        label="local" if url is None else url, endpoint_tls=uses_tls(client),
    )


def _process(socket_path: str | None, where: str) -> tuple[int | None, tuple[str, ...] | None,
                                                           str]:
    """The local dockerd's pid and command line, or why they are unknown."""
    if socket_path is None:
        return None, None, _no_socket(None, where)
    found = find_dockerd(socket_path)
    if found.pid is None:
        return None, None, found.reason
    cmdline = read_cmdline(found.pid)
    if cmdline is None:
        return found.pid, None, f"cannot read the command line of dockerd (pid {found.pid})"
    return found.pid, cmdline, ""


def _no_socket(socket_path: str | None, where: str) -> str:
    if socket_path is None:
        return f"the daemon at {where} is not reached through a local socket"
    return f"cannot stat the socket {socket_path}"


def _read_config(path: str | None, explicit: bool
                 ) -> tuple[dict[str, Any] | None, bool, str, dict[str, int]]:
    """(config, known missing, why unknown, key lines) of daemon.json at ``path``."""
    if path is None:
        return None, False, "", {}
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"--ctrsec-daemon-json: {path}: no such file") from None
        return None, True, f"{path} does not exist", {}
    except OSError as err:
        return None, False, f"{path}: {err.strerror or err}", {}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(f"invalid JSON: {err.msg}", path, err.lineno) from None
    if not isinstance(config, dict):
        raise ParseError("daemon.json must hold a JSON object", path, 1)
    return config, False, "", key_lines(text, config)


def key_lines(text: str, keys: Any) -> dict[str, int]:
    """The line (1-based) where each top-level key is first written."""
    out: dict[str, int] = {}
    for key in keys:
        match = re.search(r'"' + re.escape(key) + r'"\s*:', text)
        if match:
            out[key] = text.count("\n", 0, match.start()) + 1
    return out


def _default_bridge(client: Any) -> tuple[dict[str, Any] | None, bool]:
    """(the default bridge network, whether the networks could be listed); there is none
    when dockerd runs with ``--bridge=none``."""
    try:
        networks = client.api.networks(filters={"driver": "bridge"})
    except Exception:  # an old or restricted engine: the config answers instead
        return None, False
    for net in networks:
        if (net.get("Options") or {}).get("com.docker.network.bridge.default_bridge") == "true":
            return dict(net), True
    return None, True


def _socket_stats(socket_path: str | None, hosts: list[str]) -> tuple[FileStat, ...]:
    """Owner and mode of every unix socket the daemon is known to listen on."""
    paths = [socket_path] if socket_path else []
    paths += [h[len("unix://"):] for h in hosts if h.startswith("unix://")]
    stats = (file_stat(p) for p in dict.fromkeys(paths))
    return tuple(s for s in stats if s is not None)


def file_stat(path: str) -> FileStat | None:
    """Owner and permission bits of ``path``; ``None`` when it cannot be seen."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileStat(path, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode),
                    _name(pwd.getpwuid, st.st_uid, "pw_name"),
                    _name(grp.getgrgid, st.st_gid, "gr_name"))


def _name(lookup: Any, ident: int, attr: str) -> str:
    try:
        return str(getattr(lookup(ident), attr))
    except KeyError:
        return str(ident)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__
