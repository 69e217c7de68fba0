"""Finding OSV data under ``--ctrsec-vulndb`` and fingerprinting it by content.

A path is a directory (searched recursively, so osv.dev's ``<ECOSYSTEM>/all.zip`` layout and
osv-scanner's ``osv-scanner/<ECOSYSTEM>/all.zip`` both work), a single ``.zip`` or a single
``.json`` record. Every zip is one dump; loose JSON files under a directory form one dump
together. Content hashes are remembered per (path, size, mtime) in the cache folder so an
unchanged dump is not read again to learn that it is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..limits import MiB, TooLarge, read_capped

HASH_MEMO = "hashes.json"
MAX_RECORD_BYTES = 64 * MiB  # osv.dev records are kilobytes; a loose file may list many
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Dump:
    """One indexable unit: a zip, or the loose JSON files of a directory."""

    label: str  # what messages show: the zip's path, or "<dir>/*.json"
    files: tuple[Path, ...]
    is_zip: bool


def discover(path: str) -> list[Dump]:
    """The dumps under ``path``; a missing path or one without OSV data is a ConfigError."""
    root = Path(path)
    if not root.exists():
        raise ConfigError(f"--ctrsec-vulndb: {path}: no such file or directory")
    if root.is_file():
        if root.suffix.lower() not in (".zip", ".json"):
            raise ConfigError(f"--ctrsec-vulndb: {path}: expected a directory, a .zip or a .json")
        return [Dump(str(root), (root,), root.suffix.lower() == ".zip")]
    zips, loose = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            lower = name.lower()
            if not os.path.isfile(os.path.join(dirpath, name)):
                continue  # a device, FIFO or dangling link: hashing /dev/zero never ends
            if lower.endswith(".zip"):
                zips.append(Path(dirpath) / name)
            elif lower.endswith(".json"):
                loose.append(Path(dirpath) / name)
    dumps = [Dump(str(z), (z,), True) for z in zips]
    if loose:
        dumps.append(Dump(f"{root}/**/*.json", tuple(loose), False))
    if not dumps:
        raise ConfigError(f"--ctrsec-vulndb: {path}: no OSV dumps (*.zip) or records (*.json) "
                          "found")
    return dumps


class HashMemo:
    """sha256 of files, remembered by (size, mtime_ns) in ``<cache>/hashes.json``."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / HASH_MEMO
        try:
            self.known: dict[str, list[object]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def sha256(self, file: Path) -> str:
        st = file.stat()
        key = str(file.resolve())
        entry = self.known.get(key)
        if entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
            return str(entry[2])
        digest = hashlib.sha256()
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
        self.known[key] = [st.st_size, st.st_mtime_ns, digest.hexdigest()]
        self.changed = True
        return digest.hexdigest()

    def save(self) -> None:
        if not self.changed:
            return
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(self.known))
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a read-only cache only costs re-hashing next time


def fingerprint(dump: Dump, memo: HashMemo) -> str:
    """A content hash of the dump (of every file, with its relative name, for loose JSON)."""
    if dump.is_zip:
        return memo.sha256(dump.files[0])
    digest = hashlib.sha256()
    base = os.path.commonpath([str(f) for f in dump.files]) if len(dump.files) > 1 else ""
    for f in dump.files:
        digest.update(f"{os.path.relpath(f, base) if base else f.name}\0{memo.sha256(f)}\n".encode())
    return digest.hexdigest()


def records(dump: Dump) -> Iterator[tuple[str, bytes]]:
    """``(member or file name, raw JSON)`` of every record file in the dump."""
    if not dump.is_zip:
        for f in dump.files:
            try:
                yield str(f), read_capped(f, MAX_RECORD_BYTES)
            except TooLarge as err:
                raise ConfigError(f"--ctrsec-vulndb: {f}: {err}; not OSV records") from None
        return
    import zipfile

    try:
        with zipfile.ZipFile(dump.files[0]) as zf:
            for info in zf.infolist():
                if info.filename.lower().endswith(".json") and not info.is_dir():
                    yield info.filename, _member(zf, info, dump.label)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
        raise ConfigError(f"--ctrsec-vulndb: {dump.label}: not a readable zip ({err})") from None


def _member(zf: Any, info: Any, label: str) -> bytes:
    """One record file of a zip; its declared size is checked first (the zip module never
    inflates a member past it, so a zip bomb stops at the cap)."""
    if info.file_size > MAX_RECORD_BYTES:
        raise ConfigError(f"--ctrsec-vulndb: {label}: {info.filename[:80]} is larger than "
                          f"{MAX_RECORD_BYTES // MiB} MiB; not an OSV record")
    return bytes(zf.read(info))
