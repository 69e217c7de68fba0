"""The bytes of one file of an image, read on demand from its source (the user API's
``file(path).content`` for files the layer pass did not keep). Only the layer that holds
the file is read, and nothing is written to disk."""

from __future__ import annotations

from ...errors import InputError
from .archive import JSON_LIMIT, open_archive, parse_manifest
from .enginestream import save_stream
from .layers import normalise
from .oci import OciLayout
from .source import ARCHIVE, ENGINE, OCI, ImageSource
from .streams import ChunkSource, FileWindow, Prepend, Source, decompressed, sniff
from .tarreader import MemberData, TarReader

READ_LIMIT = 64 << 20


def find_member(src: Source, label: str, path: str, limit: int = READ_LIMIT) -> bytes | None:
    """The data of regular file ``path`` in one layer stream, or ``None``."""
    head = src.read(512)
    reader = TarReader(decompressed(src, head, label), label)
    for m in reader:
        if m.kind == "file" and normalise(m.name, label) == path:
            if m.size > limit:
                raise InputError(f"/{path} is {m.size} bytes, over the {limit}-byte read limit",
                                 label)
            return reader.read_data(m.size)
    return None


def read_file(source: ImageSource, layer: int, path: str) -> bytes | None:
    """``path`` (a real path inside the image, hardlinks already followed) from layer
    number ``layer`` of ``source``."""
    if source.kind == OCI:
        layout = OciLayout(source.location, source.location, source.name)
        blob = layout.blob_path(layout.layers[layer])
        with open(blob, "rb") as blob_fh:
            return find_member(FileWindow(blob_fh, 0, blob_fh.seek(0, 2)), source.location,
                               path)
    if source.kind == ARCHIVE:
        archive, fh = open_archive(source.location, source.location, source.name)
        with fh:
            if archive is not None:
                member = archive.resolve(archive.item.layers[layer])
                return find_member(FileWindow(fh, member.offset, member.size),
                                   source.location, path)
            src = FileWindow(fh, 0, fh.seek(0, 2))
            return _from_stream(decompressed(src, src.read(512), source.location),
                                source.location, layer, path, source.name)
    if source.kind == ENGINE:
        return _from_stream(ChunkSource(save_stream(source.location)), source.ref, layer, path,
                            None)
    raise InputError(f"unknown image source kind {source.kind!r}", source.ref)


def _from_stream(src: Source, label: str, layer: int, path: str, want: str | None) -> bytes | None:
    """In a streamed archive the manifest comes last: look in every layer, keep the hits,
    and pick the one of layer ``layer`` at the end."""
    outer = TarReader(src, label)
    hits: dict[str, bytes | None] = {}
    manifest = None
    links: dict[str, str] = {}
    for m in outer:
        name = normalise(m.name, label)
        if m.kind == "symlink":
            links[name] = normalise(f"{name.rsplit('/', 1)[0]}/{m.linkname}", label)
        if m.kind != "file":
            continue
        head = outer.read_data(512)
        kind = sniff(head)
        if name == "manifest.json" and m.size <= JSON_LIMIT:
            manifest = head + outer.read_data(m.size)
        elif kind in ("tar", "gzip", "zstd"):
            hits[name] = find_member(Prepend(head, MemberData(outer)), label, path)
    if manifest is None:
        raise InputError("no manifest.json in the image stream", label)
    wanted = normalise(parse_manifest(manifest, label, want).layers[layer], label)
    return hits.get(links.get(wanted, wanted))
