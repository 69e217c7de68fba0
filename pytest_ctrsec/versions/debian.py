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


MAX_EPOCH = 2**31 - 1  # dpkg rejects larger epochs ("epoch in version is too big")


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
        if len(head.lstrip("0")) > 10 or int(head) > MAX_EPOCH:
            raise InvalidVersion(f"{version!r}: epoch is too big")
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


def number_key(digits: str) -> tuple[int, str]:
    """A run of digits as a key ordered like its value, of any length (dpkg compares digit
    runs digit by digit; Python's int() refuses strings beyond 4,300 digits)."""
    significant = digits.lstrip("0")
    return len(significant), significant


_END = ((0,), number_key(""))  # how dpkg reads an ended string: an empty run, then number 0
_Pair = tuple[tuple[int, ...], tuple[int, str]]


def _part_key(text: str) -> tuple[_Pair, ...]:
    """A tuple that orders like dpkg's verrevcmp: (non-digit run, number) pairs, each run a
    tuple of character ranks closed by the end rank 0. Trailing pairs equal to :data:`_END`
    are dropped and one is appended, so an ended string meets the other's next pair the way
    dpkg's loop does (after the first pair, no real pair can equal it)."""
    pairs: list[_Pair] = []
    i = 0
    while i < len(text) or not pairs:
        start = i
        while i < len(text) and not _digit(text[i]):
            i += 1
        run = (*(_char_order(c) for c in text[start:i]), 0)
        start = i
        while i < len(text) and _digit(text[i]):
            i += 1
        pairs.append((run, number_key(text[start:i])))
    while len(pairs) > 1 and pairs[-1] == _END:
        pairs.pop()
    return (*pairs, _END)


@functools.lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple[int, tuple[object, ...], tuple[object, ...]]:
    """A key whose tuple order is dpkg's order (equal keys for dpkg-equal versions)."""
    v = parse(version)
    return (v.epoch, _part_key(v.upstream), _part_key(v.revision))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as dpkg --compare-versions would order ``a`` and ``b``."""
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)  # type: ignore[operator]


def valid(version: str) -> bool:
    return parses(parse, version)
