"""A testinfra ``Host`` for a container that has a shell (testinfra's ``docker://`` backend runs
``docker exec <container> /bin/sh -c ...``), bound to the engine the container lives on."""

from __future__ import annotations

import functools
import shutil
from typing import TYPE_CHECKING, Any

from ...errors import TargetUnavailable
from .model import NoShell

if TYPE_CHECKING:
    from .model import Container

SHELL = "/bin/sh"


def testinfra_host(container: Container) -> Any:
    """The container's testinfra Host, or :class:`NoShell` saying why there is none."""
    api_hint = "use its inspect, processes and read_file() (Engine API) instead"
    if not container.running:
        raise NoShell(f"{container.target_name} is {container.status}: testinfra needs a "
                      f"running container; {api_hint}")
    if not container.exists(SHELL):
        raise NoShell(f"{container.target_name} has no shell ({SHELL} not found): testinfra "
                      f"cannot run commands in it; {api_hint}")
    if shutil.which("docker") is None:
        raise TargetUnavailable("testinfra's docker backend needs the docker command-line "
                                "client, which is not on PATH")
    return _host(container.id, container.endpoint)


@functools.lru_cache(maxsize=64)
def _host(container_id: str, endpoint: str) -> Any:
    from testinfra.host import Host

    backend = _engine_backend()(container_id, endpoint)
    host = Host(backend)
    backend.set_host(host)
    return host


@functools.cache
def _engine_backend() -> type:
    """testinfra's docker backend, told which engine to talk to (``docker -H``): the CLI alone
    would use its own default, which may be another engine than the one inspected."""
    from testinfra.backend.docker import DockerBackend

    class EngineDockerBackend(DockerBackend):  # type: ignore[misc]
        def __init__(self, name: str, endpoint: str, *args: Any, **kwargs: Any) -> None:
            super().__init__(name, *args, **kwargs)
            self.endpoint = endpoint

        def run(self, command: str, *args: str, **kwargs: Any) -> Any:
            cmd = self.get_command(command, *args)
            user = ("-u", self.user) if self.user else ()
            template = "docker -H %s exec " + "%s " * len(user) + "%s " + SHELL + " -c %s"
            out = self.run_local(template, self.endpoint, *user, self.name, cmd)
            out.command = self.encode(cmd)
            return out

    return EngineDockerBackend
