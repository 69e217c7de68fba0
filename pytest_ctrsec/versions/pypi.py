"""PyPI versions (PEP 440), through ``packaging``, the reference implementation pip uses."""

from __future__ import annotations

import functools

from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from .errors import InvalidVersion, parses


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> Version:
    try:
        return Version(version)
    except _PackagingInvalid:
        raise InvalidVersion(f"{version!r} is not a PEP 440 version") from None
    except ValueError:  # a number beyond Python's 4,300-digit int() limit
        raise InvalidVersion(f"{version[:40]!r}...: a number is too long") from None


def compare(a: str, b: str) -> int:
    pa, pb = parse(a), parse(b)
    return (pa > pb) - (pa < pb)


def valid(version: str) -> bool:
    return parses(parse, version)
