"""The values of a Berkeley DB hash database, as rpm's ``Packages`` (RHEL/CentOS 7 and 8,
Amazon Linux 2, UBI 8) stores its header blobs: read page by page, without libdb.

Layout (Berkeley DB 4.x/5.x hash access method): page 0 is the metadata page (magic
0x061561, page size); hash pages (type 2 or 13) hold an array of item offsets, keys at even
and values at odd positions; a value is either inline (``H_KEYDATA``) or a pointer
(``H_OFFPAGE``) to a chain of overflow pages (type 7), each holding ``hf_offset`` bytes. The
file is in the byte order of the machine that wrote it: the magic says which.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from ..errors import ParseError

HASH_MAGIC = 0x061561
PAGE_HEADER = 26
P_HASH_UNSORTED, P_OVERFLOW, P_HASH = 2, 7, 13
H_KEYDATA, H_OFFPAGE = 1, 3


def is_bdb_hash(data: bytes) -> bool:
    return len(data) >= 24 and HASH_MAGIC in (struct.unpack_from("<I", data, 12)[0],
                                             struct.unpack_from(">I", data, 12)[0])


def values(data: bytes, label: str) -> Iterator[bytes]:
    """Every value stored in the database, in page order."""
    if not is_bdb_hash(data):
        raise ParseError("not a Berkeley DB hash database", label)
    order = "<" if struct.unpack_from("<I", data, 12)[0] == HASH_MAGIC else ">"
    pagesize = struct.unpack_from(order + "I", data, 20)[0]
    claimed: set[int] = set()  # overflow pages already read: each belongs to one item
    if pagesize < 512 or pagesize > 65536 or pagesize & (pagesize - 1):
        raise ParseError(f"Berkeley DB page size {pagesize} is not a power of two from 512 "
                         "to 65536", label)
    for start in range(pagesize, len(data) - PAGE_HEADER + 1, pagesize):
        page = data[start:start + pagesize]
        if page[25] in (P_HASH, P_HASH_UNSORTED):
            yield from _page_values(data, page, order, pagesize, claimed, label)


def _page_values(data: bytes, page: bytes, order: str, pagesize: int, claimed: set[int],
                 label: str) -> Iterator[bytes]:
    entries = struct.unpack_from(order + "H", page, 20)[0]
    if PAGE_HEADER + 2 * entries > len(page):
        raise ParseError("Berkeley DB hash page lists more items than it holds", label)
    offsets = struct.unpack_from(f"{order}{entries}H", page, PAGE_HEADER)
    for i in range(1, entries, 2):  # values follow their keys
        at, end = offsets[i], offsets[i - 1]
        if not PAGE_HEADER <= at < end <= len(page):
            raise ParseError("Berkeley DB hash item outside its page", label)
        kind = page[at]
        if kind == H_KEYDATA:
            yield page[at + 1:end]
        elif kind == H_OFFPAGE and end - at >= 12:
            first, length = struct.unpack_from(order + "II", page, at + 4)
            yield _overflow(data, first, length, order, pagesize, claimed, label)


def _overflow(data: bytes, pgno: int, length: int, order: str, pagesize: int,
              claimed: set[int], label: str) -> bytes:
    """The bytes of an off-page item: the chain of overflow pages from ``pgno``. A page
    claimed twice (a loop, or items sharing a chain) is damage, and would let a hostile file
    make the reader copy it over and over."""
    parts: list[bytes] = []
    got = 0
    while pgno and got < length:
        start = pgno * pagesize
        if pgno in claimed or start + PAGE_HEADER > len(data) or data[start + 25] != P_OVERFLOW:
            raise ParseError(f"Berkeley DB overflow chain broken at page {pgno}", label)
        claimed.add(pgno)
        nxt, = struct.unpack_from(order + "I", data, start + 16)
        used, = struct.unpack_from(order + "H", data, start + 22)
        chunk = data[start + PAGE_HEADER:start + PAGE_HEADER + used]
        parts.append(chunk)
        got += len(chunk)
        pgno = nxt
    if got < length:
        raise ParseError("Berkeley DB overflow item is truncated", label)
    return b"".join(parts)[:length]
