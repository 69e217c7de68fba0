"""The engine's ``docker save`` stream (``GET /images/{name}/get``) as byte chunks.

On a local unix socket the request is made directly, with a small HTTP/1.1 reader that
decodes chunked transfer encoding in large blocks: the docker SDK's per-chunk Python work
costs several times the CPU of parsing the layers, and on a busy machine that CPU is what
slows the engine down. Any other endpoint (TCP, TLS, ssh) goes through the SDK.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import quote

from ...engine import endpoint, get_client
from ...errors import TargetUnavailable

SAVE_CHUNK = 1 << 21
_RECV = 1 << 20
_HEADER_LIMIT = 64 << 10


def save_stream(image: str) -> Iterator[bytes]:
    """Chunks of the docker-archive tar of ``image`` (an id or reference)."""
    url = endpoint()
    if url.startswith("unix://"):
        yield from _unix_get(url[len("unix://"):], f"/images/{quote(image, safe='')}/get")
    else:
        yield from get_client().api.get_image(image, chunk_size=SAVE_CHUNK)


def _unix_get(sock_path: str, path: str) -> Iterator[bytes]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            sock.connect(sock_path)
        except OSError as err:
            raise TargetUnavailable(f"Docker engine at unix://{sock_path}: {err.strerror}") \
                from None
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: pytest-ctrsec\r\n"
                     "Connection: close\r\n\r\n".encode())
        reader = _Reader(sock)
        status, headers = reader.head()
        body = reader.chunked() if headers.get("transfer-encoding", "").lower() == "chunked" \
            else reader.plain(int(headers["content-length"]) if "content-length" in headers
                              else None)
        if status != 200:
            raise TargetUnavailable(f"image save failed ({status}): {_message(b''.join(body))}")
        yield from body
    finally:
        sock.close()


def _message(raw: bytes) -> str:
    try:
        return str(json.loads(raw).get("message") or raw[:200].decode("utf-8", "replace"))
    except ValueError:
        return raw[:200].decode("utf-8", "replace")


class _Reader:
    """Buffered reads from a socket: header lines, then the body."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray(_RECV)
        self._view = memoryview(self._buf)
        self._start = self._end = 0

    def _fill(self) -> bool:
        """Read more; compacts the buffer first. False at end of stream."""
        if self._start:
            left = self._end - self._start
            self._buf[:left] = self._buf[self._start:self._end]
            self._start, self._end = 0, left
        if self._end == len(self._buf):
            raise TargetUnavailable("engine response line too long")
        got = self._sock.recv_into(self._view[self._end:])
        self._end += got
        return got > 0

    def _line(self) -> bytes:
        while True:
            cut = self._buf.find(b"\r\n", self._start, self._end)
            if cut >= 0:
                line = bytes(self._buf[self._start:cut])
                self._start = cut + 2
                return line
            if self._end - self._start > _HEADER_LIMIT or not self._fill():
                raise TargetUnavailable("the engine closed the connection mid-response")

    def head(self) -> tuple[int, dict[str, str]]:
        status_line = self._line().split(b" ", 2)
        try:
            status = int(status_line[1])
        except (IndexError, ValueError):
            raise TargetUnavailable("the engine sent no HTTP status line") from None
        headers: dict[str, str] = {}
        while line := self._line():
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        return status, headers

    def _take(self, n: int) -> Iterator[bytes]:
        """Exactly ``n`` body bytes, in the pieces they arrive in."""
        while n > 0:
            if self._start == self._end:
                self._start = self._end = 0
                if not self._fill():
                    raise TargetUnavailable("the engine closed the connection mid-image")
            step = min(n, self._end - self._start)
            yield bytes(self._view[self._start:self._start + step])
            self._start += step
            n -= step

    def chunked(self) -> Iterator[bytes]:
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise TargetUnavailable("bad chunk size in the engine's response") from None
            if size == 0:
                return
            yield from self._take(size)
            if self._line() != b"":
                raise TargetUnavailable("bad chunk framing in the engine's response")

    def plain(self, length: int | None) -> Iterator[bytes]:
        if length is not None:
            yield from self._take(length)
            return
        while True:
            if self._start == self._end:
                self._start = self._end = 0
                if not self._fill():
                    return
            yield bytes(self._view[self._start:self._end])
            self._start = self._end
