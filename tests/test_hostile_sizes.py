"""Huge and endless input. Every reader of a whole file has a size cap that raises:

=======================  =========================================  ===================
input                    cap                                        error
=======================  =========================================  ===================
manifest file or stdin   ``kube.manifests.MAX_BYTES`` 256 MiB       InputError
Compose file             ``compose.yamlread.MAX_BYTES`` 32 MiB       InputError
Dockerfile               ``dockerfile.MAX_BYTES`` 16 MiB             InputError
waiver file              ``waivers.MAX_BYTES`` 16 MiB                ConfigError
structure-test file      ``structure_test.MAX_BYTES`` 16 MiB         InputError
Trivy / Grype report     ``vulns.reports.MAX_BYTES`` 256 MiB         ConfigError
OSV record file / member ``vulns.dumps.MAX_RECORD_BYTES`` 64 MiB     ConfigError
image config / manifest  ``image.archive.JSON_LIMIT`` 16 MiB         SchemaError
package database         ``image.layers.CAPTURE_LIMIT`` 32 MiB       inventory problem
=======================  =========================================  ===================

Below its cap an input is read whole (a 100 MB manifest, a package database with a 10 MB
field) in time linear in its size, checked here as a traced-memory peak proportional to the
input; above it, reading stops one step past the cap (``/dev/zero`` included).
"""

from __future__ import annotations

import io
import json
import tarfile
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from archive_maker import M, config_for, docker_archive, layer

from pytest_ctrsec.errors import ConfigError, InputError, SchemaError
from pytest_ctrsec.inventory import inventory
from pytest_ctrsec.structure_test import load_structure_tests
from pytest_ctrsec.targets.compose.loader import load_project
from pytest_ctrsec.targets.dockerfile import load_dockerfile
from pytest_ctrsec.targets.image import open_image
from pytest_ctrsec.targets.image.layers import CAPTURE_LIMIT
from pytest_ctrsec.targets.kube import load_manifests
from pytest_ctrsec.targets.kube.manifests import MAX_BYTES, read_stdin
from pytest_ctrsec.vulns.database import OsvDatabase
from pytest_ctrsec.vulns.dumps import MAX_RECORD_BYTES
from pytest_ctrsec.vulns.reports import load as load_report
from pytest_ctrsec.waivers import load_file

MB = 1 << 20


@contextmanager
def traced() -> Iterator[list[int]]:
    """The peak of traced memory while the block runs (in a one-item list)."""
    peak = [0]
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def test_a_100_mb_manifest_is_read_whole(tmp_path: Path) -> None:
    """Below the 256 MiB cap: a ConfigMap of 100 MB written in steps, then a Pod after it."""
    path = tmp_path / "big.yaml"
    with path.open("w") as fh:
        fh.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: |\n")
        block = ("    " + "x" * 95 + "\n") * 10_000
        for _ in range(105):
            fh.write(block)
        fh.write("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: after\n"
                 "spec:\n  containers: [{name: c, image: x}]\n")
    size = path.stat().st_size
    assert size > 100 * 10**6
    with traced() as peak:
        corpus = load_manifests((str(path),))
    assert [o.name for o in corpus.objects] == ["big", "after"]
    assert len(corpus.objects[0].raw["data"]["blob"]) == 105 * 10_000 * 96
    assert peak[0] < 3 * size  # the bytes, the text and the scalar: linear in the input


class Endless(io.RawIOBase):
    """A pipe that never ends (``yes | pytest --ctrsec-k8s=-``)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
        buf[:] = b"y" * len(buf)
        return len(buf)


def test_an_endless_stdin_stops_at_the_manifest_cap() -> None:
    with traced() as peak, pytest.raises(InputError, match="larger than 256 MiB"):
        read_stdin(io.BufferedReader(Endless()))  # type: ignore[type-var]
    assert peak[0] < MAX_BYTES + 8 * MB


def _compose(path: str, tmp: Path) -> object:
    return load_project([path], environ={}, project_dir=tmp)


def _one(read: Callable[[str], object]) -> Callable[[str, Path], object]:
    return lambda path, tmp: read(path)


# (reader of a path, with a scratch folder; error type; words of the error)
READERS: dict[str, tuple[Callable[[str, Path], object], type[Exception], str]] = {
    "manifest": (_one(lambda p: load_manifests((p,))), InputError, "larger than 256 MiB"),
    "compose": (_compose, InputError, "file is too large"),
    "dockerfile": (_one(load_dockerfile), InputError, "larger than 16 MiB"),
    "waivers": (_one(load_file), ConfigError, "larger than 16 MiB"),
    "structure-test": (_one(load_structure_tests), InputError, "larger than 16 MiB"),
    "scan-report": (_one(load_report), ConfigError, "larger than 256 MiB"),
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_dev_zero_stops_at_each_cap(tmp_path: Path, kind: str) -> None:
    """An endless file given where a text file belongs: one line, memory near the cap."""
    reader, error, words = READERS[kind]
    with traced() as peak, pytest.raises(error, match=words) as err:
        reader("/dev/zero", tmp_path)
    assert "\n" not in str(err.value) and "/dev/zero" in str(err.value)
    assert peak[0] < 300 * MB


def test_an_osv_record_file_past_the_cap_is_refused(tmp_path: Path) -> None:
    (tmp_path / "osv").mkdir()
    with (tmp_path / "osv" / "huge.json").open("wb") as fh:
        fh.truncate(MAX_RECORD_BYTES + 1)  # sparse: no disk, reads as zeros
    with traced() as peak, pytest.raises(ConfigError, match="huge.json: larger than 64 MiB"):
        OsvDatabase.open(str(tmp_path / "osv"), tmp_path / "cache")
    assert peak[0] < 80 * MB


def test_devices_in_an_osv_folder_are_not_read(tmp_path: Path) -> None:
    """A ``*.json`` link to /dev/zero in the database folder: hashing it would never end."""
    (tmp_path / "osv").mkdir()
    (tmp_path / "osv" / "zero.json").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="no OSV dumps"):
        OsvDatabase.open(str(tmp_path / "osv"), tmp_path / "cache")


def test_a_100_mb_compose_file_is_refused_after_reading_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    with path.open("w") as fh:
        fh.write("services:\n  web:\n    image: busybox\nx-pad: |\n")
        for _ in range(100):
            fh.write(("  " + "p" * 98 + "\n") * 10_000)
    with traced() as peak, pytest.raises(InputError, match="file is too large"):
        _compose(str(path), tmp_path)
    assert peak[0] < 40 * MB


def test_an_osv_zip_member_past_the_cap_is_refused(tmp_path: Path) -> None:
    """A zip bomb in a vulnerability dump: the member's declared size is checked before it
    is inflated."""
    dump = tmp_path / "Debian:12" / "all.zip"
    dump.parent.mkdir()
    with zipfile.ZipFile(dump, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.json", b" " * (MAX_RECORD_BYTES + 1))
    assert dump.stat().st_size < MB
    with traced() as peak, pytest.raises(ConfigError, match="bomb.json is larger than 64 MiB"):
        OsvDatabase.open(str(tmp_path), tmp_path / "cache")
    assert peak[0] < 8 * MB


def _image(tmp_path: Path, members: list[M], config: bytes | None = None) -> object:
    lay = layer([M("var", "dir"), M("var/lib", "dir"), M("var/lib/dpkg", "dir"),
                 M("lib", "dir"), M("lib/apk", "dir"), M("lib/apk/db", "dir"), *members])
    path = tmp_path / "image.tar"
    path.write_bytes(docker_archive([lay], config=config or config_for([lay])))
    return open_image(f"docker-archive:{path}")


def test_a_package_database_with_a_10_mb_field(tmp_path: Path) -> None:
    """A Description of a million continuation lines and an apk line of 10 MB: read in time
    linear in the field (joined once: appending line by line took minutes), all found."""
    description = "Description: huge\n" + " 0123456789\n" * 1_000_000
    status = f"Package: big\nStatus: install ok installed\nVersion: 1.0-1\n{description}\n"
    status += "Package: small\nStatus: install ok installed\nVersion: 2.0-1\n"
    installed = f"P:musl\nV:1.2.4-r2\nT:{'t' * 10_000_000}\n\nP:zlib\nV:1.3-r0\n"
    image = _image(tmp_path, [M("var/lib/dpkg/status", data=status.encode()),
                              M("lib/apk/db/installed", data=installed.encode())])
    with traced() as peak:
        inv = inventory(image.fs)  # type: ignore[attr-defined]
    assert sorted(p.name for p in inv.packages) == ["big", "musl", "small", "zlib"]
    assert inv.problems == ()
    # a million line objects and their parts: linear, about 15 bytes per byte of the field
    assert peak[0] < 20 * len(status)


def test_a_package_database_past_the_capture_cap_is_a_problem_not_a_silence(
        tmp_path: Path) -> None:
    status = b"Package: a\nStatus: install ok installed\nVersion: 1\n\n" + \
        b"X: " + b"y" * CAPTURE_LIMIT + b"\n"
    image = _image(tmp_path, [M("var/lib/dpkg/status", data=status)])
    inv = inventory(image.fs)  # type: ignore[attr-defined]
    assert inv.packages == ()
    assert inv.problems == (f"/var/lib/dpkg/status: package data not captured "
                            f"({len(status)} bytes)",)


def test_an_image_config_past_the_metadata_cap(tmp_path: Path) -> None:
    config = json.dumps({"config": {"Labels": {"pad": "p" * (16 * MB)}}}).encode()
    image = _image(tmp_path, [], config=config)
    with pytest.raises(SchemaError, match="too large for metadata"):
        image.config  # type: ignore[attr-defined]  # noqa: B018


def test_a_pax_record_past_the_metadata_cap(tmp_path: Path) -> None:
    info = tarfile.TarInfo("x")
    info.pax_headers = {"comment": "c" * (2 * MB)}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(b""))
    path = tmp_path / "image.tar"
    path.write_bytes(docker_archive([buf.getvalue()]))
    with pytest.raises(InputError, match="tar metadata record of .* bytes is too large"):
        open_image(f"docker-archive:{path}").fs  # noqa: B018
