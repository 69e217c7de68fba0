"""RPM packages from an ``rpmdb.sqlite`` (RHEL/UBI 9+, Fedora 33+, Amazon Linux 2023), read
with the standard library's sqlite3 from a private copy of the captured bytes.

The older Berkeley DB ``Packages`` and ndb ``Packages.db`` formats are recognised but not
read: they are reported as problems so that a scan says what it did not cover.
"""

from __future__ import annotations

import re
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ParseError
from .model import Package

DIRS = r"(?:var/lib/rpm|usr/lib/sysimage/rpm|usr/share/rpm)"
SQLITE = re.compile(DIRS + r"/rpmdb\.sqlite")
LEGACY = re.compile(DIRS + r"/(?:Packages|Packages\.db)")

TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH = 1000, 1001, 1002, 1003
TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM = 1014, 1022, 1044
WANTED = {TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH, TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM}
TYPE_INT32, TYPE_STRING, TYPE_I18NSTRING = 4, 6, 9
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


def parse_sqlite(db: bytes, wal: bytes | None, path: str) -> Iterator[Package]:
    """Packages of an rpmdb.sqlite given as bytes (plus its ``-wal`` file when captured)."""
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
    for blob in blobs:
        pkg = package_from(header_tags(bytes(blob), path), path)
        if pkg is not None:
            yield pkg
