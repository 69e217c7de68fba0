"""RPM versions ``[epoch:]version[-release]``, ordered as rpm orders them (rpmvercmp).

Each string is read as runs of digits and runs of ASCII letters; other characters only
separate runs, except ``~`` (sorts before everything, even the end: pre-releases) and ``^``
(sorts after the end but before anything else: post-release snapshots). Digit runs compare
as numbers and beat letter runs; letter runs compare as bytes. A missing epoch is 0; a
missing release sorts before any release (rpm's own ``rpm.ver`` ordering).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

from .errors import InvalidVersion


class Evr(NamedTuple):
    epoch: str
    version: str
    release: str | None


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _is_letter(c: str) -> bool:
    return c.isascii() and c.isalpha()


def _run_end(s: str, i: int, kind: Callable[[str], bool]) -> int:
    while i < len(s) and kind(s[i]):
        i += 1
    return i


@functools.lru_cache(maxsize=65536)
def parse(evr: str) -> Evr:
    """Split ``E:V-R`` as rpm does: the epoch is the digits before a first ``:`` (an empty
    one is 0), the release what follows the last ``-``."""
    text = evr.strip()
    if not text:
        raise InvalidVersion("empty version")
    i = 0
    while i < len(text) and "0" <= text[i] <= "9":
        i += 1
    epoch = ""
    if i < len(text) and text[i] == ":":
        epoch, text = text[:i] or "0", text[i + 1:]
    version, sep, release = text.rpartition("-")
    if not sep:
        return Evr(epoch, text, None)
    return Evr(epoch, version, release)


def rpmvercmp(a: str, b: str) -> int:
    """-1, 0 or 1 for two version (or release) strings."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not _alnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < len(b) and not _alnum(b[j]) and b[j] not in "~^":
            j += 1
        ca = a[i] if i < len(a) else ""
        cb = b[j] if j < len(b) else ""
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (ca and cb):
            break
        numeric = "0" <= ca <= "9"
        kind = _is_digit if numeric else _is_letter
        si, sj = i, j
        i, j = _run_end(a, i, kind), _run_end(b, j, kind)
        sa, sb = a[si:i], b[sj:j]
        if not sb:
            # The runs differ in kind: a number is newer than letters.
            return 1 if numeric else -1
        if numeric:
            sa, sb = sa.lstrip("0"), sb.lstrip("0")
            if len(sa) != len(sb):
                return -1 if len(sa) < len(sb) else 1
        if sa != sb:
            return -1 if sa < sb else 1
    if i >= len(a) and j >= len(b):
        return 0
    return 1 if i < len(a) else -1


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 for two ``[epoch:]version[-release]`` strings."""
    pa, pb = parse(a), parse(b)
    c = rpmvercmp(pa.epoch or "0", pb.epoch or "0") or rpmvercmp(pa.version, pb.version)
    if c:
        return c
    if pa.release is None or pb.release is None:
        return (pa.release is not None) - (pb.release is not None)
    return rpmvercmp(pa.release, pb.release)


def valid(evr: str) -> bool:
    return bool(evr.strip())
