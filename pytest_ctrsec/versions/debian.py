"""Debian package versions, ordered as dpkg orders them (Debian Policy 5.6.12).

``[epoch:]upstream[-revision]``: the epoch compares as a number; upstream and revision
compare by alternating runs of non-digits (character by character, ``~`` before the end of
the string, the end before letters, letters before every other character) and digits (as
numbers). Equality is dpkg's, not textual: ``1.0-1`` equals ``1.0-01``, ``1.0`` equals
``1.0-0``.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from .errors import InvalidVersion, parses


class DebianVersion(NamedTuple):
    epoch: int
    upstream: str
    revision: str


def _digit(c: str) -> bool:
    return "0" <= c <= "9"


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> DebianVersion:
    """Split a version the way dpkg does; raise :class:`InvalidVersion` where dpkg errs."""
    text = version.strip()
    if not text:
        raise InvalidVersion("empty version")
    if any(c.isspace() for c in text):
        raise InvalidVersion(f"{version!r}: embedded whitespace")
    epoch = 0
    head, sep, rest = text.partition(":")
    if sep:
        if not head or not all(_digit(c) for c in head):
            raise InvalidVersion(f"{version!r}: epoch is not a number")
        epoch = int(head)
        text = rest
        if not text:
            raise InvalidVersion(f"{version!r}: nothing after the epoch colon")
    upstream, sep, revision = text.rpartition("-")
    if not sep:
        upstream, revision = text, ""
    elif not revision:
        raise InvalidVersion(f"{version!r}: empty revision")
    if not upstream:
        raise InvalidVersion(f"{version!r}: empty upstream version")
    return DebianVersion(epoch, upstream, revision)


def _char_order(c: str) -> int:
    if c == "~":
        return -1
    if c.isascii() and c.isalpha():
        return ord(c)
    return ord(c) + 256


def verrevcmp(a: str, b: str) -> int:
    """Compare two upstream versions or two revisions: -1, 0 or 1."""
    i = j = 0
    while i < len(a) or j < len(b):
        # Non-digit run: character by character, where the end of a run sorts after "~"
        # and before everything else.
        while (i < len(a) and not _digit(a[i])) or (j < len(b) and not _digit(b[j])):
            ca = _char_order(a[i]) if i < len(a) and not _digit(a[i]) else 0
            cb = _char_order(b[j]) if j < len(b) and not _digit(b[j]) else 0
            if ca != cb:
                return -1 if ca < cb else 1
            i += 1
            j += 1
        # Digit run: as a number (leading zeros do not count).
        si = i
        while i < len(a) and _digit(a[i]):
            i += 1
        sj = j
        while j < len(b) and _digit(b[j]):
            j += 1
        na, nb = int(a[si:i] or 0), int(b[sj:j] or 0)
        if na != nb:
            return -1 if na < nb else 1
    return 0


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as dpkg --compare-versions would order ``a`` and ``b``."""
    pa, pb = parse(a), parse(b)
    if pa.epoch != pb.epoch:
        return -1 if pa.epoch < pb.epoch else 1
    return verrevcmp(pa.upstream, pb.upstream) or verrevcmp(pa.revision, pb.revision)


def valid(version: str) -> bool:
    return parses(parse, version)
