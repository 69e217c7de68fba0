"""A running container's processes through the engine's ``top``: the engine runs ``ps`` on its
host and keeps the container's pids, so no shell or ``ps`` is needed inside the container."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import Process

# The command line last: it may hold spaces, and the engine joins overhanging fields into the
# last column. Numeric uid: user names would be the host's names for the host's uids.
PS_ARGS = "-eo pid,ppid,uid,args"
_COMMAND_TITLES = ("COMMAND", "CMD", "ARGS")


def read_processes(client: Any, container_id: str) -> tuple[Process, ...]:
    """Processes of a running container (raises the SDK's APIError otherwise)."""
    return parse_top(client.api.top(container_id, ps_args=PS_ARGS))


def parse_top(top: Mapping[str, Any]) -> tuple[Process, ...]:
    """The engine's top answer (titles and rows), whatever columns it holds."""
    titles: Sequence[str] = top.get("Titles") or ()
    col = {t.upper(): i for i, t in enumerate(titles)}
    cmd = next((col[t] for t in _COMMAND_TITLES if t in col), len(titles) - 1)
    out = []
    for row in top.get("Processes") or ():
        pid = _int(row, col.get("PID"))
        if pid is not None:
            out.append(Process(pid, _int(row, col.get("PPID")), _int(row, col.get("UID")),
                               row[cmd] if 0 <= cmd < len(row) else ""))
    return tuple(out)


def _int(row: Sequence[str], index: int | None) -> int | None:
    if index is None or index >= len(row):
        return None
    try:
        return int(row[index])
    except ValueError:
        return None
