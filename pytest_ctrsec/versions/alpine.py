"""Alpine (apk) package versions, ordered as apk-tools orders them.

``number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`` (apk-package(5)). Suffixes
sort ``alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p``; a version without a
``-rN`` sorts before the same version with ``-r0``. Written from that specification and
checked against apk-tools itself (the pairs in the test suite).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from .debian import number_key
from .errors import InvalidVersion

PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")
SUFFIX_RANK = {s: i - len(PRE_SUFFIXES) for i, s in enumerate(PRE_SUFFIXES)}
SUFFIX_RANK.update({s: i + 1 for i, s in enumerate(POST_SUFFIXES)})

_SHAPE = re.compile(
    r"(?P<nums>[0-9]+(?:\.[0-9]+)*)"
    r"(?P<letter>[a-z])?"
    r"(?P<suffixes>(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*)"
    r"(?:~(?P<hash>[0-9a-f]+))?"
    r"(?:-r(?P<rev>[0-9]+))?")
_SUFFIX = re.compile(r"_([a-z]+)([0-9]*)")

# Token kinds, in the order that decides when two versions differ in shape at one place:
# (a later kind at that place makes the version greater, except pre-release suffixes).
DIGIT, LETTER, SUFFIX, HASH, REVISION, END = range(6)


class Token(NamedTuple):
    kind: int
    value: object


@functools.lru_cache(maxsize=65536)
def tokens(version: str) -> tuple[Token, ...]:
    """The comparison tokens of a valid version; :class:`InvalidVersion` otherwise."""
    m = _SHAPE.fullmatch(version)
    if m is None:
        raise InvalidVersion(f"{version!r} is not an apk version")
    out = [Token(DIGIT, n) for n in m["nums"].split(".")]
    if m["letter"]:
        out.append(Token(LETTER, m["letter"]))
    for name, number in _SUFFIX.findall(m["suffixes"]):
        out.append(Token(SUFFIX, (SUFFIX_RANK[name], number_key(number))))
    if m["hash"]:
        out.append(Token(HASH, m["hash"]))
    if m["rev"] is not None:
        out.append(Token(REVISION, number_key(m["rev"])))
    out.append(Token(END, None))
    return tuple(out)


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def _digits(a: str, b: str, first: bool) -> int:
    """Numbers compare as numbers, except later components with a leading zero, which
    compare as decimal fractions (Gentoo's rule: 1.01 < 1.1, 1.010 == 1.01 is false)."""
    if not first and (a.startswith("0") or b.startswith("0")):
        return _cmp(a, b)
    return _cmp(number_key(a), number_key(b))


def _token(x: Token, y: Token, first: bool) -> int:
    if x.kind == y.kind:
        if x.kind == END:
            return 0
        if x.kind == DIGIT:
            return _digits(x.value, y.value, first)  # type: ignore[arg-type]
        return _cmp(x.value, y.value)
    # Different shapes at the same place: one more number or a letter makes a version
    # greater; a suffix on one side only is judged against "no suffix" (pre-releases below,
    # post-releases above); otherwise the earlier kind wins.
    if min(x.kind, y.kind) <= LETTER:
        return 1 if x.kind < y.kind else -1
    if x.kind == SUFFIX:
        return -1 if x.value[0] < 0 else 1  # type: ignore[index]
    if y.kind == SUFFIX:
        return 1 if y.value[0] < 0 else -1  # type: ignore[index]
    return -1 if x.kind > y.kind else 1


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``apk version -t a b`` would say ``<``, ``=`` or ``>``."""
    ta, tb = tokens(a), tokens(b)
    for i, (x, y) in enumerate(zip(ta, tb)):
        c = _token(x, y, i == 0)
        if c:
            return c
    return 0


def valid(version: str) -> bool:
    return _SHAPE.fullmatch(version) is not None
