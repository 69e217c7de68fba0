"""``docker save`` archives: a file (seekable: the member list is read first, then each
layer in manifest order) or a stream (the engine, or a compressed file: every layer is
summarised as it passes, and merged once ``manifest.json`` arrives at the end).

Both the legacy layout (``<id>/layer.tar``, Engine <= 24) and the OCI-style one
(``blobs/sha256/...``, Engine >= 25, possibly gzip layers) are read; layers are recognised by
their first bytes, since in a stream the manifest that names them comes last.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any, BinaryIO

from ...errors import ParseError, SchemaError
from .fsindex import FileIndex
from .layers import LayerSummary, apply, normalise, summarise
from .streams import FileWindow, Prepend, Source, sniff
from .tarreader import MemberData, TarReader

JSON_LIMIT = 16 << 20  # manifests and configs; larger JSON members are not metadata


@dataclass(frozen=True)
class ManifestItem:
    config: str
    layers: tuple[str, ...]
    repo_tags: tuple[str, ...]


def parse_manifest(raw: bytes, label: str, want: str | None = None) -> ManifestItem:
    """The image of ``manifest.json`` to read: the one tagged ``want``, else the only one."""
    try:
        doc = json.loads(raw)
    except ValueError as err:
        raise SchemaError(f"manifest.json is not JSON: {err}", label) from None
    if not isinstance(doc, list) or not doc or not all(isinstance(d, dict) for d in doc):
        raise SchemaError("manifest.json does not list any image", label)
    items = [ManifestItem(str(d.get("Config") or ""), tuple(str(x) for x in d.get("Layers") or ()),
                          tuple(str(t) for t in d.get("RepoTags") or ())) for d in doc]
    if want is not None:
        chosen = [i for i in items if want in i.repo_tags]
        if not chosen:
            raise SchemaError(f"the archive holds no image tagged {want!r}", label)
        return chosen[0]
    if len(items) > 1:
        tags = ", ".join(t for i in items for t in i.repo_tags) or "untagged"
        raise SchemaError(f"the archive holds {len(items)} images ({tags}); name one as "
                          "docker-archive:PATH:TAG", label)
    if not items[0].config:
        raise SchemaError("manifest.json names no Config", label)
    return items[0]


@dataclass
class ScanResult:
    """What a full pass yields: the config bytes, the merged index and the repo tags."""

    config: bytes
    index: FileIndex
    repo_tags: tuple[str, ...]


@dataclass(frozen=True)
class _Member:
    offset: int
    size: int
    kind: str
    linkname: str


class SeekableArchive:
    """A plain-tar ``docker save`` file; :meth:`meta` is cheap, :meth:`scan` reads layers."""

    def __init__(self, fh: BinaryIO, size: int, label: str, want: str | None = None) -> None:
        self._fh = fh
        self._label = label
        self._members = self._list(size)
        self.item = parse_manifest(self._read("manifest.json"), label, want)
        self.config = self._read(self.item.config)

    def _list(self, size: int) -> dict[str, _Member]:
        window = FileWindow(self._fh, 0, size)
        reader = TarReader(window, self._label)
        out: dict[str, _Member] = {}
        for m in reader:
            out[normalise(m.name, self._label)] = _Member(window.tell(), m.stored, m.kind,
                                                          m.linkname)
        return out

    def resolve(self, name: str) -> _Member:
        path = normalise(name, self._label)
        for _ in range(8):
            member = self._members.get(path)
            if member is None:
                raise SchemaError(f"the archive has no member {name!r}", self._label)
            if member.kind == "file":
                return member
            base = posixpath.dirname(path) if member.kind == "symlink" else ""
            path = normalise(posixpath.join(base, member.linkname), self._label)
        raise SchemaError(f"member {name!r} is a link loop", self._label)

    def _read(self, name: str) -> bytes:
        member = self.resolve(name)
        if member.size > JSON_LIMIT:
            raise SchemaError(f"member {name!r} is too large for metadata", self._label)
        return FileWindow(self._fh, member.offset, member.size).read(member.size)

    def scan(self, scan_limit: int) -> ScanResult:
        index = FileIndex()
        for number, name in enumerate(self.item.layers):
            member = self.resolve(name)
            label = f"{self._label}: layer {name}"
            apply(index, summarise(FileWindow(self._fh, member.offset, member.size), label,
                                   number, scan_limit))
        return ScanResult(self.config, index, self.item.repo_tags)


def scan_stream(src: Source, label: str, scan_limit: int, want: str | None = None) -> ScanResult:
    """One pass over a streamed ``docker save`` archive."""
    outer = TarReader(src, label)
    summaries: dict[str, LayerSummary] = {}
    jsons: dict[str, bytes] = {}
    links: dict[str, str] = {}
    bad: dict[str, str] = {}
    for m in outer:
        path = normalise(m.name, label)
        if m.kind in ("symlink", "hardlink"):
            base = posixpath.dirname(path) if m.kind == "symlink" else ""
            links[path] = normalise(posixpath.join(base, m.linkname), label)
            continue
        if m.kind != "file":
            continue
        head = outer.read_data(512)
        kind = sniff(head)
        if kind == "json" and m.size <= JSON_LIMIT:
            jsons[path] = head + outer.read_data(m.size)
        elif kind in ("tar", "gzip", "zstd"):
            data = Prepend(head, MemberData(outer))
            summaries[path] = summarise(data, f"{label}: layer {path}", len(summaries),
                                        scan_limit)
        else:
            bad[path] = kind
    if "manifest.json" not in jsons:
        raise SchemaError("no manifest.json: not a docker save archive", label)
    item = parse_manifest(jsons["manifest.json"], label, want)
    config = jsons.get(_follow(normalise(item.config, label), links))
    if config is None:
        raise SchemaError(f"the archive has no config {item.config!r}", label)
    index = FileIndex()
    for number, name in enumerate(item.layers):
        key = _follow(normalise(name, label), links)
        summary = summaries.get(key)
        if summary is None:
            what = "is not a tar archive" if key in bad else "is missing"
            raise ParseError(f"layer {name} {what}", label)
        _renumber(summary, number)
        apply(index, summary)
    return ScanResult(config, index, item.repo_tags)


def _follow(path: str, links: dict[str, str]) -> str:
    for _ in range(8):
        if path not in links:
            return path
        path = links[path]
    return path


def _renumber(summary: LayerSummary, number: int) -> None:
    """Layers are summarised in archive order; their position comes from the manifest."""
    summary.entries = [(p, e._replace(layer=number)) for p, e in summary.entries]


def open_archive(path: str, label: str, want: str | None) -> tuple[Any, BinaryIO]:
    """A :class:`SeekableArchive` for a plain tar, else ``None`` (a compressed file goes
    through :func:`scan_stream`), with the open file."""
    fh = open(path, "rb")
    head = fh.read(512)
    fh.seek(0)
    if sniff(head) in ("gzip", "zstd"):
        return None, fh
    size = fh.seek(0, 2)
    fh.seek(0)
    return SeekableArchive(fh, size, label, want), fh
