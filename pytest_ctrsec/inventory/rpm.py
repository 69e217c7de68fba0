"""RPM packages from an ``rpmdb.sqlite`` (RHEL/UBI 9+, Fedora 33+, Amazon Linux 2023), read
with the standard library's sqlite3 from a private copy of the captured bytes, and from a
Berkeley DB ``Packages`` (RHEL/CentOS 7 and 8, UBI 8, Amazon Linux 2) read by :mod:`.bdb`.

The ndb ``Packages.db`` format (SUSE) is recognised but not read: it is reported as a problem
so that a scan says what it did not cover.
"""

from __future__ import annotations

import re
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ParseError
from . import bdb
from .model import Package

DIRS = r"(?:var/lib/rpm|usr/lib/sysimage/rpm|usr/share/rpm)"
SQLITE = re.compile(DIRS + r"/rpmdb\.sqlite")
BDB = re.compile(DIRS + r"/Packages")
LEGACY = re.compile(DIRS + r"/Packages\.db")

TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH = 1000, 1001, 1002, 1003
TAG_VENDOR, TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM = 1011, 1014, 1022, 1044
WANTED = {TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH, TAG_VENDOR, TAG_LICENSE, TAG_ARCH,
          TAG_SOURCERPM}
TAG_DIRINDEXES, TAG_BASENAMES, TAG_DIRNAMES = 1116, 1117, 1118
TYPE_INT32, TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING = 4, 6, 8, 9
# Vendors whose packages the distribution's advisories cover (Trivy's list): a third-party
# rpm bundling Python or npm packages is not, so its language packages are still matched.
DISTRIBUTION_VENDORS = ("Amazon Linux", "Amazon.com", "CentOS", "Fedora Project",
                        "Oracle America", "Red Hat", "AlmaLinux", "CloudLinux", "VMware", "SUSE",
                        "openSUSE", "Microsoft Corporation", "Rocky")
_SRPM = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<release>[^-]+)\.(?:no)?src\.rpm$")


def header_tags(blob: bytes, label: str) -> dict[int, str | int]:
    """The few tags the inventory needs from one header blob (big-endian: index count,
    data length, 16-byte index entries, then the data store)."""
    if len(blob) < 8:
        raise ParseError("rpm header blob too short", label)
    count, size = struct.unpack_from(">II", blob, 0)
    store = 8 + 16 * count
    if count > 0x10000 or store + size > len(blob):
        raise ParseError("rpm header blob is truncated or not a header", label)
    out: dict[int, str | int] = {}
    for i in range(count):
        tag, kind, offset, n = struct.unpack_from(">IIII", blob, 8 + 16 * i)
        if tag not in WANTED or offset >= size:
            continue
        at = store + offset
        if kind == TYPE_INT32 and n >= 1 and offset + 4 <= size:
            out[tag] = struct.unpack_from(">I", blob, at)[0]
        elif kind in (TYPE_STRING, TYPE_I18NSTRING):
            end = blob.find(b"\0", at, store + size)
            out[tag] = blob[at:end if end >= 0 else store + size].decode("utf-8", "replace")
    return out


def from_distribution(tags: dict[int, str | int]) -> bool:
    """Whether the distribution built the package (Amazon's packages may lack a Vendor)."""
    vendor = str(tags.get(TAG_VENDOR, ""))
    if not vendor:
        return "amzn" in str(tags.get(TAG_RELEASE, ""))
    return vendor.startswith(DISTRIBUTION_VENDORS)


def file_names(blob: bytes) -> list[str]:
    """The installed paths a header lists (DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]); empty
    for a header without file lists or with inconsistent ones."""
    if len(blob) < 8:
        return []
    count, size = struct.unpack_from(">II", blob, 0)
    store = 8 + 16 * count
    if count > 0x10000 or store + size > len(blob):
        return []
    found: dict[int, tuple[int, int, int]] = {}
    for i in range(count):
        tag, kind, offset, n = struct.unpack_from(">IIII", blob, 8 + 16 * i)
        if tag in (TAG_DIRINDEXES, TAG_BASENAMES, TAG_DIRNAMES) and offset < size:
            found[tag] = (kind, store + offset, n)
    if len(found) != 3:
        return []
    end = store + size
    bases = _strings(blob, *found[TAG_BASENAMES], end)
    dirs = _strings(blob, *found[TAG_DIRNAMES], end)
    kind, at, n = found[TAG_DIRINDEXES]
    if kind != TYPE_INT32 or at + 4 * n > end or n != len(bases):
        return []
    indexes = struct.unpack_from(f">{n}I", blob, at)
    return [dirs[d] + b for d, b in zip(indexes, bases, strict=True) if d < len(dirs)]


def _strings(blob: bytes, kind: int, at: int, n: int, end: int) -> list[str]:
    if kind != TYPE_STRING_ARRAY:
        return []
    out: list[str] = []
    for _ in range(n):
        stop = blob.find(b"\0", at, end)
        if stop < 0:
            return []
        out.append(blob[at:stop].decode("utf-8", "replace"))
        at = stop + 1
    return out


def package_from(tags: dict[int, str | int], path: str) -> Package | None:
    name, version, release = (str(tags.get(t, "")) for t in (TAG_NAME, TAG_VERSION, TAG_RELEASE))
    if not name or not version or name == "gpg-pubkey":
        return None  # imported signing keys are stored as pseudo-packages
    epoch = tags.get(TAG_EPOCH)
    prefix = f"{epoch}:" if epoch is not None else ""
    full = f"{prefix}{version}-{release}" if release else f"{prefix}{version}"
    src_name, src_version = name, full
    m = _SRPM.match(str(tags.get(TAG_SOURCERPM, "")))
    if m:
        # SOURCERPM carries no epoch; advisories compare with the binary's (as Trivy does).
        src_name, src_version = m["name"], f"{prefix}{m['version']}-{m['release']}"
    licenses = (str(tags[TAG_LICENSE]),) if tags.get(TAG_LICENSE) else ()
    return Package("rpm", name, full, src_name, src_version, str(tags.get(TAG_ARCH, "")), path,
                   licenses)


def parse_sqlite(db: bytes, wal: bytes | None, path: str,
                 files: list[str] | None = None) -> Iterator[Package]:
    """Packages of an rpmdb.sqlite given as bytes (plus its ``-wal`` file when captured);
    the paths the distribution's own packages install are appended to ``files`` when it is
    given."""
    if not db.startswith(b"SQLite format 3\0"):
        raise ParseError("not an SQLite database", path)
    with tempfile.TemporaryDirectory(prefix="ctrsec-rpmdb-") as tmp:
        copy = Path(tmp) / "rpmdb.sqlite"
        copy.write_bytes(db)
        if wal:
            (Path(tmp) / "rpmdb.sqlite-wal").write_bytes(wal)
        try:
            conn = sqlite3.connect(copy)
            try:
                blobs = [row[0] for row in conn.execute("SELECT blob FROM Packages")]
            finally:
                conn.close()
        except sqlite3.Error as err:
            raise ParseError(f"cannot read the rpm database: {err}", path) from None
    yield from _packages([bytes(b) for b in blobs], path, files)


def parse_bdb(db: bytes, path: str, files: list[str] | None = None) -> Iterator[Package]:
    """Packages of a Berkeley DB ``Packages`` given as bytes (``files`` as for
    :func:`parse_sqlite`). Values too short to be a header are rpm's own counters."""
    yield from _packages([v for v in bdb.values(db, path) if len(v) >= 16], path, files)


def _packages(blobs: list[bytes], path: str, files: list[str] | None) -> Iterator[Package]:
    for blob in blobs:
        tags = header_tags(blob, path)
        if files is not None and from_distribution(tags):
            files.extend(file_names(blob))
        pkg = package_from(tags, path)
        if pkg is not None:
            yield pkg
