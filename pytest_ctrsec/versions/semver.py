"""npm versions: Semantic Versioning 2.0.0 precedence, as npm's ``semver.compare`` applies it
(a leading ``v`` is accepted; build metadata is ignored)."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from .errors import InvalidVersion, parses

_NUM = r"0|[1-9][0-9]*"
_PRE_ID = rf"(?:{_NUM}|[0-9]*[a-zA-Z-][a-zA-Z0-9-]*)"
_SHAPE = re.compile(
    rf"v?(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
MAX_SAFE = 2**53 - 1  # npm rejects larger numbers (JavaScript's safe integers)
MAX_LENGTH = 256  # npm's semver rejects longer version strings


class SemVer(NamedTuple):
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...]


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> SemVer:
    if len(version) > MAX_LENGTH:
        raise InvalidVersion(f"{version[:40]!r}...: longer than {MAX_LENGTH} characters")
    m = _SHAPE.fullmatch(version)
    if m is None:
        raise InvalidVersion(f"{version!r} is not a semantic version")
    core = [int(m[k]) for k in ("major", "minor", "patch")]
    if any(n > MAX_SAFE for n in core):
        raise InvalidVersion(f"{version!r}: number too large")
    pre = tuple(int(p) if p.isdigit() else p for p in m["pre"].split(".")) if m["pre"] else ()
    return SemVer(core[0], core[1], core[2], pre)


def _identifier(a: int | str, b: int | str) -> int:
    """Numeric identifiers sort numerically and before alphanumeric ones."""
    if isinstance(a, int) and isinstance(b, int) or isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)  # type: ignore[operator]
    return -1 if isinstance(a, int) else 1


def compare(a: str, b: str) -> int:
    pa, pb = parse(a), parse(b)
    if pa[:3] != pb[:3]:
        return -1 if pa[:3] < pb[:3] else 1
    if not pa.pre or not pb.pre:
        return (not pa.pre) - (not pb.pre)
    for x, y in zip(pa.pre, pb.pre):
        c = _identifier(x, y)
        if c:
            return c
    return (len(pa.pre) > len(pb.pre)) - (len(pa.pre) < len(pb.pre))


def valid(version: str) -> bool:
    return parses(parse, version)
