"""The one error of the version comparators."""

from __future__ import annotations

from collections.abc import Callable


class InvalidVersion(ValueError):
    """A version string the ecosystem's own tools would reject."""


def parses(parse: Callable[[str], object], version: str) -> bool:
    """Whether ``parse`` accepts ``version`` (the ``valid`` of every comparator)."""
    try:
        parse(version)
    except InvalidVersion:
        return False
    return True
