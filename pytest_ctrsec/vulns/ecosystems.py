"""Which OSV ecosystem, package name and version an inventory package is looked up with.

Distribution advisories are written against source packages: Debian and Ubuntu by ``Source:``
with the source version, Alpine by origin, RPM distributions by the SOURCERPM name with the
binary's epoch. Language packages are looked up by their own name (PyPI names normalised).
"""

from __future__ import annotations

from packaging.utils import canonicalize_name

from ..inventory.model import OsInfo, Package

DEBIAN_CODENAME_ECOSYSTEM = {"sid": "Debian:sid"}


def os_ecosystem(os: OsInfo | None) -> str | None:
    """``Debian:12``, ``Ubuntu:22.04:LTS``, ``Alpine:v3.19`` ...; ``None`` when OSV has no
    ecosystem for this distribution (or its release is unknown)."""
    if os is None:
        return None
    vid = os.version_id
    if os.id == "debian":
        if vid:
            return f"Debian:{vid.split('.', 1)[0]}"
        return DEBIAN_CODENAME_ECOSYSTEM.get(os.codename)
    if os.id == "ubuntu" and vid:
        lts = ":LTS" if "LTS" in os.version or "LTS" in os.name else ""
        return f"Ubuntu:{vid}{lts}"
    if os.id == "alpine" and vid.count(".") >= 1:
        major, minor = vid.split(".")[:2]
        return f"Alpine:v{major}.{minor}"
    if os.id in ("wolfi", "chainguard"):
        return os.id.capitalize()
    if os.id == "rocky" and vid:
        return f"Rocky Linux:{vid.split('.', 1)[0]}"
    if os.id == "almalinux" and vid:
        return f"AlmaLinux:{vid.split('.', 1)[0]}"
    return None


OS_TYPES = frozenset({"deb", "apk", "rpm"})
_OS_FAMILY = {"deb": ("debian", "ubuntu"), "apk": ("alpine", "wolfi", "chainguard"),
              "rpm": ("rocky", "almalinux")}


def lookup(pkg: Package, os: OsInfo | None) -> tuple[str, str, str] | None:
    """``(ecosystem, name, version)`` to query for ``pkg``, or ``None`` when there is no
    OSV ecosystem for it (e.g. rpm packages of an unsupported distribution)."""
    if pkg.type == "pypi":
        return "PyPI", canonicalize_name(pkg.name), pkg.version
    if pkg.type == "npm":
        return "npm", pkg.name, pkg.version
    if pkg.type in OS_TYPES:
        eco = os_ecosystem(os)
        if eco is None or os is None or os.id not in _OS_FAMILY[pkg.type]:
            return None
        return eco, pkg.source_name or pkg.name, pkg.source_version or pkg.version
    return None


def query_name(ecosystem: str, name: str) -> str:
    """A record's package name as stored in the index (PyPI names normalised)."""
    return canonicalize_name(name) if ecosystem == "PyPI" else name
