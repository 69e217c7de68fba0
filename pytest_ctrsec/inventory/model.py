"""What an image holds: its OS and its installed packages (plain data)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class OsInfo:
    """The distribution, from os-release or its fallbacks. ``version_id`` is as written
    (``12``, ``3.19.1``, ``22.04``); ``source`` is the file it was read from."""

    id: str
    version_id: str = ""
    codename: str = ""
    name: str = ""
    version: str = ""  # os-release VERSION, e.g. "22.04.4 LTS (Jammy Jellyfish)"
    id_like: tuple[str, ...] = ()
    source: str = ""

    @property
    def label(self) -> str:
        """``debian-12``: the purl ``distro`` qualifier."""
        return f"{self.id}-{self.version_id}" if self.version_id else self.id


@dataclass(frozen=True)
class Package:
    """One installed package.

    ``type`` is the purl type: ``deb``, ``apk``, ``rpm``, ``pypi`` or ``npm``. ``version`` is
    the full version as its package manager writes it (dpkg ``[epoch:]version``, rpm
    ``[epoch:]version-release``). ``source_name``/``source_version`` name the source package
    distribution advisories are written against (dpkg ``Source:``, apk origin, rpm
    SOURCERPM); for language packages they equal name and version. ``path`` is the database
    or metadata file it was read from.
    """

    type: str
    name: str
    version: str
    source_name: str = ""
    source_version: str = ""
    arch: str = ""
    path: str = ""
    licenses: tuple[str, ...] = ()
    purl: str = ""

    def __repr__(self) -> str:
        """Short, for pytest's failure output (``at_least`` failing printed every field).

        >>> Package("deb", "libssl3", "3.0.11-1~deb12u2", arch="amd64")
        <Package deb libssl3:amd64@3.0.11-1~deb12u2>
        """
        return f"<Package {self.type} {self.key}>"

    @property
    def key(self) -> str:
        """``name@version`` with the architecture when there is one (dpkg multi-arch)."""
        return f"{self.name}{':' + self.arch if self.arch else ''}@{self.version}"

    def compare_version(self, other: str) -> int:
        """-1, 0 or 1 as this package's version sorts before, equal to or after ``other``,
        by its package manager's rules (dpkg, apk, rpm, PEP 440, semver), where a string
        comparison gets ``3.0.9 > 3.0.11`` wrong; ``InvalidVersion`` (a ``ValueError``) for
        a version that manager would refuse.

        >>> pkg = Package("deb", "libssl3", "3.0.11-1~deb12u2")
        >>> pkg.compare_version("3.0.11-1"), pkg.compare_version("3.0.9-1")
        (-1, 1)
        """
        from ..versions import COMPARATORS, InvalidVersion

        found = COMPARATORS.get("semver" if self.type == "npm" else self.type)
        if found is None:
            raise InvalidVersion(f"{self.key}: no version ordering known for {self.type}")
        return found.compare(self.version, other)

    def at_least(self, version: str) -> bool:
        """Whether this package's version is ``version`` or newer (see
        :meth:`compare_version`; ``~`` sorts before a release in dpkg, so
        ``3.0.11-1~deb12u2`` is older than ``3.0.11-1``).

        >>> Package("deb", "libssl3", "3.0.11-1~deb12u2").at_least("3.0.11-1~deb12u1")
        True
        >>> Package("apk", "musl", "1.2.4-r2").at_least("1.2.4_git20230717-r4")
        False
        """
        return self.compare_version(version) >= 0


@dataclass(frozen=True)
class Inventory:
    """The OS and packages of one image; ``problems`` lists package data that could not be
    read (an unsupported rpmdb format, a truncated file), so that a scan can say what it
    did not cover instead of passing silently."""

    os: OsInfo | None
    packages: tuple[Package, ...]
    problems: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Package]:
        return iter(self.packages)

    def __len__(self) -> int:
        return len(self.packages)

    def names(self) -> set[str]:
        return {p.name for p in self.packages}

    def of_type(self, kind: str) -> tuple[Package, ...]:
        return tuple(p for p in self.packages if p.type == kind)

    def find(self, name: str) -> tuple[Package, ...]:
        """Packages with this name (any type); ``()`` when none is installed.

        >>> all(p.at_least("3.0.11-1~deb12u1") for p in image.packages.find("libssl3"))
        ... # doctest: +SKIP
        True
        """
        return tuple(p for p in self.packages if p.name == name)
