"""The Docker Engine connection, shared by every target that reads the engine.

The ``docker`` SDK is imported lazily so ``pytest --help`` and the Compose and Kubernetes
paths never need it. One client per (session, host); an engine that does not answer becomes a
:class:`TargetUnavailable` with one line naming the endpoint.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from .errors import TargetUnavailable

DEFAULT_TIMEOUT = 30


def endpoint(base_url: str | None = None) -> str:
    """The engine address that will be used: ``base_url``, ``$DOCKER_HOST`` or the socket."""
    return base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


@functools.lru_cache(maxsize=8)
def get_client(base_url: str | None = None) -> Any:
    """A connected ``docker.DockerClient``; raises :class:`TargetUnavailable` when the engine
    does not answer (no socket, no permission, wrong address)."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as err:  # pragma: no cover - docker is a hard dependency
        raise TargetUnavailable(f"the docker SDK is not installed: {err}") from None
    url = endpoint(base_url)
    try:
        client = docker.DockerClient(base_url=url, timeout=DEFAULT_TIMEOUT)
        client.ping()
    except PermissionError:
        raise TargetUnavailable(f"Docker engine at {url}: permission denied") from None
    except DockerException as err:
        raise TargetUnavailable(f"Docker engine at {url} does not answer: {_short(err)}") from None
    return client


def try_client(base_url: str | None = None) -> Any | None:
    """Like :func:`get_client` but ``None`` when no engine answers (for optional lookups)."""
    try:
        return get_client(base_url)
    except TargetUnavailable:
        return None


def _short(err: BaseException) -> str:
    """The innermost cause of an SDK error, on one line."""
    while err.__cause__ or err.__context__:
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    return " ".join(str(err).split()) or type(err).__name__
