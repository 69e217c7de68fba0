"""Bytes that are not UTF-8 everywhere a name can appear: file and directory names, YAML and
text content, tar member names inside image layers, and environment keys.

Names from the file system and from tar headers are decoded with ``surrogateescape`` (so
they are never lost and still look up what they name); content that must be text is
refused with the line of the first bad byte. Every error prints as one line of valid UTF-8
without control characters: ``errors.one_line`` shows such bytes as ``\\xNN``.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from archive_maker import docker_archive

from pytest_ctrsec.errors import ConfigError, CtrsecError, InputError
from pytest_ctrsec.structure_test import load_structure_tests
from pytest_ctrsec.targets.compose.loader import load_project
from pytest_ctrsec.targets.dockerfile import load_dockerfile
from pytest_ctrsec.targets.image import open_image
from pytest_ctrsec.targets.image.config import ImageConfig
from pytest_ctrsec.targets.kube import load_manifests
from pytest_ctrsec.vulns.database import OsvDatabase
from pytest_ctrsec.vulns.reports import load as load_report
from pytest_ctrsec.waivers import load_file

BAD = b"\xff\xfe"  # never valid UTF-8
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(err: CtrsecError) -> str:
    """The error's line, checked to be one line of valid UTF-8 without control characters."""
    text = str(err)
    text.encode("utf-8")  # no surrogates left
    assert not _CONTROL.search(text), text
    return text


def _name(tmp: Path, raw: bytes) -> str:
    """A path in ``tmp`` whose file name is ``raw`` bytes, as Python sees it (str)."""
    return os.fsdecode(os.path.join(os.fsencode(tmp), raw))


# -- file and directory names ---------------------------------------------------------------

def test_a_compose_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    good = _name(tmp_path, b"compose" + BAD + b".yaml")
    Path(good).write_text("services:\n  web:\n    image: busybox\n")
    assert load_project([good], environ={}).services[0].name == "web"
    bad = _name(tmp_path, b"broken" + BAD + b"\x1b[2J.yaml")
    Path(bad).write_text("services:\n  web:\n    imag: busybox\n")
    with pytest.raises(InputError) as err:
        load_project([bad], environ={})
    assert "broken\\xff\\xfe\\x1b[2J.yaml:3:" in printable(err.value)


def test_manifest_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "k8s"
    folder.mkdir()
    Path(_name(folder, b"pod" + BAD + b".yaml")).write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n")
    corpus = load_manifests((str(folder),))
    assert [o.name for o in corpus.objects] == ["p"]
    assert (corpus.objects[0].origin.file or "").encode("utf-8", "surrogateescape").endswith(
        b"pod" + BAD + b".yaml")
    Path(_name(folder, b"z" + BAD + b".yaml")).write_text("kind: [\n")
    with pytest.raises(InputError) as err:
        load_manifests((str(folder),))
    assert "z\\xff\\xfe.yaml:2: invalid YAML" in printable(err.value)


@pytest.mark.parametrize("kind", ["dockerfile", "waivers", "structure-test", "scan-report"])
def test_other_input_file_names_that_are_not_utf8(tmp_path: Path, kind: str) -> None:
    readers: dict[str, Callable[[str], object]] = {
        "dockerfile": load_dockerfile, "waivers": load_file,
        "structure-test": load_structure_tests, "scan-report": load_report}
    path = _name(tmp_path, kind.encode() + BAD)
    Path(path).write_text("FROM\n" if kind == "dockerfile" else "[1, 2")
    with pytest.raises((InputError, ConfigError)) as err:
        readers[kind](path)
    assert f"{kind}\\xff\\xfe" in printable(err.value)


def test_an_image_archive_name_that_is_not_utf8(tmp_path: Path) -> None:
    path = _name(tmp_path, b"image" + BAD + b".tar")
    Path(path).write_bytes(docker_archive([_layer([(b"etc/", "dir"), (b"etc/hostname", "file")])]))
    assert open_image(f"docker-archive:{path}").fs.lstat("etc/hostname") is not None
    missing = _name(tmp_path, b"gone" + BAD + b".tar")
    with pytest.raises(InputError) as err:
        open_image(f"docker-archive:{missing}").fs  # noqa: B018
    assert "gone\\xff\\xfe.tar" in printable(err.value)


# -- text content --------------------------------------------------------------------------

CONTENT: dict[str, tuple[str, bytes, Callable[[str], object], str]] = {
    "compose": ("compose.yaml", b"services:\n  web:\n    image: busy" + BAD + b"\n",
                lambda p: load_project([p], environ={}), ":3: not UTF-8"),
    "manifest": ("m.yaml", b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + BAD + b"\n",
                 lambda p: load_manifests((p,)), ":4: not UTF-8"),
    "waivers": ("w.yaml", b"- check: a\n  reason: " + BAD + b"\n", load_file, ":2: not UTF-8"),
    "structure-test": ("s.yaml", b"schemaVersion: 2.0.0\n# " + BAD + b"\n",
                       load_structure_tests, ":2: not UTF-8"),
    "dockerfile": ("Dockerfile", b"FROM x\nRUN echo " + BAD + b"\n", load_dockerfile,
                   "not UTF-8 text (byte 16)"),
    "scan-report": ("r.json", b'{"Results": ["' + BAD + b'"]}', load_report, "not JSON"),
}


@pytest.mark.parametrize("kind", sorted(CONTENT))
def test_content_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path, kind: str) -> None:
    name, raw, reader, words = CONTENT[kind]
    path = tmp_path / name
    path.write_bytes(raw)
    with pytest.raises((InputError, ConfigError)) as err:
        reader(str(path))
    assert words in printable(err.value)


def test_an_osv_record_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "osv").mkdir()
    (tmp_path / "osv" / "r.json").write_bytes(b'{"id": "X-1", "summary": "' + BAD + b'"}')
    with pytest.raises(ConfigError) as err:
        OsvDatabase.open(str(tmp_path / "osv"), tmp_path / "cache")
    assert "r.json: not JSON" in printable(err.value)


# -- tar member names ----------------------------------------------------------------------

def _layer(members: list[tuple[bytes, str]], fmt: int = tarfile.GNU_FORMAT) -> bytes:
    """A layer whose member names are raw bytes (written as they are, in any format)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for raw, kind in members:
            info = tarfile.TarInfo(os.fsdecode(raw))
            info.mode = 0o4755 if kind == "setuid" else 0o644
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = 1
                tar.addfile(info, io.BytesIO(b"x"))
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT],
                         ids=["gnu", "pax"])
def test_tar_member_names_that_are_not_utf8(tmp_path: Path, fmt: int) -> None:
    lower = _layer([(b"bin/", "dir"), (b"bin/su" + BAD, "setuid"), (b"bin/gone" + BAD, "file"),
                    (b"etc/", "dir"), (b"etc/\x1b[31mred", "file")], fmt)
    upper = _layer([(b"bin/.wh.gone" + BAD, "file")], fmt)
    path = tmp_path / "image.tar"
    path.write_bytes(docker_archive([lower, upper]))
    fs = open_image(f"docker-archive:{path}").fs
    names = sorted(p.encode("utf-8", "surrogateescape") for p, _ in fs)
    assert names == [b"bin", b"bin/su" + BAD, b"etc", b"etc/\x1b[31mred"]  # whiteout applied
    suid = fs.lstat(os.fsdecode(b"bin/su" + BAD))
    assert suid is not None and suid.mode & 0o4000


def test_a_climbing_member_name_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "image.tar"
    path.write_bytes(docker_archive([_layer([(b"../\x1b]0;pwned\x07" + BAD, "file")])]))
    with pytest.raises(InputError) as err:
        open_image(f"docker-archive:{path}").fs  # noqa: B018
    assert "\\x1b]0;pwned\\x07" in printable(err.value)


# -- environment keys ----------------------------------------------------------------------

def test_an_env_file_key_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: \"busybox:${TAG}\"\n")
    (tmp_path / ".env").write_bytes(b"TAG=1\nK" + BAD + b"=2\n")
    with pytest.raises(InputError) as err:
        load_project([str(tmp_path / "compose.yaml")], environ={})
    assert ".env:2: not UTF-8" in printable(err.value)


def test_process_environment_keys_that_are_not_utf8(tmp_path: Path) -> None:
    """``os.environ`` holds such keys with surrogates; they cannot be named in ``${...}``
    and change nothing, while the valid keys beside them interpolate."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: \"busybox:${TAG}\"\n    environment: [\"A=${B:-d}\"]\n")
    environ = {os.fsdecode(b"TAG" + BAD): "no", "TAG": "1", os.fsdecode(b"B\xff"): "no"}
    config = load_project([str(tmp_path / "compose.yaml")], environ=environ).services[0].config
    assert config["image"] == "busybox:1" and dict(config["environment"]) == {"A": "d"}


def test_image_env_keys_that_are_not_utf8() -> None:
    """Config JSON may carry escaped lone surrogates (``\\udcff``) in Env: kept, not fatal;
    raw bytes that are not UTF-8 make it unreadable JSON."""
    doc = '{"config": {"Env": ["K\\udcff=v", "PATH=/bin"]}}'
    assert ImageConfig.from_bytes(doc.encode(), "i").env_map == {"K\udcff": "v", "PATH": "/bin"}
    raw = b'{"config": {"Env": ["K' + BAD + b'=v"]}}'
    with pytest.raises(InputError) as err:
        ImageConfig.from_bytes(raw, "image\udcff.tar")
    assert printable(err.value).startswith("image\\xff.tar: image config is not JSON")


def test_manifest_env_names_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n'
                     b'"spec": {"containers": [{"name": "c", "env": [{"name": "K' + BAD +
                     b'"}]}]}}')
    with pytest.raises(InputError) as err:
        load_manifests((str(path),))
    assert "m.json:2: not UTF-8" in printable(err.value)
