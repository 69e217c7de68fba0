"""Reading files of a container through the engine's archive API (``docker cp``): no shell
needed, works on created and exited containers, never writes to the container."""

from __future__ import annotations

import posixpath
import tarfile
from typing import Any

from ...engine import get_client
from ...errors import InputError, TargetUnavailable

_MODE_DIR = 1 << 31  # Go's os.ModeDir, as the engine reports it in the path stat
_MODE_SYMLINK = 1 << 27  # Go's os.ModeSymlink
_MAX_LINKS = 16


def path_stat(client: Any, container_id: str, path: str) -> dict[str, Any] | None:
    """The engine's stat of ``path`` (name, size, mode, linkTarget), ``None`` when absent.
    A HEAD request: the content is not transferred."""
    from docker.utils import decode_json_header

    api = client.api
    # The SDK has no call for HEAD /containers/{id}/archive; its URL helper builds the path.
    res = api.head(api._url("/containers/{0}/archive", container_id), params={"path": path})
    if res.status_code == 404:
        return None
    api._raise_for_status(res)
    header = res.headers.get("X-Docker-Container-Path-Stat")
    return decode_json_header(header) if header else None


def resolve(client: Any, container_id: str, path: str, label: str
            ) -> tuple[str, dict[str, Any]] | None:
    """``path`` with its symlinks followed, and its stat; ``None`` when it does not exist."""
    where = posixpath.normpath("/" + path.lstrip("/"))
    for _ in range(_MAX_LINKS):
        st = path_stat(client, container_id, where)
        if st is None:
            return None
        if not st.get("mode", 0) & _MODE_SYMLINK or not st.get("linkTarget"):
            return where, st
        where = posixpath.normpath(posixpath.join(posixpath.dirname(where), st["linkTarget"]))
    raise InputError("too many levels of symbolic links", f"{label}:{path}")


def read_file(client: Any, container_id: str, path: str, limit: int, label: str) -> bytes:
    """The content of a regular file, at most ``limit`` bytes (more is an error). ``label``
    names the container in messages."""
    found = resolve(client, container_id, path, label)
    label = f"{label}:{path}"
    if found is None:
        raise FileNotFoundError(f"{label}: no such file in the container")
    real, st = found
    if st.get("mode", 0) & _MODE_DIR:
        raise IsADirectoryError(f"{label}: is a directory")
    if st.get("size", 0) > limit:
        raise InputError(f"{st['size']} bytes, more than the {limit} bytes allowed", label)
    stream, _ = client.api.get_archive(container_id, real)
    return _first_file(stream, limit, label)


def _first_file(chunks: Any, limit: int, label: str) -> bytes:
    """The content of the first regular file of a tar stream (the one ``docker cp`` sent)."""
    from ..image.streams import ChunkSource

    with tarfile.open(fileobj=ChunkSource(chunks), mode="r|") as tar:  # type: ignore[call-overload]
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                return bytes(handle.read(limit))
    raise InputError("the engine sent no regular file", label)


def client_for(endpoint: str, label: str) -> Any:
    """The engine client of a container loaded earlier from ``endpoint``."""
    try:
        return get_client(endpoint or None)
    except TargetUnavailable as err:
        raise TargetUnavailable(f"{label}: {err}") from None
