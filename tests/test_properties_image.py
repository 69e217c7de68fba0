"""The image layer reader on generated, random and damaged input.

Generated layers (random member names with ``..``, ``.``, absolute paths, whiteouts, links
in every direction, every tar format) read like the stdlib ``tarfile`` reads them and merge
into a root that nothing escapes; random bytes, flipped bits, truncations and compressed
garbage give a :class:`ParseError` naming the layer or a correct result; whole archives
with damaged members, manifests and configs load or give an ``InputError``. Nothing else is
ever raised, and every look-up into what was read terminates.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import tarfile
from pathlib import Path

import hyp
import pytest
from archive_maker import M, config_for, docker_archive, layer
from hypothesis import assume, example, given
from hypothesis import strategies as st

from pytest_ctrsec.errors import InputError, ParseError, SchemaError
from pytest_ctrsec.inventory import inventory
from pytest_ctrsec.targets.image import LoadSettings, open_image
from pytest_ctrsec.targets.image.config import ImageConfig
from pytest_ctrsec.targets.image.fsindex import FileIndex
from pytest_ctrsec.targets.image.layers import apply, summarise
from pytest_ctrsec.targets.image.streams import ChunkSource, FileWindow, GzipSource
from pytest_ctrsec.targets.image.tarreader import TarReader

_PARTS = ["a", "b", "etc", "passwd", "..", ".", "", ".wh.a", ".wh..wh..opq", "é", "l" * 120,
          "d\udcff"]  # the last: a name that was not UTF-8 (decoded with surrogateescape)
_path = st.builds(lambda lead, parts: lead + "/".join(parts),
                  st.sampled_from(["", "", "/", "./", "../"]),
                  st.lists(st.sampled_from(_PARTS), min_size=1, max_size=4))
_member = st.builds(M, name=_path, kind=st.sampled_from(["file", "dir", "symlink", "hardlink"]),
                    data=st.sampled_from([b"", b"x", b"root:x:0:0::/:/bin/sh\n" * 3, bytes(700)]),
                    mode=st.sampled_from([0o644, 0o4755, 0o777]), link=_path,
                    uid=st.sampled_from([0, 1000, 3_000_000]))
_FORMATS = [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]


def _tar(members: list[M], fmt: int) -> bytes:
    try:
        return layer(members, fmt)
    except (ValueError, UnicodeError):
        assume(False)  # the format cannot hold these names: not an input tar can carry
        raise


def _oracle(raw: bytes) -> list[tuple[str, str, int]]:
    with tarfile.open(fileobj=io.BytesIO(raw), encoding="utf-8",
                      errors="surrogateescape") as tar:
        return [(m.name.rstrip("/"), m.linkname, m.size if m.isfile() else 0) for m in tar]


def _ours(raw: bytes, chunks: int) -> list[tuple[str, str, int]]:
    src = ChunkSource(raw[i:i + chunks] for i in range(0, len(raw), chunks))
    return [(m.name.rstrip("/"), m.linkname, m.size) for m in TarReader(src, "layer")]


def _escapes(name: str) -> bool:
    path = posixpath.normpath(name.lstrip("/") or ".")
    return path == ".." or path.startswith("../")


def _summary_or_error(raw: bytes, chunk: int = 0) -> object:
    """The merged index of one layer, or the ParseError it raised (checked to be one line
    naming the layer)."""
    src = ChunkSource(raw[i:i + chunk] for i in range(0, len(raw), chunk)) if chunk else \
        FileWindow(io.BytesIO(raw), 0, len(raw))
    try:
        summary = summarise(src, "layer 7", 0)
    except ParseError as err:
        assert str(err).startswith("layer 7: ") and "\n" not in str(err)
        return err
    index = FileIndex()
    apply(index, summary)
    _assert_lookups_terminate(index)
    return index


def _assert_lookups_terminate(index: FileIndex) -> None:
    for path, entry in index.entries():
        assert not path.startswith("/") and ".." not in path.split("/"), path
        for follow in (False, True):
            found = index.resolve(path, follow)
            if found is not None:
                real = found[0]
                assert not real.startswith("/") and ".." not in real.split("/")
        if entry.is_symlink:
            index.stat(path + "/x/../y")


@hyp.examples(60)
@given(members=st.lists(_member, min_size=1, max_size=8), fmt=st.sampled_from(_FORMATS),
       chunk=st.integers(1, 1500))
# found by the long profile: a file under a file of the same layer (crashed the merge), and
# a regular ("0") member named "a/" (read as a directory; Go's archive/tar reads a file)
@example(members=[M("a"), M("a/a")], fmt=tarfile.USTAR_FORMAT, chunk=1)
@example(members=[M("a/", data=b"x")], fmt=tarfile.USTAR_FORMAT, chunk=1)
@example(members=[M(".wh.a", "hardlink", link="../a")], fmt=tarfile.USTAR_FORMAT, chunk=1)
def test_generated_layers_read_like_tarfile_and_stay_inside_the_root(
        members: list[M], fmt: int, chunk: int) -> None:
    raw = _tar(members, fmt)
    assert _ours(raw, chunk) == _oracle(raw)
    outcome = _summary_or_error(raw, chunk)
    # a whiteout's link target is never followed (the marker only hides a lower entry)
    hostile = any(_escapes(m.name) or m.kind == "hardlink" and _escapes(m.link)
                  and not posixpath.basename(m.name.rstrip("/")).startswith(".wh.")
                  for m in members)
    if hostile:
        assert isinstance(outcome, ParseError) and "outside the image root" in str(outcome)
    else:
        assert isinstance(outcome, FileIndex)


@st.composite
def _damaged(draw: st.DrawFn) -> bytes:
    """A valid layer with bytes flipped, cut, inserted, or wrapped in gzip before or after."""
    raw = bytearray(_tar(draw(st.lists(_member.filter(lambda m: not _escapes(m.name)),
                                       min_size=1, max_size=4)), draw(st.sampled_from(_FORMATS))))
    if draw(st.booleans()):
        raw = bytearray(gzip.compress(bytes(raw), mtime=0))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        if action == "flip":
            raw[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del raw[pos:]
            if not raw:
                break
        elif action == "insert":
            raw[pos:pos] = draw(st.binary(min_size=1, max_size=600))
        else:
            raw[pos:pos + 512] = bytes(min(512, len(raw) - pos))
    if draw(st.booleans()):
        raw = bytearray(gzip.compress(bytes(raw), mtime=0))
    return bytes(raw)


@hyp.examples(80)
@given(raw=_damaged(), chunk=st.sampled_from([0, 1, 513, 4096]))
def test_damaged_layers_are_read_or_rejected(raw: bytes, chunk: int) -> None:
    _summary_or_error(raw, chunk)


@given(raw=st.one_of(st.binary(max_size=3000),
                     st.binary(max_size=1000).map(lambda b: b"\x1f\x8b\x08\x00" + b),
                     st.binary(max_size=1000).map(lambda b: b"\x28\xb5\x2f\xfd" + b),
                     st.binary(max_size=1000).map(lambda b: gzip.compress(b, mtime=0))))
def test_random_bytes_as_a_layer_are_rejected_or_read(raw: bytes) -> None:
    _summary_or_error(raw)


# -- whole archives ------------------------------------------------------------------------

_config_values = st.one_of(hyp.plain_data, st.dictionaries(
    st.sampled_from(["config", "Config", "rootfs", "history", "created", "architecture", "os"]),
    st.one_of(hyp.plain_data, st.dictionaries(
        st.sampled_from(["User", "Env", "Entrypoint", "Cmd", "Labels", "ExposedPorts",
                         "Volumes", "Healthcheck", "StopSignal", "WorkingDir", "diff_ids"]),
        hyp.plain_data, max_size=4)), max_size=4))
_manifests = st.one_of(hyp.plain_data, st.lists(st.dictionaries(
    st.sampled_from(["Config", "Layers", "RepoTags"]),
    st.one_of(hyp.plain_data, st.just("0" * 64 + "/layer.tar"), st.just("../x"),
              st.just(["0" * 64 + "/layer.tar"])), max_size=3), max_size=2))
_FILES = {"etc/passwd": b"root:x:0:0::/root:/bin/sh\nu:x:\xb2:1::/:\napp:x:" + b"9" * 5000 +
          b":1::/:/bin/sh\n", "var/lib/dpkg/status": b"Package: a\nVersion: 1\n",
          "etc/os-release": b"ID=debian\nVERSION_ID=12\n"}


def _load_everything(ref: str, cache: Path | None) -> None:
    """Every lazily read part of an image, or one InputError line naming the archive."""
    image = open_image(ref, LoadSettings(cache_dir=cache))
    try:
        image.fs  # noqa: B018
        image.config  # noqa: B018
    except InputError as err:
        assert "\n" not in str(err)
        return
    image.users()
    for accounts in (image.passwd, image.group, image.shadow):
        assert all(a.id is None or a.id >= 0 for a in accounts)
    inventory(image.fs)


@hyp.examples(40)
@given(config=st.one_of(st.none(), _config_values), manifest=st.one_of(st.none(), _manifests),
       damage=st.one_of(st.none(), st.tuples(st.floats(0, 1), st.integers(0, 255))),
       compress=st.booleans())
def test_archives_with_damaged_parts_load_or_fail_cleanly(
        tmp_path_factory: pytest.TempPathFactory, config: object, manifest: object,
        damage: tuple[float, int] | None, compress: bool) -> None:
    files = [M("etc", "dir")] + [M(p, data=d) for p, d in _FILES.items()]
    lay = layer(files)
    conf = json.dumps(config).encode() if config is not None else config_for([lay])
    raw = bytearray(docker_archive([lay], config=conf))
    if manifest is not None:
        text = json.dumps(manifest).encode()
        raw = bytearray(docker_archive([lay], config=conf)[:-2048])  # drop the end blocks
        info = tarfile.TarInfo("manifest.json")
        info.size = len(text)
        raw += info.tobuf() + text + bytes(-len(text) % 512) + bytes(1024)
    if damage is not None:
        raw[int(damage[0] * (len(raw) - 1))] ^= damage[1]
    folder = tmp_path_factory.mktemp("arch")
    path = folder / "image.tar"
    path.write_bytes(gzip.compress(bytes(raw), mtime=0) if compress else bytes(raw))
    _load_everything(f"docker-archive:{path}", folder / "cache")
    _load_everything(f"docker-archive:{path}", folder / "cache")  # and from the cache


@given(index=hyp.plain_data, blob=hyp.plain_data)
def test_oci_layouts_with_random_json_fail_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                                   index: object, blob: object) -> None:
    root = tmp_path_factory.mktemp("oci")
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    digest = "a" * 64
    if isinstance(index, dict):
        index = {**index, "manifests": [{"digest": f"sha256:{digest}"}]}
    (root / "index.json").write_text(json.dumps(index))
    (root / "blobs" / "sha256").mkdir(parents=True)
    (root / "blobs" / "sha256" / digest).write_text(json.dumps(blob))
    _load_everything(f"oci:{root}", None)


@hyp.examples(150)
@given(config=_config_values)
def test_image_configs_of_any_shape_are_read_or_rejected(config: object) -> None:
    try:
        conf = ImageConfig.from_bytes(json.dumps(config).encode(), "image.tar")
    except SchemaError as err:
        assert str(err).startswith("image.tar: ") and "\n" not in str(err)
        return
    for field in (conf.env, conf.exposed_ports, conf.volumes, conf.diff_ids):
        assert all(isinstance(x, str) for x in field)
    for optional in (conf.entrypoint, conf.cmd, conf.healthcheck):
        assert optional is None or all(isinstance(x, str) for x in optional)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in conf.labels.items())
    assert all(isinstance(x, str) or x is None for x in (conf.stop_signal, conf.created))
    assert all(isinstance(h.created_by, str) for h in conf.history)


# sizes around the reader's 256 KiB output step, where a member's end meets a step's end
_SIZES = [0, 1, 1000, 262_143, 262_144, 262_145, 300_000, 524_288, 700_000]
_blob = st.one_of(st.binary(max_size=3000), st.sampled_from(_SIZES).map(bytes),
                  st.tuples(st.binary(min_size=1, max_size=8), st.sampled_from(_SIZES)).map(
                      lambda t: (t[0] * (t[1] // len(t[0]) + 1))[:t[1]]))


@hyp.examples(60)
@given(parts=st.lists(_blob, min_size=1, max_size=4), chunk=st.sampled_from([0, 1, 333, 65536]),
       padding=st.sampled_from([b"", bytes(512)]))
def test_concatenated_gzip_members_decompress_like_gzip(parts: list[bytes], chunk: int,
                                                       padding: bytes) -> None:
    """Layers may be several gzip members back to back (pigz, appended layers), with zero
    padding after the last; the streamed reader gives exactly what gzip gives."""
    raw = b"".join(gzip.compress(p, mtime=0) for p in parts) + padding
    src = ChunkSource(raw[i:i + chunk] for i in range(0, len(raw), chunk)) if chunk else \
        FileWindow(io.BytesIO(raw), 0, len(raw))
    expected = b"".join(parts)
    assert gzip.decompress(raw[:len(raw) - len(padding)]) == expected  # the oracle agrees
    assert GzipSource(src, "layer").read(len(expected) + 1) == expected
