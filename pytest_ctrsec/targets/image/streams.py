"""Byte sources for the layer reader: a file window, an iterator of chunks (the engine's
``docker save`` stream), and gzip / zstd decompression over either.

Each source offers ``read(n)`` (fewer bytes only at the end) and ``skip(n)``; a seekable
source skips with ``seek`` so file archives are never read where nothing is needed.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, Protocol

from ...errors import ParseError

# A layer may decompress to at most this many times the compressed bytes read so far, once
# past the floor: deflate itself cannot pass about 1,032:1, so only a stream of nothing but
# zeros (a decompression bomb) gets there, and a zstd frame (which can reach far more) is held
# to the same bound. Reading a layer thus costs time linear in its compressed size.
MAX_EXPANSION = 1000
EXPANSION_FLOOR = 1 << 30
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_SKIP_CHUNK = 1 << 16
_BLOCK = 1 << 16


class Source(Protocol):
    def read(self, n: int) -> bytes: ...

    def skip(self, n: int) -> int: ...


class FileWindow:
    """``length`` bytes of a seekable file starting at ``start`` (no read past the end).

    Reads go through ``os.pread`` in blocks of :data:`_BLOCK`, so many small reads (tar
    headers) cost one system call per block, and skipping file data costs nothing."""

    def __init__(self, fh: BinaryIO, start: int, length: int) -> None:
        self._pread = _preader(fh)
        self._pos = start
        self._left = length
        self._buf = b""
        self._buf_pos = 0  # file offset of self._buf[0]

    def read(self, n: int) -> bytes:
        n = min(n, self._left)
        if n <= 0:
            return b""
        off = self._pos - self._buf_pos
        if 0 <= off and off + n <= len(self._buf):
            data = self._buf[off:off + n]
        elif n >= _BLOCK:
            data = self._pread(n, self._pos)
        else:
            want = min(max(_BLOCK, n), self._left)
            self._buf, self._buf_pos = self._pread(want, self._pos), self._pos
            data = self._buf[:n]
        self._pos += len(data)
        self._left -= len(data)
        return data

    def skip(self, n: int) -> int:
        n = max(0, min(n, self._left))
        self._pos += n
        self._left -= n
        return n

    def tell(self) -> int:
        """The absolute file offset of the next byte."""
        return self._pos


def _preader(fh: BinaryIO) -> Callable[[int, int], bytes]:
    """``read(n, offset)`` for a real file (``os.pread``) or any seekable file object."""
    try:
        fd = fh.fileno()
    except (OSError, AttributeError, io.UnsupportedOperation):
        def seek_read(n: int, offset: int) -> bytes:
            fh.seek(offset)
            return fh.read(n)

        return seek_read
    return lambda n, offset: os.pread(fd, n, offset)


class ChunkSource:
    """An iterator of byte chunks as a stream; slicing through a memoryview keeps reads
    linear however large the chunks are."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)
        self._buf = memoryview(b"")
        self._off = 0

    def _fill(self) -> bool:
        for chunk in self._it:
            if chunk:
                self._buf, self._off = memoryview(chunk), 0
                return True
        return False

    def read(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0:
            if self._off >= len(self._buf) and not self._fill():
                break
            take = self._buf[self._off:self._off + n]
            self._off += len(take)
            n -= len(take)
            parts.append(take.tobytes())
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def skip(self, n: int) -> int:
        done = 0
        while done < n:
            if self._off >= len(self._buf) and not self._fill():
                break
            step = min(n - done, len(self._buf) - self._off)
            self._off += step
            done += step
        return done


class _Decompressing:
    """Shared buffering for decompressors: ``_more()`` returns the next decompressed bytes."""

    def __init__(self, parent: Source, label: str) -> None:
        self._parent = _Counting(parent)
        self._label = label
        self._out = b""
        self._off = 0
        self._eof = False
        self._produced = 0

    def _more(self) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def _next(self) -> None:
        """The next decompressed block, within :data:`MAX_EXPANSION`."""
        self._out, self._off = self._more(), 0
        self._produced += len(self._out)
        if self._produced > EXPANSION_FLOOR and \
                self._produced > MAX_EXPANSION * self._parent.count:
            raise ParseError(f"layer expands more than {MAX_EXPANSION}-fold past "
                             f"{EXPANSION_FLOOR >> 30} GiB (a decompression bomb?)", self._label)

    def read(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0:
            if self._off >= len(self._out):
                if self._eof:
                    break
                self._next()
                continue
            take = self._out[self._off:self._off + n]
            self._off += len(take)
            n -= len(take)
            parts.append(take)
        return b"".join(parts)

    def skip(self, n: int) -> int:
        done = 0
        while done < n:
            if self._off >= len(self._out):
                if self._eof:
                    break
                self._next()
                continue
            step = min(n - done, len(self._out) - self._off)
            self._off += step
            done += step
        return done


class _Counting:
    """A source that counts the bytes read from it (the compressed side of a layer)."""

    def __init__(self, parent: Source) -> None:
        self._parent = parent
        self.count = 0

    def read(self, n: int) -> bytes:
        data = self._parent.read(n)
        self.count += len(data)
        return data

    def skip(self, n: int) -> int:
        done = self._parent.skip(n)
        self.count += done
        return done


class GzipSource(_Decompressing):
    """gzip (possibly several concatenated members) decompressed on the fly, with bounded
    output per step so a small compressed bomb never becomes one huge buffer."""

    def __init__(self, parent: Source, label: str) -> None:
        super().__init__(parent, label)
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._in_member = False

    def _more(self) -> bytes:
        while True:
            if not self._pending:
                self._pending = self._parent.read(_SKIP_CHUNK)
                if not self._pending:
                    self._eof = True
                    if self._in_member:
                        raise ParseError("truncated gzip data", self._label)
                    return b""
            if not self._in_member and not self._pending.strip(b"\x00"):
                self._pending = b""  # zero padding after the last member
                continue
            try:
                out = self._z.decompress(self._pending, _SKIP_CHUNK * 4)
            except zlib.error as err:
                raise ParseError(f"corrupt gzip data: {err}", self._label) from None
            self._in_member = not self._z.eof
            if self._z.eof:
                # what follows the member is all in unused_data (zlib may leave a stale copy
                # of it in unconsumed_tail: adding both read the next member twice)
                self._pending = self._z.unused_data
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                self._pending = self._z.unconsumed_tail
            if out:
                return out


class Prepend:
    """A source with some bytes put back in front of it."""

    def __init__(self, head: bytes, parent: Source) -> None:
        self._head = head
        self._parent = parent

    def read(self, n: int) -> bytes:
        if not self._head:
            return self._parent.read(n)
        take, self._head = self._head[:n], self._head[n:]
        if len(take) < n:
            take += self._parent.read(n - len(take))
        return take

    def skip(self, n: int) -> int:
        if not self._head:
            return self._parent.skip(n)
        step = min(n, len(self._head))
        self._head = self._head[step:]
        return step + (self._parent.skip(n - step) if n > step else 0)


class ZstdSource(_Decompressing):
    """zstd frames decompressed on the fly (needs the optional ``zstandard`` package)."""

    def __init__(self, parent: Source, label: str) -> None:
        super().__init__(parent, label)
        try:
            import zstandard
        except ImportError:
            raise ParseError("layer is zstd-compressed; install pytest-ctrsec[zstd] "
                             "(the zstandard package) to read it", label) from None
        self._reader = zstandard.ZstdDecompressor().stream_reader(
            _AsFile(self._parent), read_across_frames=True)  # type: ignore[arg-type]
        self._error = zstandard.ZstdError

    def _more(self) -> bytes:
        try:
            out = self._reader.read(_SKIP_CHUNK * 4)
        except self._error as err:
            raise ParseError(f"corrupt zstd data: {err}", self._label) from None
        if not out:
            self._eof = True
        return out


class _AsFile:
    """A source seen as a minimal file object (for libraries that want ``read``)."""

    def __init__(self, src: Source) -> None:
        self._src = src

    def read(self, n: int = -1) -> bytes:
        return self._src.read(n if n >= 0 else 1 << 20)


def sniff(head: bytes) -> str:
    """What a blob is from its first bytes: ``gzip``, ``zstd``, ``json``, ``tar`` or ``unknown``."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    if len(head) >= 263 and head[257:262] == b"ustar":
        return "tar"
    if len(head) >= 512 and _plain_tar_checksum_ok(head[:512]):
        return "tar"
    return "unknown"


def _plain_tar_checksum_ok(block: bytes) -> bool:
    """A pre-POSIX tar header (no ``ustar`` magic) still has a valid checksum."""
    try:
        stored = int(block[148:156].replace(b"\x00", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    return stored == sum(block[:148]) + 256 + sum(block[156:])


def decompressed(src: Source, head: bytes, label: str) -> Source:
    """``src`` (whose first bytes ``head`` were already read) as a plain tar stream."""
    joined: Source = Prepend(head, src)
    kind = sniff(head)
    if kind == "gzip":
        return GzipSource(joined, label)
    if kind == "zstd":
        return ZstdSource(joined, label)
    return joined
