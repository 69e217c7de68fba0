"""Checks only a running container can answer (the run-settings rules it shares with Compose
live in :mod:`pytest_ctrsec.checks.runsettings`)."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import check
from ..errors import CannotEvaluate
from ..findings import Finding
from ..targets.container.model import Container

# OpenSSH's listener, its per-connection processes since 9.8, and Dropbear.
SSH_SERVERS = frozenset({"sshd", "sshd-session", "sshd-auth", "dropbear"})
# The default bridge network is always named "bridge"; mode "default" means that network only
# when the daemon has one (``--bridge=none`` makes it "none"), so the attachments decide.
DEFAULT_BRIDGE = "bridge"


@check("container.no-sshd", title="No SSH server runs in the container", severity="high",
       model="container", refs=("CIS 5.7",),
       remediation="remove the SSH server from the image; use `docker exec` to get a shell")
def no_sshd(container: Container) -> Iterator[Finding]:
    for proc in container.require_processes():
        if proc.name in SSH_SERVERS:
            yield Finding(f"container {container.name} runs an SSH server: pid {proc.pid} "
                          f"`{proc.command}`")


@check("container.not-on-default-bridge", title="The container is not on the default bridge "
       "network", severity="low", model="container", refs=("CIS 5.30",),
       remediation="attach the container to a user-defined network (`docker network create`, "
                   "`--network NAME`)")
def not_on_default_bridge(container: Container) -> Iterator[Finding]:
    settings = container.settings
    mode = settings.network_mode or "default"
    if mode.startswith("container:"):
        other = mode.split(":", 1)[1][:12]
        raise CannotEvaluate(f"container {container.name} shares the network namespace of "
                             f"container {other}: check that container")
    if mode == DEFAULT_BRIDGE or DEFAULT_BRIDGE in settings.networks:
        yield Finding(f"container {container.name} is attached to the default bridge network "
                      "(docker0), where every container can reach every other")
