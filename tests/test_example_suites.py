"""Every example suite run the way its docs say, from a copy of ``example_suites/`` laid out as
in a clone, with the outcomes its docs promise: which of the team's tests pass, which bundled
checks fail (or are waived) on purpose, and the exit code. The image and runtime examples
build and start what their own scripts do on the real engine."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "example_suites"
COMPOSE = "compose:example_suites/compose/compose.yaml"
# tagged per process: two runs on one engine must not remove each other's images
IMAGE_TAG = f"ctrsec-test/examples-image:{os.getpid()}"
CARELESS_TAG = f"ctrsec-test/examples-image-careless:{os.getpid()}"
RUNTIME_TAG = f"ctrsec-test/examples-runtime:{os.getpid()}"

Rows = dict[tuple[str, str], dict[str, Any]]


def copy_examples(dest: Path, *names: str) -> Path:
    for name in names:
        shutil.copytree(EXAMPLES / name, dest / "example_suites" / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache",
                                                      ".benchmarks", "busybox"))
    return dest / "example_suites"


def run(p: pytest.Pytester, *args: str) -> pytest.RunResult:
    return p.runpytest_subprocess("-p", "no:cacheprovider", "--ctrsec-json=report.json",
                                  "--junitxml=junit.xml", *args)


def bundled(where: Path) -> Rows:
    """The bundled results of the JSON report, by (check, target)."""
    rows = json.loads((where / "report.json").read_text())["results"]
    return {(r["check"], r["target"]): r for r in rows}


def having(rows: Rows, outcome: str) -> set[tuple[str, str]]:
    return {key for key, row in rows.items() if row["outcome"] == outcome}


def team(where: Path, module: str) -> dict[str, str]:
    """The outcome of each of the team's tests in ``module``, from the JUnit report."""
    out = {}
    for case in ET.parse(where / "junit.xml").iter("testcase"):
        if case.get("classname", "").endswith(module):
            kinds = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
            out[case.get("name", "")] = kinds[0] if kinds else "passed"
    return out


def assert_quiet(result: pytest.RunResult) -> None:
    """No warning, traceback or error line reaches the user."""
    out = result.stdout.str() + result.stderr.str()
    for noise in ("warnings summary", "Traceback", "Warning:", "INTERNALERROR"):
        assert noise not in out, out


# --- compose -------------------------------------------------------------------------------

COMPOSE_FAILURES = {
    *((check, f"{COMPOSE}#worker") for check in (
        "compose.no-runtime-socket-mount", "compose.no-dangerous-capabilities",
        "compose.no-secrets-in-env", "compose.capabilities-dropped",
        "compose.no-new-privileges", "compose.read-only-rootfs", "compose.image-digest-pinned",
        "compose.logs-rotated", "compose.memory-limited", "compose.cpu-limited",
        "compose.pids-limited")),
    *((check, f"{COMPOSE}#db") for check in (
        "compose.ports-bound-to-interface", "compose.capabilities-dropped",
        "compose.read-only-rootfs", "compose.image-digest-pinned", "compose.logs-rotated",
        "compose.cpu-limited", "compose.pids-limited")),
    ("compose.no-hardcoded-secrets", COMPOSE),
}
COMPOSE_SKIPS = {("compose.user-not-root", f"{COMPOSE}#worker"),
                 ("compose.healthcheck-defined", f"{COMPOSE}#worker"),
                 ("compose.healthcheck-defined", f"{COMPOSE}#db")}


def test_compose_example(pytester: pytest.Pytester) -> None:
    copy_examples(pytester.path, "compose")
    result = run(pytester, "example_suites/compose",
                 "--ctrsec-compose=example_suites/compose/compose.yaml")
    assert result.ret == 1
    assert_quiet(result)
    assert team(pytester.path, "test_shop_policy") == {
        "test_public_services_are_hardened": "passed",
        "test_only_web_publishes_ports": "failure",
        "test_no_service_mounts_the_docker_socket": "failure",
        "test_debug_tools_stay_behind_a_profile": "passed",
    }
    rows = bundled(pytester.path)
    assert having(rows, "failed") == COMPOSE_FAILURES
    assert having(rows, "skipped") == COMPOSE_SKIPS
    assert having(rows, "passed") == set(rows) - COMPOSE_FAILURES - COMPOSE_SKIPS
    assert {t for _, t in having(rows, "passed")} >= {f"{COMPOSE}#web", COMPOSE}
    # The secret comes from the deployment's environment: nothing that git's modes could
    # break in a fresh clone, and the secret's name is not taken for a credential.
    assert rows[("compose.secret-files-protected", COMPOSE)]["outcome"] == "passed"
    found = rows[("compose.no-hardcoded-secrets", COMPOSE)]["findings"]
    assert sorted((f["location"]["path"], f["location"]["line"]) for f in found) == [
        ("example_suites/compose/.env", 1), ("example_suites/compose/compose.yaml", 35)]


def test_compose_example_with_the_debug_profile(pytester: pytest.Pytester) -> None:
    copy_examples(pytester.path, "compose")
    result = run(pytester, "example_suites/compose", "--ctrsec-compose-profile=debug",
                 "--ctrsec-compose=example_suites/compose/compose.yaml")
    assert result.ret == 1
    assert team(pytester.path, "test_shop_policy")[
        "test_debug_tools_stay_behind_a_profile"] == "failure"
    admin = {c for c, t in having(bundled(pytester.path), "failed") if t == f"{COMPOSE}#admin"}
    assert {"compose.no-privileged", "compose.no-host-network"} <= admin


# --- Kubernetes ----------------------------------------------------------------------------

def test_k8s_example(pytester: pytest.Pytester) -> None:
    copy_examples(pytester.path, "k8s")
    result = run(pytester, "example_suites/k8s", "--ctrsec-k8s=example_suites/k8s/manifests")
    assert result.ret == 0
    assert_quiet(result)
    assert set(team(pytester.path, "test_shop_k8s_policy").values()) == {"passed"}
    assert len(team(pytester.path, "test_shop_k8s_policy")) == 4
    rows = bundled(pytester.path)
    assert rows and having(rows, "passed") == set(rows)
    assert {t for _, t in rows} >= {"k8s:example_suites/k8s/manifests/shop.yaml#shop/Deployment/web"}


# --- CI ------------------------------------------------------------------------------------

def _pytest_args(command: str) -> list[str]:
    argv = shlex.split(command)
    assert argv[0] == "pytest", command
    return argv[1:]


def _workflow_commands() -> dict[str, list[str]]:
    github = yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text())
    gitlab = yaml.safe_load((EXAMPLES / "ci" / "gitlab-ci.yml").read_text())
    steps = [s["run"] for s in github["jobs"]["ctrsec"]["steps"] if "pytest " in s.get("run", "")]
    scripts = [s for s in gitlab["container-security"]["script"] if s.startswith("pytest")]
    assert len(steps) == len(scripts) == 1
    return {"github": _pytest_args(steps[0]), "gitlab": _pytest_args(scripts[0])}


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_ci_workflows_gate_a_repository(pytester: pytest.Pytester, ci: str) -> None:
    # A user's repository: the compose project at its root, the waiver file beside it.
    for name in ("compose.yaml", ".env"):
        shutil.copy(EXAMPLES / "compose" / name, pytester.path / name)
    shutil.copy(EXAMPLES / "ci" / "ctrsec-waivers.yaml", pytester.path / ".ctrsec-waivers.yaml")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *_workflow_commands()[ci])
    assert result.ret == 1  # the worker's critical and high findings
    assert_quiet(result)
    report = json.loads((pytester.path / "ctrsec.json").read_text())
    waived = {(r["check"], r["target"]) for r in report["results"] if r["outcome"] == "waived"}
    assert waived == {("compose.read-only-rootfs", "compose:compose.yaml#db"),
                      ("compose.image-digest-pinned", "compose:compose.yaml#db"),
                      ("compose.image-digest-pinned", "compose:compose.yaml#worker")}, \
        "a waiver of example_suites/ci/ctrsec-waivers.yaml expired or matches no more"
    sarif = json.loads((pytester.path / "ctrsec.sarif").read_text())
    suppressed = [r for run_ in sarif["runs"] for r in run_["results"] if r.get("suppressions")]
    assert len(suppressed) == 3
    skipped = [c for c in ET.parse(pytester.path / "ctrsec-junit.xml").iter("testcase")
               if c.find("skipped") is not None]
    assert len(skipped) == 3 + len(COMPOSE_SKIPS)


def test_ci_readme_tries_the_gate_on_the_compose_example(pytester: pytest.Pytester,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    text = (EXAMPLES / "ci" / "README.md").read_text()
    command = text.split("    cd example_suites/compose\n", 1)[1].split("\n\n", 1)[0]
    args = _pytest_args(command.replace("\\\n", " ").replace("/tmp/", "../../"))
    copy_examples(pytester.path, "compose", "ci")
    monkeypatch.chdir(pytester.path / "example_suites" / "compose")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    # The team's two failing tests, and the bundled failures less the three waived ones.
    assert (outcomes["failed"], outcomes["xfailed"], outcomes["skipped"]) == (
        2 + len(COMPOSE_FAILURES) - 3, 3, len(COMPOSE_SKIPS))
    assert (pytester.path / "ctrsec.json").exists() and (pytester.path / "ctrsec.sarif").exists()


# --- image ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example_image(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The image example built by its own script (from a copy, without the build cache)."""
    examples = copy_examples(tmp_path_factory.mktemp("image"), "image")
    subprocess.run([str(examples / "image" / "build.sh"), IMAGE_TAG, "--no-cache"], check=True,
                   capture_output=True)
    yield IMAGE_TAG
    _remove_image(docker_client, IMAGE_TAG)


def _remove_image(client: Any, tag: str) -> None:
    from docker.errors import ImageNotFound

    try:
        client.images.remove(tag, force=True)
    except ImageNotFound:
        pass


def image_args(tag: str) -> list[str]:
    return ["example_suites/image", f"--ctrsec-image={tag}",
            "--ctrsec-dockerfile=example_suites/image/Dockerfile",
            "--ctrsec-waivers=example_suites/image/ctrsec-waivers.yaml"]


def test_image_example(pytester: pytest.Pytester, example_image: str) -> None:
    copy_examples(pytester.path, "image")
    result = run(pytester, *image_args(example_image))
    assert result.ret == 0
    assert_quiet(result)
    assert team(pytester.path, "test_image_policy") == {
        "test_runs_as_the_app_user": "passed",
        "test_content_is_read_only_for_the_app_user": "passed",
        "test_cgi_scripts_are_executable": "passed",
        "test_only_what_the_service_runs": "passed",
        "test_starts_the_service_with_a_health_check": "passed",
        "test_health_endpoint_answers": "skipped",  # needs --ctrsec-allow-run
    }
    rows = bundled(pytester.path)
    target = f"image:{example_image}"
    assert having(rows, "waived") == {("image.minimal-tooling", target)}
    assert "wget" in rows[("image.minimal-tooling", target)]["waiver"]["reason"]
    assert having(rows, "skipped") == {("image.no-known-vulnerabilities", target)}
    assert having(rows, "failed") == set()
    assert {c.split(".")[0] for c, _ in having(rows, "passed")} == {"image", "dockerfile"}


def test_image_example_with_structure_tests_and_a_container(pytester: pytest.Pytester,
                                                            example_image: str) -> None:
    copy_examples(pytester.path, "image")
    result = run(pytester, *image_args(example_image), "--ctrsec-allow-run",
                 "--ctrsec-structure-test=example_suites/image/structure.yaml")
    assert result.ret == 0
    assert_quiet(result)
    assert team(pytester.path, "test_image_policy")["test_health_endpoint_answers"] == "passed"
    structure = team(pytester.path, "test_structure")
    assert len(structure) == 5 and set(structure.values()) == {"passed"}


def test_image_example_from_an_archive(pytester: pytest.Pytester, example_image: str,
                                       docker_client: Any) -> None:
    copy_examples(pytester.path, "image")
    with open(pytester.path / "app.tar", "wb") as out:
        out.writelines(docker_client.images.get(example_image).save(named=True))
    result = run(pytester, "example_suites/image", "--ctrsec-image=docker-archive:app.tar",
                 "--ctrsec-no-bundled")
    result.assert_outcomes(passed=5, skipped=1)


CARELESS = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY files/app/ /src/app/
COPY files/app/ /srv/app/
ENTRYPOINT ["httpd", "-f", "-p", "8080", "-h", "/srv/app/www"]
"""


def test_the_team_tests_fail_on_a_careless_build(pytester: pytest.Pytester,
                                                 docker_client: Any) -> None:
    """Each of the team's file and config tests means something: a single-stage build of the
    same site, with every applet, the sources left behind, the checkout's loose modes, root
    and no health check fails every one of them."""
    from images import build_image

    build_image(docker_client, CARELESS_TAG, dockerfile=CARELESS, files={
        "app/www/index.html": (b"<title>catalogue</title>\n", 0o664),
        "app/www/cgi-bin/healthz": (b"#!/bin/sh\necho ok\n", 0o644)})
    try:
        copy_examples(pytester.path, "image")
        result = run(pytester, "example_suites/image", f"--ctrsec-image={CARELESS_TAG}",
                     "--ctrsec-no-bundled")
        outcomes = team(pytester.path, "test_image_policy")
    finally:
        _remove_image(docker_client, CARELESS_TAG)
    assert result.ret == 1
    assert outcomes.pop("test_health_endpoint_answers") == "skipped"
    assert set(outcomes.values()) == {"failure"}, outcomes


# --- runtime -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


RUNTIME_FAILURES = {("container.image-digest-pinned", "container:shop-web"), *(
    (check, "container:shop-cache") for check in (
        "container.user-not-root", "container.capabilities-dropped",
        "container.no-new-privileges", "container.read-only-rootfs",
        "container.image-digest-pinned", "container.logs-rotated", "container.memory-limited",
        "container.cpu-limited", "container.pids-limited", "container.not-on-default-bridge"))}


def test_runtime_example(pytester: pytest.Pytester, docker_client: Any,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    examples = copy_examples(pytester.path, "runtime")
    up = str(examples / "runtime" / "up.sh")
    monkeypatch.setenv("SHOP_PORT", str(_free_port()))
    monkeypatch.setenv("SHOP_IMAGE", RUNTIME_TAG)
    try:
        subprocess.run([up], check=True, capture_output=True)
        result = run(pytester, "example_suites/runtime",
                     "--ctrsec-container=label:com.example.stack=shop")
    finally:
        subprocess.run([up, "down"], check=True, capture_output=True)
        _remove_image(docker_client, RUNTIME_TAG)
    assert result.ret == 1
    assert_quiet(result)
    assert set(team(pytester.path, "test_shop_runtime").values()) == {"passed"}
    assert len(team(pytester.path, "test_shop_runtime")) == 5
    rows = bundled(pytester.path)
    assert {t for _, t in rows} == {"container:shop-web", "container:shop-cache"}
    assert having(rows, "failed") == RUNTIME_FAILURES
    assert having(rows, "passed") == set(rows) - RUNTIME_FAILURES
    # up.sh down leaves nothing behind.
    assert not docker_client.containers.list(all=True,
                                             filters={"label": "com.example.stack=shop"})
    assert not docker_client.networks.list(names=["shop-net"])
