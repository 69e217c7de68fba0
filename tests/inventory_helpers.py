"""Merged filesystems made by hand for the inventory and matching tests, and the planted
package databases the image tests share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_ctrsec.targets.image.fsindex import Entry, FileIndex


class Link(str):
    """A symlink's target, as a value in :func:`fs_from`."""


class Big(int):
    """A regular file of this size whose bytes the layer pass did not keep."""


FileSpec = bytes | str | int  # captured bytes or text, a Link (str) or a Big (int)


def fs_from(files: Mapping[str, FileSpec]) -> FileIndex:
    """A FileIndex holding ``files`` (bytes: a captured regular file; :class:`Link`: a
    symlink; :class:`Big`: a file without captured data)."""
    index = FileIndex()
    for path, value in files.items():
        if isinstance(value, Link):
            index.add(path, Entry("symlink", 0o777, 0, 0, 0, str(value)))
        elif isinstance(value, Big):
            index.add(path, Entry("file", 0o644, 0, 0, int(value)))
        else:
            data = value.encode() if isinstance(value, str) else bytes(value)
            index.add(path, Entry("file", 0o644, 0, 0, len(data), data=data))
    return index


def stanza(name: str, version: str, arch: str = "amd64", source: str | None = None,
           status: str | None = "install ok installed", extra: str = "") -> str:
    lines = [f"Package: {name}"]
    if status is not None:
        lines.append(f"Status: {status}")
    lines += ["Priority: optional", f"Architecture: {arch}"]
    if source is not None:
        lines.append(f"Source: {source}")
    lines += [f"Version: {version}", "Maintainer: Test <test@example.invalid>",
              f"Description: test package {name}", " A longer description line.", " ."]
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


# A bookworm-like dpkg database whose binaries mostly come from other source packages:
# binNMUs (bash), an epoch on the binary only (bsdutils), several binaries per source.
BOOKWORM_STATUS = "\n".join([
    stanza("base-files", "12.4+deb12u11"),
    stanza("bash", "5.2.15-2+b13", source="bash (5.2.15-2)"),
    stanza("bsdutils", "1:2.38.1-5+deb12u3", source="util-linux (2.38.1-5+deb12u3)"),
    stanza("mount", "2.38.1-5+deb12u3", source="util-linux"),
    stanza("libblkid1", "2.38.1-5+deb12u3", source="util-linux"),
    stanza("libc6", "2.36-9+deb12u10", source="glibc"),
    stanza("libc-bin", "2.36-9+deb12u10", source="glibc"),
    stanza("openssl", "3.0.17-1~deb12u2"),
    stanza("libssl3", "3.0.17-1~deb12u2", source="openssl"),
    stanza("gzip", "1.12-1"),
    stanza("zlib1g", "1:1.2.13.dfsg-1", source="zlib"),
    stanza("tzdata", "2025b-0+deb12u1", arch="all"),
    stanza("libgone1", "1.0-1", source="gone", status="deinstall ok config-files"),
    stanza("libhalf1", "0.9-1", source="half", status="install reinstreq half-installed"),
])
BOOKWORM_OS_RELEASE = ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                       'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n'
                       'ID=debian\nHOME_URL="https://www.debian.org/"\n')

ALPINE_INSTALLED = "\n".join([
    "C:Q1abc=\nP:busybox\nV:1.36.1-r15\nA:x86_64\nS:500000\nI:900000\nT:Size optimized toolbox\n"
    "U:https://busybox.net/\nL:GPL-2.0-only\no:busybox\nm:Maintainer <m@example.invalid>\n"
    "t:1700000000\nc:abcdef\nD:so:libc.musl-x86_64.so.1\nF:bin\nR:busybox\n",
    "P:ssl_client\nV:1.36.1-r15\nA:x86_64\nL:GPL-2.0-only\no:busybox\nF:usr/bin\nR:ssl_client\n",
    "P:libexample\nV:2.1-r0\nA:x86_64\nL:MIT AND BSD-2-Clause\no:libexample\n",
    "P:zlib\nV:1.3.1-r0\nA:x86_64\nL:Zlib\no:zlib\n",
])

DIST_INFO = "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: {lic}\n\nBody text.\n"


def dist_info(name: str, version: str, lic: str = "Apache-2.0") -> str:
    return DIST_INFO.format(name=name, version=version, lic=lic)


def package_json(name: str, version: str | None, lic: str = "MIT") -> str:
    import json

    doc: dict[str, str] = {"name": name, "license": lic}
    if version is not None:
        doc["version"] = version
    return json.dumps(doc)


def image_from(fs: FileIndex, ref: str = "ctrsec-test/vulns:unit", digest: str | None = None,
               tags: tuple[str, ...] = ()) -> Any:
    """An image model over a hand-made filesystem (as the loader would return it)."""
    import hashlib

    from pytest_ctrsec.targets.image.config import ImageConfig
    from pytest_ctrsec.targets.image.model import Image, ImageData
    from pytest_ctrsec.targets.image.source import ImageSource

    digest = digest or "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
    data = ImageData(digest, ImageConfig(), fs, tags)
    return Image(ref, ImageSource("docker-archive", ref, "/nonexistent"), lambda: data)


def debian_app_files() -> dict[str, FileSpec]:
    """A bookworm-like image with Python and npm packages on top (the matching fixture)."""
    site = "usr/lib/python3/dist-packages"
    return {
        "var/lib/dpkg/status": BOOKWORM_STATUS,
        "usr/lib/os-release": BOOKWORM_OS_RELEASE,
        "etc/os-release": Link("../usr/lib/os-release"),
        f"{site}/Requests-2.31.0.dist-info/METADATA": dist_info("Requests", "2.31.0"),
        f"{site}/example_pkg-1.4.2.dist-info/METADATA": dist_info("example_pkg", "1.4.2"),
        "usr/local/lib/python3.11/site-packages/Example.Pkg-1.5.0.dist-info/METADATA":
            dist_info("Example.Pkg", "1.5.0"),
        "app/node_modules/lodash/package.json": package_json("lodash", "4.17.20"),
    }


# (package, advisory id, severity counted, fixed version) the OSV fixtures must yield for
# debian_app_files() with the check's defaults (threshold low, unknown counted as high).
EXPECTED_DEBIAN_APP = {
    ("openssl", "DEBIAN-CVE-2099-1001", "high", "3.0.17-1~deb12u3"),
    ("libssl3", "DEBIAN-CVE-2099-1001", "high", "3.0.17-1~deb12u3"),
    ("bsdutils", "DEBIAN-CVE-2099-1003", "low", "2.38.1-5+deb12u4"),
    ("mount", "DEBIAN-CVE-2099-1003", "low", "2.38.1-5+deb12u4"),
    ("libblkid1", "DEBIAN-CVE-2099-1003", "low", "2.38.1-5+deb12u4"),
    ("bash", "DEBIAN-CVE-2099-1004", "medium", "5.2.15-2+deb12u1"),
    ("libhalf1", "DEBIAN-CVE-2099-1008", "high", "1.0-1"),
    ("Requests", "GHSA-2099-aaaa-0001", "medium", "2.32.0"),
    ("example_pkg", "GHSA-2099-bbbb-0002", "high", None),
    ("lodash", "GHSA-2099-dddd-0004", "high", "4.17.21"),
}
