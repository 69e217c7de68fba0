"""Images, Dockerfiles and container-structure-tests through the plugin itself, on images
built on the real engine."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from images import build_image
from shared import REPO_ROOT

BAD = "ctrsec-test/plugin-bad:1"
GOOD = "ctrsec-test/plugin-good:1"


@pytest.fixture(scope="module")
def images(docker_client: Any) -> tuple[str, str]:
    # COPY drops setuid bits from the build context, so set it in a RUN step.
    build_image(docker_client, BAD, ['RUN ["/bin/chmod", "4755", "/usr/bin/helper"]'],
                files={"usr/bin/helper": (b"#!/bin/sh\n", 0o755)})
    passwd = b"root:x:0:0::/root:/bin/sh\napp:x:10001:10001::/home/app:/bin/false\n"
    build_image(docker_client, GOOD, ["USER 10001", 'HEALTHCHECK CMD ["/bin/true"]'],
                files={"etc/passwd": passwd})
    return BAD, GOOD


def _rows(p: pytest.Pytester) -> dict[tuple[str, str], str]:
    doc = json.loads(p.path.joinpath("r.json").read_text())
    return {(r["check"], r["target"]): r["outcome"] for r in doc["results"]}


def test_bundled_image_checks_judge_each_image(pytester: pytest.Pytester,
                                               images: tuple[str, str]) -> None:
    bad, good = images
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ctrsec-image={bad}",
                                           f"--ctrsec-image={good}", "--ctrsec-json=r.json")
    rows = _rows(pytester)
    assert rows[("image.user-not-root", f"image:{bad}")] == "failed"
    assert rows[("image.user-not-root", f"image:{good}")] == "passed"
    assert rows[("image.no-setuid-files", f"image:{bad}")] == "failed"
    assert rows[("image.no-setuid-files", f"image:{good}")] == "passed"
    assert rows[("image.healthcheck-defined", f"image:{good}")] == "passed"
    assert f"test_user_not_root[{bad}] FAILED" in result.stdout.str() or result.ret == 1
    assert "Traceback" not in result.stdout.str()


def test_user_tests_get_the_image_and_structure_tests_run(pytester: pytest.Pytester,
                                                          images: tuple[str, str]) -> None:
    _, good = images
    pytester.makepyfile(test_mine=textwrap.dedent('''
        def test_app_user(ctrsec_image):
            assert ctrsec_image.user == "10001"
            assert "app:x:10001" in ctrsec_image.file("/etc/passwd").text
            assert ctrsec_image.file("/bin/busybox").is_file
    '''))
    pytester.path.joinpath("st.yaml").write_text(textwrap.dedent('''
        schemaVersion: "2.0.0"
        fileExistenceTests:
          - name: busybox
            path: /bin/busybox
            shouldExist: true
          - name: no shadow
            path: /etc/shadow
            shouldExist: true
        metadataTest:
          user: "10001"
    '''))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ctrsec-image={good}",
                                           "--ctrsec-structure-test=st.yaml", "-v")
    out = result.stdout.str()
    assert "test_mine.py::test_app_user PASSED" in out
    assert f"test_structure[{good}::fileExistenceTests[busybox]] PASSED" in out
    assert f"test_structure[{good}::fileExistenceTests[no shadow]] FAILED" in out
    assert f"test_structure[{good}::metadataTest[metadata]] PASSED" in out
    assert "st.yaml:7: fileExistenceTests[no shadow]" in out
    # the structure tests are the user's own: --ctrsec-no-bundled drops only the bundled checks
    alone = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ctrsec-image={good}",
                                          "--ctrsec-structure-test=st.yaml", "-v",
                                          "--ctrsec-no-bundled")
    out = alone.stdout.str()
    assert f"test_structure[{good}::fileExistenceTests[busybox]] PASSED" in out
    assert "test_mine.py::test_app_user PASSED" in out and "test_user_not_root" not in out


def test_unknown_image_is_one_clear_line(pytester: pytest.Pytester, docker_client: Any) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--ctrsec-image=ctrsec-test/not-there:0")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret != 0
    assert "ctrsec-test/not-there:0" in out
    assert "Traceback" not in out


def test_dockerfile_checks_report_file_and_line(pytester: pytest.Pytester) -> None:
    dockerfile = REPO_ROOT / "tests" / "fixtures" / "dockerfile" / "user-not-root" / "fail.Dockerfile"
    pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ctrsec-dockerfile={dockerfile}",
                                  "--ctrsec-json=r.json")
    doc = json.loads(pytester.path.joinpath("r.json").read_text())
    row = next(r for r in doc["results"] if r["check"] == "dockerfile.user-not-root")
    assert row["outcome"] == "failed"
    loc = row["findings"][0]["location"]
    assert loc["path"] == str(dockerfile) and loc["line"] >= 1
