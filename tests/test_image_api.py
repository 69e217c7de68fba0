"""The user-test image API (file, files, config, history, user, run) and
container-structure-test YAML run through it, on images built on the real engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from image_helpers import build_layered, save

from pytest_ctrsec.assertions import assert_check, assert_fails
from pytest_ctrsec.errors import CannotEvaluate, ParseError, SchemaError
from pytest_ctrsec.image_api import ImageHandle
from pytest_ctrsec.structure_test import load_structure_tests
from pytest_ctrsec.targets.image import open_image

TAG = "ctrsec-test/image-api:1"


@pytest.fixture(scope="module")
def image(docker_client: Any) -> ImageHandle:
    build_layered(docker_client, TAG)
    return ImageHandle(open_image(TAG), allow_run=True)


def test_file_attributes(image: ImageHandle) -> None:
    sh = image.file("/bin/sh")
    assert sh.exists and sh.is_symlink and sh.target == "/bin/busybox" and sh.is_file
    assert sh.mode == 0o755 and sh.mode_string == "-rwxr-xr-x" and sh.is_executable_by("other")
    hard = image.file("data/hard")
    assert hard.is_setuid and hard.owner == "root" and hard.uid == 0
    ww = image.file("/data/ww")
    assert (ww.uid, ww.gid, ww.owner, ww.group) == (1, 2, "1", "2")
    assert image.file("/data/tmp").mode == 0o1777 and image.file("/data/tmp").is_dir
    missing = image.file("/nope")
    assert not missing.exists and missing.type is None
    with pytest.raises(AssertionError, match="/nope does not exist"):
        missing.mode  # noqa: B018


def test_content_captured_and_read_on_demand(image: ImageHandle, docker_client: Any,
                                             tmp_path: Path) -> None:
    assert image.file("/etc/passwd").text.startswith("root:x:0:0")
    assert image.file("/opq/b/new").content == b"n\n"  # not captured: read from its layer
    assert image.file("/data/keep").text == "f\n"
    busybox = Path("/usr/bin/busybox").read_bytes()
    assert image.file("/data/hard").content == busybox  # hardlink followed in its layer
    saved = save(docker_client, TAG, tmp_path / "a.tar")
    archive = ImageHandle(open_image(f"docker-archive:{saved}"))
    assert archive.file("/opq/b/new").content == b"n\n"
    assert archive.file("/data/sl").text == image.file("/etc/passwd").text


def test_globs_config_history_user(image: ImageHandle) -> None:
    assert [f.path for f in image.files("/opq/**")] == ["/opq/b", "/opq/b/new"]
    assert [f.path for f in image.files("/etc/*sw*")] == ["/etc/passwd"]
    assert image.user == "" and "PATH" in image.env
    assert any("rm -rf /data/gone" in h.created_by for h in image.history)
    assert image.config.working_dir == "" and TAG in image.repo_tags


def test_run_is_opt_in_and_cleans_up(image: ImageHandle, docker_client: Any) -> None:
    result = image.run("echo out; echo err >&2; exit 3")
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert image.run(["/bin/cat", "/data/keep"]).stdout == "f\n"
    assert image.run("wget -q -T 2 -O- http://127.0.0.1:9/ ; echo $?").stdout.strip() != "0"
    leftovers = docker_client.containers.list(all=True, filters={"label": "io.ctrsec.throwaway"})
    assert leftovers == []
    locked = ImageHandle(image.model, allow_run=False)
    with pytest.raises(CannotEvaluate, match="--ctrsec-allow-run"):
        locked.run("true")


STRUCTURE = """\
schemaVersion: "2.0.0"
globalEnvVars:
  - {key: GREETING, value: hello}
fileExistenceTests:
  - name: busybox
    path: /bin/busybox
    shouldExist: true
    permissions: "-rwxr-xr-x"
    uid: 0
    isExecutableBy: any
  - name: no shadow backup
    path: /etc/shadow-
    shouldExist: false
  - name: wrong perms
    path: /data/ww
    permissions: "-rw-r--r--"
fileContentTests:
  - name: passwd has app
    path: /etc/passwd
    expectedContents: ["(?m)^app:x:1000"]  # Go: ^ is the text start without (?m)
    excludedContents: ["^toor:"]
  - name: keep says g
    path: /data/keep
    expectedContents: ["^g$"]
metadataTest:
  envVars:
    - {key: PATH, value: "/usr/.*bin", isRegex: true}
  unboundEnvVars: [{key: SECRET}]
  exposedPorts: []
  user: ""
commandTests:
  - name: greeting
    command: sh
    args: ["-c", "echo $GREETING; exit 4"]
    expectedOutput: ["^hello$"]
    exitCode: 4
  - name: wrong exit
    command: "true"
    exitCode: 1
  - name: with setup
    setup: [["touch", "/x"]]
    command: ls
licenseTests:
  - debian: true
"""


def _outcomes(image: ImageHandle, path: Path) -> dict[str, str]:
    out = {}
    for test in load_structure_tests(path):
        try:
            test.run(image)
            out[test.name] = "passed"
        except AssertionError as err:
            out[test.name] = "failed: " + str(err).splitlines()[0]
        except CannotEvaluate as err:
            out[test.name] = "skipped: " + str(err)
    return out


def test_structure_tests_run_as_tests(image: ImageHandle, tmp_path: Path) -> None:
    path = tmp_path / "cst.yaml"
    path.write_text(STRUCTURE)
    tests = load_structure_tests(path)
    assert [t.test_id for t in tests][:3] == ["fileExistenceTests[busybox]",
                                              "fileExistenceTests[no shadow backup]",
                                              "fileExistenceTests[wrong perms]"]
    assert tests[0].line == 5
    assert _outcomes(image, path) == {
        "busybox": "passed",
        "no shadow backup": "passed",
        "wrong perms": "failed: /data/ww has permissions -rw-rw-rw-, expected -rw-r--r--",
        "passwd has app": "passed",
        "keep says g": "failed: /data/keep does not contain /^g$/",
        "greeting": "passed",
        "wrong exit": "failed: true exited 0, expected 1",
        "with setup": "skipped: setup commands are not supported",
        "metadata": "passed",
        "license": "skipped: licenseTests are not supported by pytest-ctrsec",
    }
    locked = ImageHandle(image.model, allow_run=False)
    assert _outcomes(locked, path)["greeting"].startswith("skipped: running containers is not")


@pytest.mark.parametrize("text, error, message", [
    ("schemaVersion: '1.0.0'\n", SchemaError, 'schemaVersion must be "2.0.0"'),
    ("schemaVersion: '2.0.0'\nfileTests: []\n", SchemaError, "unknown key 'fileTests'"),
    ("schemaVersion: '2.0.0'\nfileExistenceTests:\n  - path: /x\n", SchemaError, "has no name"),
    ("schemaVersion: '2.0.0'\nfileExistenceTests:\n  - name: a\n", SchemaError,
     "missing required field 'path'"),
    ("schemaVersion: '2.0.0'\nfileContentTests:\n"
     "  - {name: a, path: /x, expectedContents: ['(']}\n",
     SchemaError, "bad regular expression"),
    ("schemaVersion: [\n", ParseError, "invalid YAML"),
])
def test_bad_structure_files(tmp_path: Path, text: str, error: type, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(error, match=message) as err:
        load_structure_tests(path)
    assert str(err.value).startswith(str(path))


def test_image_facts_for_compose_and_container_rules(docker_client: Any) -> None:
    from images import build_image

    from pytest_ctrsec.targets.image import image_facts

    build_image(docker_client, "ctrsec-test/image-facts:1",
                ["USER boss", 'HEALTHCHECK CMD ["/bin/true"]'],
                files={"etc/passwd": b"root:x:0:0::/root:/bin/sh\nboss:x:0:0::/:/bin/sh\n"
                                     b"app:x:1000:1000::/:/bin/sh\n"})
    facts = image_facts("ctrsec-test/image-facts:1")
    assert facts is not None
    assert (facts.user, facts.healthcheck) == ("boss", ("CMD", "/bin/true"))
    assert facts.passwd == {"root": 0, "boss": 0, "app": 1000}
    assert image_facts("ctrsec-test/does-not-exist:0") is None


def test_a_broken_image_is_read_once(tmp_path: Path) -> None:
    from pytest_ctrsec.errors import InputError

    path = tmp_path / "broken.tar"
    path.write_bytes(b"not an archive" * 100)
    calls = []
    model = open_image(f"docker-archive:{path}")
    loader = model.loader
    object.__setattr__(model, "loader", lambda: calls.append(1) or loader())
    for _ in range(3):
        with pytest.raises(InputError, match="not a tar archive"):
            model.fs  # noqa: B018
    assert calls == [1]


def test_prefetch_reads_several_files_in_one_pass(image: ImageHandle, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_ctrsec import image_api, structure_test

    calls: list[dict[int, set[str]]] = []
    real = image_api.read_files

    def counting(source: Any, wants: dict[int, set[str]]) -> dict[tuple[int, str], bytes]:
        calls.append(wants)
        return real(source, wants)

    monkeypatch.setattr(image_api, "read_files", counting)
    fresh = ImageHandle(image.model)
    path = tmp_path / "cst.yaml"
    path.write_text("schemaVersion: '2.0.0'\nfileContentTests:\n"
                    "  - {name: a, path: /opq/b/new, expectedContents: ['n']}\n"
                    "  - {name: b, path: /data/keep, expectedContents: ['f']}\n"
                    "  - {name: c, path: /etc/passwd, expectedContents: ['root']}\n")
    tests = structure_test.load_structure_tests(path)
    assert [t.reads for t in tests] == [("/opq/b/new",), ("/data/keep",), ("/etc/passwd",)]
    structure_test.prefetch(tests, fresh)
    for t in tests:
        t.run(fresh)
    assert len(calls) == 1 and sorted(p for ps in calls[0].values() for p in ps) == [
        "data/keep", "opq/b/new"]  # /etc/passwd was captured by the layer pass


def test_handle_is_an_assert_check_subject(image: ImageHandle) -> None:
    (result,) = assert_fails("image.user-not-root", image)  # USER is not set: root
    assert result.target.name == f"image:{TAG}" and result.target.model is image.model
    assert_check("image.no-sensitive-volumes", [image])
    assert repr(image.file("/data/tmp").mode) == "0o1777"
