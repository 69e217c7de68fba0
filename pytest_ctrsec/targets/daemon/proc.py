"""Finding the local dockerd that serves a unix socket, through /proc (read-only).

Several dockerd processes may run on one host (a test daemon beside the main one, each in its
own network namespace), so the process is identified by the socket it listens on: its network
namespace's /proc/<pid>/net/unix lists the socket path with an inode, and the process holds
that inode among its open files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_LISTENING = 0x10000  # __SO_ACCEPTCON in /proc/net/unix "Flags"


@dataclass(frozen=True)
class Found:
    """The process serving a socket, or why none was identified."""

    pid: int | None
    reason: str = ""


def find_dockerd(socket_path: str, proc: Path = Path("/proc")) -> Found:
    """The dockerd listening on ``socket_path``."""
    wanted = _canonical(socket_path)
    matches: list[int] = []
    held: list[int] = []
    for pid in _pids_named(proc, "dockerd"):
        inodes = _listening_inodes(proc / str(pid) / "net" / "unix", wanted)
        if not inodes:
            continue
        matches.append(pid)
        fds = _socket_inodes(proc / str(pid) / "fd")
        if fds is not None and fds & inodes:
            held.append(pid)
    if len(held) == 1:
        return Found(held[0])
    if len(matches) == 1 and not held:
        return Found(matches[0])
    if not matches:
        return Found(None, f"no dockerd process on this host listens on {socket_path}")
    return Found(None, f"cannot tell which of the dockerd processes {sorted(matches)} "
                       f"serves {socket_path}")


def read_cmdline(pid: int, proc: Path = Path("/proc")) -> tuple[str, ...] | None:
    """The argument vector of ``pid``; ``None`` when the process is gone or unreadable."""
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a) or None


def _pids_named(proc: Path, name: str) -> list[int]:
    pids = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm == name:
            pids.append(int(entry.name))
    return pids


def _listening_inodes(net_unix: Path, wanted: str) -> set[int]:
    """Inodes of listening sockets bound to ``wanted`` in one network namespace."""
    try:
        lines = net_unix.read_text().splitlines()[1:]
    except OSError:
        return set()
    inodes = set()
    for line in lines:
        fields = line.split(None, 7)
        if len(fields) == 8 and int(fields[3], 16) & _LISTENING and \
                _canonical(fields[7]) == wanted:
            inodes.add(int(fields[6]))
    return inodes


def _socket_inodes(fd_dir: Path) -> set[int] | None:
    """Inodes of the sockets a process holds; ``None`` when its fds cannot be read."""
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return None
    inodes = set()
    for fd in entries:
        try:
            target = os.readlink(fd)
        except PermissionError:
            return None
        except OSError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _canonical(path: str) -> str:
    """``/var/run/docker.sock`` and ``/run/docker.sock`` are one file on most hosts."""
    head, tail = os.path.split(path)
    return os.path.join(os.path.realpath(head), tail)
