"""Package URLs (purl) for inventory packages, built with packageurl-python."""

from __future__ import annotations

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from .model import OsInfo, Package

# purl namespaces of rpm distributions (the vendor, as Syft and Trivy write them).
RPM_NAMESPACES = {"rhel": "redhat", "centos": "centos", "rocky": "rocky",
                  "almalinux": "almalinux", "fedora": "fedora", "amzn": "amazon",
                  "ol": "oracle", "opensuse-leap": "opensuse", "sles": "suse"}


def purl(pkg: Package, os: OsInfo | None) -> str:
    """The purl of ``pkg``; OS packages carry ``arch`` and ``distro`` (and ``upstream``
    when the source package differs), rpm its epoch as a qualifier."""
    if pkg.type == "pypi":
        return PackageURL("pypi", None, canonicalize_name(pkg.name), pkg.version).to_string()
    if pkg.type == "npm":
        scope, _, name = pkg.name.rpartition("/")
        return PackageURL("npm", scope or None, name, pkg.version).to_string()
    qualifiers: dict[str, str] = {}
    if pkg.arch:
        qualifiers["arch"] = pkg.arch
    if os is not None:
        qualifiers["distro"] = os.label
    if pkg.source_name and pkg.source_name != pkg.name:
        qualifiers["upstream"] = pkg.source_name
    os_id = os.id if os else ""
    version = pkg.version
    if pkg.type == "rpm":
        epoch, sep, rest = version.partition(":")
        if sep:
            qualifiers["epoch"], version = epoch, rest
        namespace = RPM_NAMESPACES.get(os_id, os_id or None)
    else:
        namespace = os_id or ("alpine" if pkg.type == "apk" else "debian")
    return PackageURL(pkg.type, namespace, pkg.name, version, qualifiers).to_string()
