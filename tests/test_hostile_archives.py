"""Hostile image archives, read through ``docker-archive:`` as a user would (seekable tar and
gzip-compressed stream): member names with ``..`` and absolute paths, hardlinks to members
that do not exist, symlink cycles inside a layer and in the archive itself, and gzip and
zstd bombs.

The bounds the reader enforces: a member name that leaves the root is a ``ParseError``
(``layers.normalise``); an absolute name lands inside the image root; a hardlink to nothing
is kept as an empty file (never a read of anything else); symlinks are followed at most
``fsindex.MAX_SYMLINK_HOPS`` (40) times inside a layer and 8 times between archive members;
a layer may expand at most ``streams.MAX_EXPANSION`` (1000) times its compressed size past
``streams.EXPANSION_FLOOR`` (1 GiB), and is streamed in steps of 256 KiB, so neither its
memory nor its time grows beyond the input it was given. Nothing is ever extracted.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import tracemalloc
from pathlib import Path

import pytest
from archive_maker import M, config_for, docker_archive, layer

from pytest_ctrsec.errors import InputError, ParseError, SchemaError
from pytest_ctrsec.targets.image import open_image
from pytest_ctrsec.targets.image.fsindex import MAX_SYMLINK_HOPS, FileIndex
from pytest_ctrsec.targets.image.streams import EXPANSION_FLOOR, MAX_EXPANSION

MB = 1 << 20


def _open(tmp: Path, raw: bytes, compressed: bool) -> FileIndex:
    """The merged filesystem of an archive, checking that nothing was written beside it."""
    path = tmp / ("image.tar.gz" if compressed else "image.tar")
    path.write_bytes(gzip.compress(raw, compresslevel=1, mtime=0) if compressed else raw)
    before = sorted(os.listdir(tmp))
    try:
        return open_image(f"docker-archive:{path}").fs
    finally:
        assert sorted(os.listdir(tmp)) == before


def _outer(members: list[tuple[str, bytes | tuple[str, str]]], manifest: object) -> bytes:
    """A docker-save tar of our own making: files, ``("symlink"|"hardlink", target)``
    entries, and ``manifest.json`` last."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, body in [*members, ("manifest.json", json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            if isinstance(body, tuple):
                info.type = tarfile.SYMTYPE if body[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = body[1]
                tar.addfile(info)
            else:
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


BOTH = pytest.mark.parametrize("compressed", [False, True], ids=["seekable", "streamed"])


@BOTH
@pytest.mark.parametrize("name", ["../etc/passwd", "a/../../etc/passwd", "./../x", "..",
                                  "a/b/../../../x"])
def test_member_names_climbing_out_are_rejected(tmp_path: Path, compressed: bool,
                                               name: str) -> None:
    with pytest.raises(ParseError, match="points outside the image root") as err:
        _open(tmp_path, docker_archive([layer([M(name, data=b"x")])]), compressed)
    assert "layer" in str(err.value) and "\n" not in str(err.value)


@BOTH
def test_absolute_names_land_inside_the_root(tmp_path: Path, compressed: bool) -> None:
    fs = _open(tmp_path, docker_archive([layer([M("/etc/passwd", data=b"root:x:0:0::/:/x\n"),
                                                M("//usr///bin/../lib", "dir")])]), compressed)
    assert [p for p, _ in fs] == ["etc", "etc/passwd", "usr", "usr/lib"]
    assert fs.data("etc/passwd") == b"root:x:0:0::/:/x\n"  # the image's, not the host's


@BOTH
@pytest.mark.parametrize("member, config", [("../../etc/hostname", "../../etc/hostname"),
                                            ("config.json", "/etc/hostname")])
def test_archive_members_named_outside_are_not_read(tmp_path: Path, compressed: bool,
                                                    member: str, config: str) -> None:
    """The manifest naming a config by ``..`` or an absolute path reads no host file."""
    raw = _outer([(member, b"{}")], [{"Config": config, "Layers": []}])
    with pytest.raises(InputError) as err:
        _open(tmp_path, raw, compressed)
    assert "outside the image root" in str(err.value) or "no " in str(err.value)


@BOTH
def test_hardlinks_to_missing_members(tmp_path: Path, compressed: bool) -> None:
    """In a layer: an empty file that names its target (the engine would refuse the layer;
    nothing else is read). A link forward to a later member is missing too."""
    fs = _open(tmp_path, docker_archive([layer([M("h", "hardlink", link="nowhere"),
                                                M("f", "hardlink", link="later"),
                                                M("later", data=b"secret")])]), compressed)
    for name, target in (("h", "nowhere"), ("f", "later")):
        entry = fs.lstat(name)
        assert entry is not None and entry.is_file and entry.size == 0
        assert entry.linkname == target and entry.data is None


@BOTH
def test_a_config_hardlinked_to_a_missing_member(tmp_path: Path, compressed: bool) -> None:
    raw = _outer([("config.json", ("hardlink", "missing.json"))],
                 [{"Config": "config.json", "Layers": []}])
    with pytest.raises(SchemaError, match="no (member|config)"):
        _open(tmp_path, raw, compressed)


@BOTH
def test_symlink_cycles_in_a_layer(tmp_path: Path, compressed: bool) -> None:
    fs = _open(tmp_path, docker_archive([layer([
        M("a", "symlink", link="b"), M("b", "symlink", link="/a"),
        M("self", "symlink", link="self/x"), M("d", "dir"), M("d/up", "symlink", link="."),
        M("d/f", data=b"x")])]), compressed)
    for path in ("a", "b", "self", "a/x", "self/x/y"):
        assert fs.stat(path) is None
    assert fs.lstat("a").is_symlink  # type: ignore[union-attr]
    assert fs.realpath("/".join(["d"] + ["up"] * (MAX_SYMLINK_HOPS - 1) + ["f"])) == "d/f"
    assert fs.stat("/".join(["d"] + ["up"] * (MAX_SYMLINK_HOPS + 1) + ["f"])) is None
    assert [p for p, _ in fs.glob("**")]  # walking does not follow links, so it ends


@BOTH
def test_symlink_cycles_between_archive_members(tmp_path: Path, compressed: bool) -> None:
    raw = _outer([("a.json", ("symlink", "b.json")), ("b.json", ("symlink", "a.json"))],
                 [{"Config": "a.json", "Layers": []}])
    with pytest.raises(SchemaError, match="link loop|no config"):
        _open(tmp_path, raw, compressed)


def _bomb_layer(kind: str) -> bytes:
    """A tar whose one member holds 1.25 GiB of zeros, compressed to about 1.3 MB: copies of
    one compressed 64 MiB block (gzip members or zstd frames) after the tar header."""
    size = 20 * (64 * MB)
    info = tarfile.TarInfo("zeros")
    info.size = size
    head = info.tobuf(tarfile.PAX_FORMAT)
    if kind == "gzip":
        return gzip.compress(head, mtime=0) + gzip.compress(bytes(64 * MB), 9, mtime=0) * 20
    zstandard = pytest.importorskip("zstandard")  # in the test extras: present in CI
    comp = zstandard.ZstdCompressor(level=19)
    return comp.compress(head) + comp.compress(bytes(64 * MB)) * 20


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_a_decompression_bomb_layer_hits_the_expansion_cap(tmp_path: Path, kind: str) -> None:
    bomb = _bomb_layer(kind)
    assert 20 * 64 * MB > EXPANSION_FLOOR and len(bomb) * MAX_EXPANSION < 20 * 64 * MB
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match=f"expands more than {MAX_EXPANSION}-fold"):
            _open(tmp_path, docker_archive([bomb], config=config_for([bomb])), False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB  # streamed in steps: the zeros were never held


def test_a_compressed_layer_below_the_cap_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """64 MiB of zeros in one member (1000-fold, below the floor): read, never held."""
    info = tarfile.TarInfo("zeros")
    info.size = 64 * MB
    packed = gzip.compress(info.tobuf(tarfile.PAX_FORMAT) + bytes(64 * MB) + bytes(1024), 9,
                           mtime=0)
    tracemalloc.start()
    try:
        fs = _open(tmp_path, docker_archive([packed], config=config_for([packed])), False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert fs.lstat("zeros").size == 64 * MB  # type: ignore[union-attr]
    assert peak < 16 * MB
