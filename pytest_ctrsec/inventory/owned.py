"""Language-package metadata files that an OS package installed.

Debian's python3-pip ships ``/usr/lib/python3/dist-packages/pip-23.0.1.dist-info``; Alpine's
py3-* and RHEL's python3-* packages do the same. Such a distribution is already in the
inventory as the OS package, and the distribution patches it without changing the upstream
version it declares, so matching it against PyPI or npm advisories too reports fixes that the
OS package has already backported. As Trivy does, the inventory leaves out language
packages whose metadata file the OS package manager's own file lists name: dpkg's
``info/*.list`` (``status.d/*.md5sums`` on distroless), apk's ``F:``/``R:`` lines and rpm's
file names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

DPKG_LIST = re.compile(r"var/lib/dpkg/info/[^/]+\.list")
DPKG_MD5SUMS = re.compile(r"var/lib/dpkg/status\.d/[^/]+\.md5sums")
# Only these names can be language-package metadata: everything else in a file list is
# skipped before it is stored.
_METADATA_ENDINGS = ("/METADATA", "/PKG-INFO", ".egg-info", "/package.json")


def metadata_only(paths: Iterable[str]) -> Iterator[str]:
    """Root-relative paths (no leading ``/``) of the given ones that may be metadata files."""
    for path in paths:
        path = path.strip().lstrip("/")
        if path.endswith(_METADATA_ENDINGS):
            yield path


def dpkg_list(text: str) -> Iterator[str]:
    """An ``info/<package>.list``: one absolute path per line."""
    return metadata_only(text.splitlines())


def dpkg_md5sums(text: str) -> Iterator[str]:
    """A ``status.d/<package>.md5sums``: ``<md5>  <relative path>`` per line."""
    return metadata_only(line.partition("  ")[2] for line in text.splitlines())


def apk_files(text: str) -> Iterator[str]:
    """The files of an apk installed database: ``R:`` names in the last ``F:`` directory."""
    folder = ""
    names: list[str] = []
    for line in text.splitlines():
        if line.startswith("F:"):
            folder = line[2:].strip()
        elif line.startswith("R:"):
            names.append(f"{folder}/{line[2:].strip()}" if folder else line[2:].strip())
        elif not line.strip():
            folder = ""
    return metadata_only(names)
