"""Summarise one layer tar in one pass, and apply summaries to the merged index.

A summary keeps, per entry, only its header facts, plus the bytes of the few small files
the checks and the package inventory read (:data:`CAPTURE`), plus which small files hold
secret-shaped content (scanned while streaming, never stored). Member paths are normalised
the way the engine does when it applies a layer: a leading ``/`` or ``./`` is dropped and
``a/../b`` is folded; a path that climbs out of the root is an error, not a write.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from ...errors import ParseError
from .fsindex import Entry, FileIndex
from .secretscan import scan_content
from .streams import Source, decompressed
from .tarreader import TarReader

_UNUSUAL = re.compile(r"^[./]|/$|//|/\.\.?(?:/|$)")
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"

# Files whose bytes are kept: accounts, OS identity and package databases (the inventory).
CAPTURE = re.compile(
    r"(?:etc/(?:passwd|shadow|group|gshadow|master\.passwd|os-release|debian_version"
    r"|alpine-release|lsb-release|redhat-release|system-release|centos-release"
    r"|fedora-release)"
    r"|usr/lib/os-release"
    r"|var/lib/dpkg/status|var/lib/dpkg/status\.d/[^/]+|var/lib/dpkg/info/[^/]+\.list"
    r"|(?:usr/)?lib/apk/db/installed"
    r"|(?:var/lib/rpm|usr/lib/sysimage/rpm|usr/share/rpm)"
    r"/(?:rpmdb\.sqlite(?:-wal)?|Packages|Packages\.db)"
    r"|.*\.dist-info/METADATA|.*\.egg-info(?:/PKG-INFO)?|.*\.egg/EGG-INFO/PKG-INFO"
    r"|(?:.*/)?node_modules/(?:@[^/]+/)?[^/]+/package\.json)")
CAPTURE_LIMIT = 32 << 20  # per file: package databases of large distributions fit
SCAN_LIMIT_DEFAULT = 64 << 10  # files up to this size are scanned for secret content
ANALYSIS_VERSION = "4"  # bump when what a summary holds changes (invalidates the cache)


@dataclass
class LayerSummary:
    """What one layer changes."""

    entries: list[tuple[str, Entry]] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)


def normalise(name: str, label: str) -> str:
    """A member name as a relative path inside the root (``""`` for the root itself)."""
    if name and not _UNUSUAL.search(name):
        return name  # already a clean relative path: the common case
    path = posixpath.normpath(name.lstrip("/") or ".")
    if path == ".":
        return ""
    if path == ".." or path.startswith("../"):
        raise ParseError(f"member {name!r} points outside the image root", label)
    return path


def summarise(src: Source, label: str, layer: int,
              scan_limit: int = SCAN_LIMIT_DEFAULT) -> LayerSummary:
    """Read one (possibly compressed) layer tar from ``src``."""
    head = src.read(512)
    reader = TarReader(decompressed(src, head, label), label)
    out = LayerSummary()
    files: dict[str, Entry] = {}  # this layer's regular files, for its hardlinks
    for m in reader:
        path = normalise(m.name, label)
        base = posixpath.basename(path)
        if base.startswith(WHITEOUT):
            parent = posixpath.dirname(path)
            if base == OPAQUE:
                out.opaque.append(parent)
            elif not base.startswith(WHITEOUT + WHITEOUT):
                out.whiteouts.append(posixpath.join(parent, base[len(WHITEOUT):]))
            continue
        if m.kind == "hardlink":
            entry = _hardlink(m.linkname, m.mode, m.uid, m.gid, m.mtime, files, layer, label)
        else:
            data = hits = None
            if m.kind == "file" and m.size <= CAPTURE_LIMIT and CAPTURE.fullmatch(path):
                data = reader.read_data(m.size)
            if m.kind == "file" and m.size <= scan_limit:
                body = data if data is not None else reader.read_data(m.size)
                hits = scan_content(body, base)
            entry = Entry(m.kind, m.mode, m.uid, m.gid, m.size,
                          m.linkname if m.kind == "symlink" else "", m.mtime, layer, data,
                          hits or ())
            if m.kind == "file":
                files[path] = entry
        if path:
            out.entries.append((path, entry))
    return out


def _hardlink(linkname: str, mode: int, uid: int, gid: int, mtime: int,
              files: dict[str, Entry], layer: int, label: str) -> Entry:
    """A hardlink becomes a regular file with its target's size, data and scan results."""
    target = normalise(linkname, label)
    base = files.get(target)
    if base is None:
        # The engine rejects a link to nothing in the same layer; keep it as an empty file
        # rather than guess.
        return Entry("file", mode, uid, gid, 0, target, mtime, layer)
    return base._replace(linkname=target, mode=mode, uid=uid, gid=gid)


def apply(index: FileIndex, summary: LayerSummary) -> None:
    """Apply one layer over the lower ones already in ``index``."""
    for path in summary.opaque:
        index.make_opaque(path)
    for path in summary.whiteouts:
        index.remove(path)
    for path, entry in summary.entries:
        index.add(path, entry)
