"""Version comparators per ecosystem, each checked against the ecosystem's own tool.

>>> compare("Debian:12", "1:2.38.1-5", "2.38.1-6")
1
>>> compare("Alpine:v3.19", "2.1-r0", "2.1_git20240101-r0")
-1
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import alpine, debian, pypi, rpm, semver
from .errors import InvalidVersion

__all__ = ["Comparator", "InvalidVersion", "comparator", "compare", "COMPARATORS"]


@dataclass(frozen=True)
class Comparator:
    """How one ecosystem orders versions: ``compare`` gives -1, 0 or 1 and raises
    :class:`InvalidVersion`; ``valid`` says whether the ecosystem's tools accept a string."""

    name: str
    compare: Callable[[str, str], int]
    valid: Callable[[str], bool]


COMPARATORS: dict[str, Comparator] = {
    "deb": Comparator("deb", debian.compare, debian.valid),
    "apk": Comparator("apk", alpine.compare, alpine.valid),
    "rpm": Comparator("rpm", rpm.compare, rpm.valid),
    "pypi": Comparator("pypi", pypi.compare, pypi.valid),
    "semver": Comparator("semver", semver.compare, semver.valid),
}

# OSV ecosystem names (the part before the first ":") -> the ordering they use.
_BY_ECOSYSTEM = {
    "Debian": "deb", "Ubuntu": "deb",
    "Alpine": "apk", "Wolfi": "apk", "Chainguard": "apk",
    "Red Hat": "rpm", "Rocky Linux": "rpm", "AlmaLinux": "rpm", "openSUSE": "rpm",
    "SUSE": "rpm", "Mageia": "rpm", "openEuler": "rpm", "Azure Linux": "rpm",
    "PyPI": "pypi",
    "npm": "semver",
}


def comparator(ecosystem: str) -> Comparator | None:
    """The comparator for an OSV ecosystem string such as ``Debian:12`` (``None`` when the
    ecosystem is not supported)."""
    key = _BY_ECOSYSTEM.get(ecosystem.split(":", 1)[0])
    return COMPARATORS[key] if key else None


def compare(ecosystem: str, a: str, b: str) -> int:
    found = comparator(ecosystem)
    if found is None:
        raise InvalidVersion(f"no version ordering known for ecosystem {ecosystem!r}")
    return found.compare(a, b)
