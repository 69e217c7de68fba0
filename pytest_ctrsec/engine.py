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
        from docker.errors import DockerException
    except ImportError as err:  # pragma: no cover - docker is a hard dependency
        raise TargetUnavailable(f"the docker SDK is not installed: {err}") from None
    url = endpoint(base_url)
    try:
        client = _client(url)
        client.ping()
    except PermissionError:
        raise TargetUnavailable(f"Docker engine at {url}: permission denied") from None
    except DockerException as err:
        raise TargetUnavailable(f"Docker engine at {url} does not answer: {_short(err)}") from None
    return client


def _tls(url: str) -> dict[str, Any]:
    """TLS for a TCP engine from ``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH``, as the docker
    CLI applies them (to ``-H`` too); raises the SDK's error for missing certificate files."""
    if not url.startswith(("tcp://", "https://")):
        return {}
    from docker.utils import kwargs_from_env

    tls = kwargs_from_env().get("tls")
    return {"tls": tls} if tls else {}


def _client(url: str) -> Any:
    """A DockerClient whose API client keeps its own CA (see :func:`_api_class`)."""
    import docker

    client = docker.DockerClient.__new__(docker.DockerClient)
    client.api = _api_class()(base_url=url, timeout=DEFAULT_TIMEOUT, **_tls(url))
    return client


@functools.lru_cache(maxsize=1)
def _api_class() -> Any:
    """requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override a session's CA, so an
    engine's own CA from ``DOCKER_CERT_PATH`` was ignored wherever those are set."""
    from docker import APIClient

    class KeepCA(APIClient):  # type: ignore[misc]
        def merge_environment_settings(self, url: Any, proxies: Any, stream: Any,
                                       verify: Any, cert: Any) -> Any:
            if verify in (None, True) and isinstance(self.verify, str):
                verify = self.verify
            return super().merge_environment_settings(url, proxies, stream, verify, cert)

    return KeepCA


def uses_tls(client: Any) -> bool:
    """Whether the client speaks TLS to its engine."""
    return str(getattr(client.api, "base_url", "")).startswith("https://")


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
