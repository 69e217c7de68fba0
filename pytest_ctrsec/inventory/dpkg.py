"""Debian packages from dpkg's database: ``var/lib/dpkg/status`` and the distroless
``var/lib/dpkg/status.d/*`` (one stanza per file, sometimes without a Status field)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .model import Package

STATUS = "var/lib/dpkg/status"
STATUS_D = re.compile(r"var/lib/dpkg/status\.d/[^/]+")
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")
# dpkg states in which the package's files are on disk (not "not-installed" or
# "config-files"): a half-installed package's code is there and counts.
ON_DISK = frozenset({"installed", "half-installed", "unpacked", "half-configured",
                     "triggers-awaited", "triggers-pending"})


def is_status_d(path: str) -> bool:
    """A stanza file of ``status.d`` (its ``.md5sums`` companions are file lists)."""
    return STATUS_D.fullmatch(path) is not None and not path.endswith(".md5sums")


def source_of(fields: dict[str, str], version: str) -> tuple[str, str]:
    """dpkg's ``source:Package`` and ``source:Version``: ``Source: name (version)`` gives
    that version; a bare ``Source: name`` or none at all means the binary's own version,
    epoch included."""
    raw = fields.get("Source", "").strip()
    m = _SOURCE.match(raw) if raw else None
    if m is None:
        return fields.get("Package", ""), version
    return m.group(1), m.group(2) or version


def installed(fields: dict[str, str]) -> bool:
    status = fields.get("Status")
    if status is None:
        return True  # distroless status.d stanzas carry no Status: they are installed
    words = status.split()
    return len(words) == 3 and words[2] in ON_DISK


def parse(text: str, path: str) -> Iterator[Package]:
    from .stanzas import deb822

    for _, fields in deb822(text):
        name, version = fields.get("Package"), fields.get("Version")
        if not name or not version or not installed(fields):
            continue
        src_name, src_version = source_of(fields, version)
        yield Package("deb", name, version, src_name, src_version,
                      fields.get("Architecture", ""), path)
