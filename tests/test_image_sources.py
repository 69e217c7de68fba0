"""The image reader against the real engine: the merged filesystem equals ``docker export``
of a created container, and the engine, a ``docker save`` archive (plain and gzip) and OCI
layouts (gzip and zstd layers, made by skopeo) give identical results."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pytest
from image_helpers import build_layered, exported, listing, save, skopeo_oci, without_runtime

from pytest_ctrsec.errors import TargetUnavailable
from pytest_ctrsec.targets.image import LoadSettings, load_targets, open_image

TAG = "ctrsec-test/image-layered:1"


@pytest.fixture(scope="module")
def layered(docker_client: Any) -> str:
    build_layered(docker_client, TAG)
    return TAG


@pytest.fixture(scope="module")
def saved(docker_client: Any, layered: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(docker_client, layered, tmp_path_factory.mktemp("save") / "image.tar")


def test_merged_filesystem_equals_docker_export(docker_client: Any, layered: str) -> None:
    image = open_image(layered)
    truth = without_runtime(exported(docker_client, layered))
    ours = without_runtime(listing(image.fs))
    assert ours == truth
    # The layer rules really were exercised: deletions, an opaque dir, a file over a dir.
    assert "data/gone" not in ours and "opq/a" not in ours and "opq/b/new" in ours
    assert ours["data/keep"][0] == "file"
    assert ours["data/hard"][1] & 0o4000


def test_engine_archive_and_oci_agree(docker_client: Any, layered: str, saved: Path,
                                      tmp_path: Path) -> None:
    engine = open_image(layered)
    archive = open_image(f"docker-archive:{saved}")
    oci = open_image(f"oci:{skopeo_oci(layered, tmp_path / 'oci')}")
    zstd = open_image(f"oci:{skopeo_oci(layered, tmp_path / 'zstd', zstd=True)}:t")
    reference = engine.fs.entries()
    assert len(reference) > 250
    for other in (archive, oci, zstd):
        assert other.fs.entries() == reference
        assert other.config == engine.config
    assert archive.digest == engine.digest
    assert TAG in engine.repo_tags and archive.repo_tags == (TAG,) and oci.repo_tags == ("t",)


def test_gzip_compressed_archive_is_streamed(saved: Path, tmp_path: Path) -> None:
    packed = tmp_path / "image.tar.gz"
    with open(saved, "rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst)
    plain = open_image(f"docker-archive:{saved}")
    assert open_image(f"docker-archive:{packed}").fs.entries() == plain.fs.entries()


def test_captured_files_and_symlink_lookups(layered: str) -> None:
    fs = open_image(layered).fs
    assert fs.data("etc/passwd", ).startswith(b"root:x:0:0")
    assert fs.data("/data/sl") == fs.data("etc/passwd")  # absolute symlink followed
    assert fs.realpath("data/sl") == "etc/passwd"
    assert fs.lstat("data/sl").is_symlink
    assert fs.stat("bin/sh").is_file  # busybox's applet symlink resolves to the binary
    assert fs.stat("data/missing") is None
    assert fs.data("bin/busybox") is None  # large binaries are never held in memory


def test_cache_is_reused_across_loads(layered: str, tmp_path: Path, saved: Path) -> None:
    settings = LoadSettings(cache_dir=tmp_path)
    first = open_image(layered, settings)
    assert first.fs.entries()
    cached = list((tmp_path / "ctrsec-images").glob("*.pickle"))
    assert len(cached) == 1
    again = open_image(f"docker-archive:{saved}", settings)  # same digest, any source
    assert again.fs.entries() == first.fs.entries()
    assert len(list((tmp_path / "ctrsec-images").glob("*.pickle"))) == 1


def test_unknown_engine_image_is_unavailable_not_pulled(docker_client: Any) -> None:
    image = open_image("ctrsec-test/does-not-exist:0")
    with pytest.raises(TargetUnavailable, match="not in the local engine.*--ctrsec-pull"):
        image.fs  # noqa: B018 - loading is the point


def test_load_targets_names_and_locations(saved: Path) -> None:
    class Opts:
        image = (f"docker-archive:{saved}", TAG, TAG)

    targets = load_targets(Opts())
    assert [t.name for t in targets] == [f"image:docker-archive:{saved}", f"image:{TAG}"]
    assert targets[0].location is not None and targets[0].location.path == str(saved)
    assert targets[1].location is None and targets[1].model_type == "image"


def test_engine_stream_matches_the_sdk(docker_client: Any, layered: str) -> None:
    import hashlib

    from pytest_ctrsec.targets.image.enginestream import save_stream

    ours, sdk = hashlib.sha256(), hashlib.sha256()
    for chunk in save_stream(layered):
        ours.update(chunk)
    for chunk in docker_client.api.get_image(layered, chunk_size=1 << 20):
        sdk.update(chunk)
    assert ours.hexdigest() == sdk.hexdigest()
    with pytest.raises(TargetUnavailable, match="404"):
        list(save_stream("ctrsec-test/does-not-exist:0"))
