"""A header-only tar reader over a :class:`~.streams.Source`.

It understands what image layers use: ustar and pre-POSIX headers, GNU long names and long
link names, pax extended headers (per member and global), base-256 numbers and GNU sparse
members (reported with their real size). Data is skipped unless the consumer reads it while
the member is current, so a seekable source never reads file contents it does not need.
The stdlib ``tarfile`` stays the oracle in the tests.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from ...errors import ParseError
from .streams import Source

BLOCK = 512
_ZERO = bytes(BLOCK)
_META_LIMIT = 1 << 20  # pax / long-name payloads above this are hostile, not real
_KINDS = {b"0": "file", b"\x00": "file", b"7": "file", b"1": "hardlink", b"2": "symlink",
          b"3": "char", b"4": "block", b"5": "dir", b"6": "fifo", b"S": "file"}


@dataclass(frozen=True, slots=True)
class Member:
    """One tar entry as its header says (``name`` and ``linkname`` are raw, unnormalised)."""

    name: str
    kind: str  # file, dir, symlink, hardlink, char, block, fifo
    mode: int
    uid: int
    gid: int
    size: int  # the file's size (the real size for sparse members)
    linkname: str
    mtime: int
    stored: int  # bytes of data in the archive after the header


# name mode uid gid size mtime chksum typeflag linkname magic version uname gname
# devmajor devminor prefix (ustar; GNU keeps its extra fields in the prefix area)
_HEADER = struct.Struct("100s8s8s8s12s12s8sc100s6s2s32s32s8s8s155s12s")


def _num(field: bytes, label: str) -> int:
    """An octal (or GNU base-256) numeric header field."""
    try:
        return int(field.rstrip(b"\x00 ") or b"0", 8)  # the common case, at C speed
    except ValueError:
        pass
    if field[:1] and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        return value - (1 << (8 * len(field) - 8)) if field[0] & 0x40 else value
    text = field.split(b"\x00", 1)[0].strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise ParseError(f"bad number {text[:20]!r} in a tar header", label) from None


def _text(field: bytes) -> str:
    return field.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _checksum_ok(block: bytes) -> bool:
    try:
        stored = _num(block[148:156], "")
    except ParseError:
        return False
    unsigned = sum(block) - sum(block[148:156]) + 256
    return stored == unsigned or stored == unsigned - 2 * sum(b for b in block if b > 127)


def _pax(data: bytes, label: str) -> dict[str, str]:
    """Records ``"<len> key=value\\n"`` of a pax header."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise ParseError("malformed pax header", label) from None
        if length <= 0 or pos + length > len(data):
            raise ParseError("malformed pax header", label)
        record = data[space + 1:pos + length - 1]
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def _pax_time(text: str) -> int:
    """A pax ``mtime`` (decimal seconds); nonsense becomes 0 rather than an error, since no
    check depends on modification times."""
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return 0


class MemberData:
    """The unread data of a reader's current member, as a :class:`~.streams.Source`."""

    def __init__(self, reader: TarReader) -> None:
        self._reader = reader

    def read(self, n: int) -> bytes:
        return self._reader.read_data(n)

    def skip(self, n: int) -> int:
        return self._reader.skip_data(n)


def _padded(size: int) -> int:
    return (size + BLOCK - 1) // BLOCK * BLOCK


class TarReader:
    """Iterate members; while a member is current, :meth:`read_data` returns its bytes."""

    def __init__(self, src: Source, label: str) -> None:
        self._src = src
        self._label = label
        self._left = 0  # unread data bytes of the current member
        self._pad = 0  # padding after them
        self._global: dict[str, str] = {}

    def read_data(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the current member's data (consumed)."""
        want = min(limit, self._left)
        data = self._src.read(want)
        if len(data) < want:
            raise ParseError("truncated archive (a member's data ends early)", self._label)
        self._left -= len(data)
        return data

    def skip_data(self, n: int) -> int:
        """Skip up to ``n`` bytes of the current member's data."""
        done = self._src.skip(min(n, self._left))
        self._left -= done
        return done

    def _finish_member(self) -> None:
        todo = self._left + self._pad
        if todo and self._src.skip(todo) < todo:
            raise ParseError("truncated archive (a member's data ends early)", self._label)
        self._left = self._pad = 0

    def _short(self, block: bytes) -> bool:
        """A header read that came back short: the end (false), or a truncated archive."""
        if not block:
            return False
        raise ParseError("truncated archive (a header ends early)", self._label)

    def _payload(self, size: int) -> bytes:
        if size > _META_LIMIT:
            raise ParseError(f"tar metadata record of {size} bytes is too large", self._label)
        data = self._src.read(_padded(size))
        if len(data) < _padded(size):
            raise ParseError("truncated archive (a header ends early)", self._label)
        return data[:size]

    def __iter__(self) -> Iterator[Member]:
        first = True
        pax: dict[str, str] = {}
        longname = longlink = None
        src = self._src
        while True:
            if self._left or self._pad:
                self._finish_member()
            block = src.read(BLOCK)
            if len(block) != BLOCK and not self._short(block):
                if first:
                    raise ParseError("empty archive (not a tar)", self._label)
                return  # EOF without the end-of-archive blocks: accepted, like GNU tar
            if block == _ZERO:
                return
            if not _checksum_ok(block):
                what = "not a tar archive" if first else "corrupt tar header (bad checksum)"
                raise ParseError(what, self._label)
            first = False
            flag = block[156:157]
            size = _num(block[124:136], self._label)
            if size < 0:
                raise ParseError("negative member size in a tar header", self._label)
            if flag in (b"x", b"g", b"L", b"K"):
                data = self._payload(size)
                if flag == b"x":
                    pax.update(_pax(data, self._label))
                elif flag == b"g":
                    self._global.update(_pax(data, self._label))
                elif flag == b"L":
                    longname = _text(data)
                else:
                    longlink = _text(data)
                continue
            merged = {**self._global, **pax} if self._global or pax else pax
            member = self._member(block, flag, size, merged, longname, longlink)
            pax, longname, longlink = {}, None, None
            self._left, self._pad = member.stored, _padded(member.stored) - member.stored
            if flag in (b"V", b"M"):
                continue  # volume labels and multi-volume continuations carry no entry
            yield member

    def _member(self, block: bytes, flag: bytes, size: int, pax: dict[str, str],
                 longname: str | None, longlink: str | None) -> Member:
        (name_b, mode_b, uid_b, gid_b, _, mtime_b, _, _, link_b, magic, _, _, _, _, _,
         prefix_b, _) = _HEADER.unpack(block)
        name = _text(name_b)
        if magic == b"ustar\x00" and prefix_b[:1] != b"\x00":
            name = _text(prefix_b) + "/" + name
        name = pax.get("path") or longname or name
        linkname = pax.get("linkpath") or longlink or _text(link_b)
        kind = _KINDS.get(flag, "file")
        if flag == b"\x00" and name.endswith("/"):
            kind = "dir"  # pre-POSIX archives mark directories by the trailing slash (only
            # they: a "0" member named "a/" is a file, for Go's archive/tar and tarfile alike)
        stored = size
        real = size
        if "size" in pax:
            stored = real = self._pax_int(pax["size"])
        if flag == b"S":
            real = _num(block[483:495], self._label)
        if kind in ("dir", "symlink", "hardlink", "char", "block", "fifo"):
            real = 0
        label = self._label
        uid = self._pax_int(pax["uid"]) if "uid" in pax else _num(uid_b, label)
        gid = self._pax_int(pax["gid"]) if "gid" in pax else _num(gid_b, label)
        mtime = _pax_time(pax["mtime"]) if "mtime" in pax else _num(mtime_b, label)
        mode = _num(mode_b, label) & 0o7777
        return Member(name, kind, mode, uid, gid, real, linkname, mtime, stored)

    def _pax_int(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ParseError(f"bad number {text[:20]!r} in a pax header", self._label) from None
        if value < 0:
            raise ParseError("negative number in a pax header", self._label)
        return value
