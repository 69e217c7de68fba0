"""Image facts from the local engine, for services that inherit USER or HEALTHCHECK.

Read-only: the image is inspected when the engine already has it; nothing is pulled and no
container is created. Each reference is looked up once per session. No engine, or an image
the engine does not have, means the facts are unknown (``None``), not an error.

The config (``docker image inspect``) is cheap and always read; the image's ``/etc/passwd``
needs a pass over its layers, so :func:`lookup_passwd` is asked only when a user *name* must
be resolved to a uid.
"""

from __future__ import annotations

import functools
import http.client
import json
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from .. import engine
from ..errors import CtrsecError
from .model import ImageFacts


def facts_from_config(ref: str, config: Mapping[str, Any] | None) -> ImageFacts:
    """ImageFacts from an image's ``Config`` (as ``docker image inspect`` shows it)."""
    config = config or {}
    health = config.get("Healthcheck") or {}
    test = health.get("Test")
    return ImageFacts(ref=ref, user=str(config.get("User") or ""),
                      healthcheck=tuple(test) if test else None,
                      env=tuple(str(e) for e in config.get("Env") or ()))


@functools.lru_cache(maxsize=1024)
def lookup_image_facts(ref: str) -> ImageFacts | None:
    """The facts of ``ref`` when the local engine has the image, else ``None``."""
    if not ref:
        return None
    url = engine.endpoint()
    attrs = _inspect_on_socket(url[len("unix://"):], ref) if url.startswith("unix://") \
        else _inspect_with_sdk(ref)
    return None if attrs is None else facts_from_config(ref, attrs.get("Config"))


class _UnixConnection(http.client.HTTPConnection):
    """HTTP to the engine on its unix socket."""

    def __init__(self, sock_path: str) -> None:
        super().__init__("docker", timeout=engine.DEFAULT_TIMEOUT)
        self.sock_path = sock_path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.sock_path)


def _inspect_on_socket(sock_path: str, ref: str) -> dict[str, Any] | None:
    """``docker image inspect`` over the local socket with the standard library: the docker
    SDK costs a fifth of a second to import, more than a Compose corpus's own lookups."""
    conn = _UnixConnection(sock_path)
    try:
        conn.request("GET", f"/images/{quote(ref, safe='/:')}/json")
        response = conn.getresponse()
        body = response.read()
        # Not found, an invalid reference, no engine or a dropped connection: unknown.
        return json.loads(body) if response.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def _inspect_with_sdk(ref: str) -> dict[str, Any] | None:
    """The same through the docker SDK, for TCP, TLS and ssh endpoints."""
    client = engine.try_client()
    if client is None:
        return None
    from docker.errors import DockerException
    from requests import RequestException

    try:
        return dict(client.api.inspect_image(ref))
    except (DockerException, RequestException, OSError):
        return None


class LazyPasswd(Mapping[str, int]):
    """An image's ``{user name: uid}``, read on first use: the layer pass is paid only when
    a rule actually resolves a name (``user-not-root``), not when targets are loaded."""

    def __init__(self, ref: str, read: Callable[[str], Mapping[str, int] | None]) -> None:
        self.ref = ref
        self._read = read
        self._data: Mapping[str, int] | None = None
        self._readable = False

    def _users(self) -> Mapping[str, int]:
        if self._data is None:
            data = self._read(self.ref)
            self._readable = data is not None
            self._data = data or {}
        return self._data

    @property
    def readable(self) -> bool:
        """Whether the image could be read: a name missing from an unreadable image is
        unknown, one missing from a read /etc/passwd does not exist."""
        self._users()
        return self._readable

    def __getitem__(self, name: str) -> int:
        return self._users()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._users())

    def __len__(self) -> int:
        return len(self._users())

    def __repr__(self) -> str:
        return f"LazyPasswd({self.ref!r})"


@functools.lru_cache(maxsize=256)
def lookup_passwd(ref: str) -> Mapping[str, int] | None:
    """``{user name: uid}`` from the /etc/passwd of a local engine image (never pulled);
    ``None`` when the image cannot be read."""
    from ..targets.image import LoadSettings, open_image

    try:
        return open_image(ref, LoadSettings(pull=False)).users()
    except CtrsecError:
        return None
