"""The layer reader without an engine: the tar reader against the stdlib ``tarfile`` as an
oracle, the layer-merge rules, look-ups, the cache, and hostile archives."""

from __future__ import annotations

import io
import os
import random
import tarfile
from pathlib import Path

import pytest
from archive_maker import M, config_for, docker_archive, layer

from pytest_ctrsec.errors import InputError, ParseError
from pytest_ctrsec.targets.image import LoadSettings, open_image
from pytest_ctrsec.targets.image.fsindex import Entry, FileIndex
from pytest_ctrsec.targets.image.streams import ChunkSource, FileWindow
from pytest_ctrsec.targets.image.tarreader import TarReader


def _oracle(raw: bytes) -> list[tuple[object, ...]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar:
            kind = ("dir" if m.isdir() else "symlink" if m.issym() else "hardlink" if m.islnk()
                    else "file")
            out.append((m.name, kind, m.mode, m.uid, m.gid, m.size if kind == "file" else 0,
                        m.linkname))
    return out


def _ours(raw: bytes, chunked: bool) -> list[tuple[object, ...]]:
    src = ChunkSource(raw[i:i + 777] for i in range(0, len(raw), 777)) if chunked else \
        FileWindow(io.BytesIO(raw), 0, len(raw))
    return [(m.name.rstrip("/"), m.kind, m.mode, m.uid, m.gid, m.size, m.linkname)
            for m in TarReader(src, "t")]


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
@pytest.mark.parametrize("chunked", [False, True])
def test_tar_reader_agrees_with_tarfile(fmt: int, chunked: bool) -> None:
    long_dir = "/".join(["d" * 40] * 3)
    members = [M("a", "dir", mode=0o755), M("a/f", data=b"x" * 1000, mode=0o4755),
               M(f"{long_dir}/file", data=b"y" * 513), M("a/s", "symlink", link="f"),
               M("a/h", "hardlink", link="a/f"), M("a/empty")]
    if fmt != tarfile.USTAR_FORMAT:
        members += [M("l" * 150, data=b"z"), M("a/longlink", "symlink", link="t" * 120),
                    M("a/bigids", uid=3_000_000, gid=9_000_000)]
    raw = layer(members, fmt)
    assert _ours(raw, chunked) == _oracle(raw)


def test_whiteouts_apply_to_lower_layers_only() -> None:
    index = FileIndex()
    lower = [("d", Entry("dir", 0o755, 0, 0, 0)), ("d/old", Entry("file", 0o644, 0, 0, 1)),
             ("o", Entry("dir", 0o755, 0, 0, 0)), ("o/x", Entry("file", 0o644, 0, 0, 1)),
             ("keepdir", Entry("dir", 0o700, 0, 0, 0)),
             ("keepdir/c", Entry("file", 0o644, 0, 0, 1))]
    for p, e in lower:
        index.add(p, e)
    index.remove("d")  # .wh.d in the upper layer ...
    index.add("d", Entry("dir", 0o755, 0, 0, 0))  # ... and d recreated in the same layer
    index.make_opaque("o")
    index.add("o/y", Entry("file", 0o644, 0, 0, 1))
    index.add("keepdir", Entry("dir", 0o755, 5, 5, 0))  # dir over dir: attributes only
    paths = [p for p, _ in index]
    assert paths == ["d", "keepdir", "keepdir/c", "o", "o/y"]
    assert index.lstat("keepdir").uid == 5
    index.add("keepdir", Entry("file", 0o644, 0, 0, 1))  # a file over a dir drops its subtree
    assert index.lstat("keepdir/c") is None


def test_symlink_resolution_is_confined_and_bounded() -> None:
    index = FileIndex()
    index.add("etc", Entry("dir", 0o755, 0, 0, 0))
    index.add("etc/passwd", Entry("file", 0o644, 0, 0, 3, data=b"abc"))
    index.add("up", Entry("symlink", 0o777, 0, 0, 0, "../../../../etc"))
    index.add("loop1", Entry("symlink", 0o777, 0, 0, 0, "loop2"))
    index.add("loop2", Entry("symlink", 0o777, 0, 0, 0, "/loop1"))
    assert index.data("up/passwd") == b"abc"  # ".." stops at the image root
    assert index.stat("loop1") is None and index.stat("loop1/x") is None
    assert index.lstat("loop1").is_symlink


def test_deep_tree_and_cache_round_trip(tmp_path: Path) -> None:
    deep = "/".join(["d"] * 3000)
    raw = docker_archive([layer([M(deep, "dir"), M(deep + "/leaf", data=b"ok")])])
    path = tmp_path / "deep.tar"
    path.write_bytes(raw)
    settings = LoadSettings(cache_dir=tmp_path / "cache")
    first = open_image(f"docker-archive:{path}", settings)
    assert first.fs.lstat(deep + "/leaf").size == 2
    second = open_image(f"docker-archive:{path}", settings)
    assert second.fs.entries() == first.fs.entries()
    assert len(first.fs) == 3001


def _load(tmp_path: Path, raw: bytes) -> object:
    path = tmp_path / "a.tar"
    path.write_bytes(raw)
    before = sorted(os.listdir(tmp_path))
    try:
        return open_image(f"docker-archive:{path}").fs
    finally:
        assert sorted(os.listdir(tmp_path)) == before  # nothing extracted anywhere


@pytest.mark.parametrize("members, message", [
    ([M("../escape", data=b"x")], "points outside the image root"),
    ([M("a/../../escape", data=b"x")], "points outside the image root"),
    ([M("h", "hardlink", link="../../etc/passwd")], "points outside the image root"),
])
def test_hostile_member_paths_are_rejected(tmp_path: Path, members: list[M],
                                           message: str) -> None:
    with pytest.raises(ParseError, match=message) as err:
        _load(tmp_path, docker_archive([layer(members)]))
    assert "layer" in str(err.value) and "\n" not in str(err.value)


def test_absolute_member_paths_land_inside_the_root(tmp_path: Path) -> None:
    fs = _load(tmp_path, docker_archive([layer([M("/etc/abs", data=b"x"),
                                                M("./rel", data=b"y")])]))
    assert [p for p, _ in fs] == ["etc", "etc/abs", "rel"]


def test_symlink_loop_in_an_image_is_harmless(tmp_path: Path) -> None:
    fs = _load(tmp_path, docker_archive([layer([M("a", "symlink", link="b"),
                                                M("b", "symlink", link="a/c")])]))
    assert fs.stat("a") is None and fs.lstat("a").is_symlink


# Seeded, not os.urandom: parameters are made at collection, and every xdist worker must
# collect the same test ids.
_NOISE = random.Random(8).randbytes(4096)


@pytest.mark.parametrize("layer_bytes", [b"this is not a tar archive" * 40, _NOISE,
                                         b"\x1f\x8b" + _NOISE[:600]],
                         ids=["text", "noise", "gzip-magic-then-noise"])
def test_layer_that_is_not_a_tar(tmp_path: Path, layer_bytes: bytes) -> None:
    with pytest.raises(ParseError) as err:
        _load(tmp_path, docker_archive([layer_bytes], config=config_for([layer_bytes])))
    assert "not a tar" in str(err.value) or "gzip" in str(err.value)


@pytest.mark.parametrize("cut", [0.3, 0.6, "manifest"])
def test_truncated_archive(tmp_path: Path, cut: float | str) -> None:
    raw = docker_archive([layer([M("big", data=os.urandom(50_000)), M("z", data=b"1")])])
    end = raw.index(b'[{"Config"') + 10 if cut == "manifest" else int(len(raw) * float(cut))
    with pytest.raises(InputError) as err:
        _load(tmp_path, raw[:end])
    assert str(err.value).startswith(str(tmp_path))


def test_truncated_streamed_archive(tmp_path: Path) -> None:
    import gzip

    raw = docker_archive([layer([M("big", data=os.urandom(50_000))])])
    with pytest.raises(InputError, match="truncated"):
        _load(tmp_path, gzip.compress(raw)[:20_000])


def test_not_an_archive_at_all(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a tar archive"):
        _load(tmp_path, b"hello" * 200)
    with pytest.raises(InputError, match="cannot read image archive"):
        open_image(f"docker-archive:{tmp_path}/missing.tar").fs  # noqa: B018


def test_hostile_oci_blob_digest(tmp_path: Path) -> None:
    (tmp_path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (tmp_path / "index.json").write_text(
        '{"manifests": [{"digest": "sha256:../../../../etc/passwd"}]}')
    with pytest.raises(InputError, match="bad blob digest"):
        open_image(f"oci:{tmp_path}").fs  # noqa: B018


def test_whiteout_drops_captured_bytes(tmp_path: Path) -> None:
    lower = layer([M("etc", "dir"), M("etc/shadow", data=b"root::1::::::\n")])
    upper = layer([M("etc/.wh.shadow")])
    fs = _load(tmp_path, docker_archive([lower, upper]))
    assert fs.lstat("etc/shadow") is None and fs.data("etc/shadow") is None


def test_compressed_layer_bomb_stays_small_in_memory(tmp_path: Path) -> None:
    import gzip
    import tracemalloc

    big = tarfile.TarInfo("zeros")
    big.size = 64 << 20
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:

        class Zeros(io.RawIOBase):
            left = big.size

            def readinto(self, b: bytearray) -> int:  # type: ignore[override]
                n = min(len(b), self.left)
                b[:n] = bytes(n)
                self.left -= n
                return n

        tar.addfile(big, Zeros())
    packed = gzip.compress(buf.getvalue(), compresslevel=9)
    assert len(packed) < 1 << 20
    tracemalloc.start()
    fs = _load(tmp_path, docker_archive([packed], config=config_for([packed])))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert fs.lstat("zeros").size == 64 << 20
    assert peak < 16 << 20  # the 64 MiB file passed through in bounded steps


def test_concurrent_loads_share_one_read(tmp_path: Path) -> None:
    import multiprocessing

    from pytest_ctrsec.targets.image import archive

    path = tmp_path / "a.tar"
    path.write_bytes(docker_archive([layer([M("etc", "dir"), M("etc/passwd", data=b"1")])]))
    log = tmp_path / "scans.log"
    original = archive.SeekableArchive.scan

    def counted(self: archive.SeekableArchive, scan_limit: int) -> object:
        with open(log, "a") as fh:
            fh.write("scan\n")
        return original(self, scan_limit)

    archive.SeekableArchive.scan = counted  # type: ignore[method-assign]
    try:
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_load_cached, args=(str(path), str(tmp_path / "cache")))
                 for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    finally:
        archive.SeekableArchive.scan = original  # type: ignore[method-assign]
    assert log.read_text() == "scan\n"


def _load_cached(path: str, cache: str) -> None:
    image = open_image(f"docker-archive:{path}", LoadSettings(cache_dir=Path(cache)))
    assert image.fs.data("etc/passwd") == b"1"


def test_layers_deduplicated_by_symlink_in_the_archive(tmp_path: Path) -> None:
    """``docker save`` writes an identical layer once and links the others to it."""
    import gzip
    import json

    first = layer([M("a", data=b"1")])
    second = layer([M("b", data=b"2")])
    config = config_for([first, second, first])
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("1/layer.tar", first), ("2/layer.tar", second),
                           ("c.json", config)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("3/layer.tar")
        link.type, link.linkname = tarfile.SYMTYPE, "../1/layer.tar"
        tar.addfile(link)
        manifest = json.dumps([{"Config": "c.json", "RepoTags": None,
                                "Layers": ["1/layer.tar", "2/layer.tar", "3/layer.tar"]}])
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest.encode()))
    raw = buf.getvalue()
    plain = _load(tmp_path, raw)
    assert [(p, e.layer) for p, e in plain] == [("a", 2), ("b", 1)]
    streamed = tmp_path / "s"
    streamed.mkdir()
    assert _load(streamed, gzip.compress(raw)).entries() == plain.entries()


def _engine25_archive(layers: list[bytes], config: bytes) -> bytes:
    """The layout of ``docker save`` from Engine 25 on: OCI blobs plus manifest.json."""
    import hashlib
    import json

    def blob(data: bytes) -> str:
        return "blobs/sha256/" + hashlib.sha256(data).hexdigest()

    members = [(blob(x), x) for x in layers] + [(blob(config), config)]
    manifest = json.dumps([{"Config": blob(config), "RepoTags": ["t/x:25"],
                            "Layers": [blob(x) for x in layers]}]).encode()
    members += [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
                ("manifest.json", manifest)]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in sorted(members):  # blobs before the JSON that names them
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_engine25_save_layout_with_compressed_layers(tmp_path: Path, compression: str) -> None:
    import gzip

    zstandard = pytest.importorskip("zstandard") if compression == "zstd" else None
    plain = [layer([M("etc", "dir"), M("etc/passwd", data=b"root:x:0:0::/:/bin/sh\n")]),
             layer([M("etc/.wh.passwd"), M("app", data=b"x" * 3000)])]
    packed = {"gzip": [gzip.compress(x) for x in plain],
              "zstd": [zstandard.ZstdCompressor().compress(x) for x in plain] if zstandard
              else [], "none": plain}[compression]
    raw = _engine25_archive(packed, config_for(plain))
    seekable = _load(tmp_path, raw)
    assert [p for p, _ in seekable] == ["app", "etc"]
    streamed_dir = tmp_path / "s"
    streamed_dir.mkdir()
    assert _load(streamed_dir, gzip.compress(raw)).entries() == seekable.entries()


def test_zstd_layer_without_the_extra_says_what_to_install(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    zstandard = pytest.importorskip("zstandard")
    packed = zstandard.ZstdCompressor().compress(layer([M("a", data=b"1")]))
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(ParseError, match=r"pytest-ctrsec\[zstd\]"):
        _load(tmp_path, docker_archive([packed], config=config_for([packed])))
