"""The bytes of files of an image, read on demand from its source (the user API's
``file(path).content`` for files the layer pass did not keep). Only the layers that hold the
files are read, several files in one pass, and nothing is written to disk."""

from __future__ import annotations

from collections.abc import Mapping, Set

from ...errors import InputError
from .archive import JSON_LIMIT, open_archive, parse_manifest
from .enginestream import save_stream
from .layers import normalise
from .oci import OciLayout
from .source import ARCHIVE, ENGINE, OCI, ImageSource
from .streams import ChunkSource, FileWindow, Prepend, Source, decompressed, sniff
from .tarreader import MemberData, TarReader

READ_LIMIT = 64 << 20

Wants = Mapping[int, Set[str]]  # layer number -> real paths wanted from it


def find_members(src: Source, label: str, paths: Set[str],
                 limit: int = READ_LIMIT) -> dict[str, bytes]:
    """The data of the regular files ``paths`` found in one layer stream."""
    head = src.read(512)
    reader = TarReader(decompressed(src, head, label), label)
    found: dict[str, bytes] = {}
    for m in reader:
        if m.kind != "file":
            continue
        path = normalise(m.name, label)
        if path in paths:
            if m.size > limit:
                raise InputError(f"/{path} is {m.size} bytes, over the {limit}-byte read limit",
                                 label)
            found[path] = reader.read_data(m.size)
            if len(found) == len(paths):
                break
    return found


def read_files(source: ImageSource, wants: Wants) -> dict[tuple[int, str], bytes]:
    """``{(layer, path): bytes}`` for the wanted files that exist."""
    if source.kind == OCI:
        return _from_layout(source, wants)
    if source.kind == ARCHIVE:
        return _from_archive(source, wants)
    if source.kind == ENGINE:
        return _from_stream(ChunkSource(save_stream(source.location)), source.ref, wants, None)
    raise InputError(f"unknown image source kind {source.kind!r}", source.ref)


def read_file(source: ImageSource, layer: int, path: str) -> bytes | None:
    """One file: ``path`` (a real path, hardlinks followed) from layer number ``layer``."""
    return read_files(source, {layer: {path}}).get((layer, path))


def _from_layout(source: ImageSource, wants: Wants) -> dict[tuple[int, str], bytes]:
    layout = OciLayout(source.location, source.location, source.name)
    out: dict[tuple[int, str], bytes] = {}
    for layer, paths in wants.items():
        with open(layout.blob_path(layout.layers[layer]), "rb") as fh:
            hits = find_members(FileWindow(fh, 0, fh.seek(0, 2)), source.location, paths)
        out.update(((layer, p), data) for p, data in hits.items())
    return out


def _from_archive(source: ImageSource, wants: Wants) -> dict[tuple[int, str], bytes]:
    archive, fh = open_archive(source.location, source.location, source.name)
    with fh:
        if archive is None:  # compressed: stream it
            src = FileWindow(fh, 0, fh.seek(0, 2))
            return _from_stream(decompressed(src, src.read(512), source.location),
                                source.location, wants, source.name)
        out: dict[tuple[int, str], bytes] = {}
        for layer, paths in wants.items():
            member = archive.resolve(archive.item.layers[layer])
            hits = find_members(FileWindow(fh, member.offset, member.size), source.location,
                                paths)
            out.update(((layer, p), data) for p, data in hits.items())
        return out


def _from_stream(src: Source, label: str, wants: Wants,
                 want_tag: str | None) -> dict[tuple[int, str], bytes]:
    """In a streamed archive the manifest comes last: look for every wanted path in every
    layer, and keep the hits of the right layers once the manifest says which is which."""
    every = set().union(*wants.values()) if wants else set()
    outer = TarReader(src, label)
    hits: dict[str, dict[str, bytes]] = {}
    manifest = None
    links: dict[str, str] = {}
    for m in outer:
        name = normalise(m.name, label)
        if m.kind == "symlink":
            links[name] = normalise(f"{name.rsplit('/', 1)[0]}/{m.linkname}", label)
        if m.kind != "file":
            continue
        head = outer.read_data(512)
        if name == "manifest.json" and m.size <= JSON_LIMIT:
            manifest = head + outer.read_data(m.size)
        elif sniff(head) in ("tar", "gzip", "zstd"):
            hits[name] = find_members(Prepend(head, MemberData(outer)), label, every)
    if manifest is None:
        raise InputError("no manifest.json in the image stream", label)
    layers = parse_manifest(manifest, label, want_tag).layers
    out: dict[tuple[int, str], bytes] = {}
    for layer, paths in wants.items():
        name = normalise(layers[layer], label)
        found = hits.get(links.get(name, name), {})
        out.update(((layer, p), found[p]) for p in paths if p in found)
    return out
