"""The container target on the real engine: which containers an option selects, the model's
Engine-API helpers (files, processes, testinfra host), the bundled checks end to end, and bad
input (unknown container, engine not answering, socket without permission) as one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from containers import APP, NOSHELL, Lab, build_app, build_noshell, hardened, require_option
from registry import free_port
from shared import shared_path

from pytest_ctrsec.errors import InputError, TargetUnavailable
from pytest_ctrsec.targets.container import Container, NoShell, load_containers, load_targets


@pytest.fixture(scope="module")
def lab(docker_client: Any) -> Iterator[Lab]:
    build_app(docker_client)
    build_noshell(docker_client)
    lab = Lab(docker_client)
    net = lab.network()
    lab.create("web", hardened(net, free_port()), start=True)
    lab.create("worker", dict(image=APP, network=net), start=True)
    lab.create("idle", dict(image=APP))
    lab.create("bare", dict(image=NOSHELL), start=True)
    yield lab
    lab.close()


def name(lab: Lab, short: str) -> str:
    return f"ctrsec-test-{short}-{lab.tag}"


def test_target_names_a_container_by_name(lab: Lab) -> None:
    (target,) = load_targets(SimpleNamespace(container=(name(lab, "web"),)))
    assert target.model_type == "container" and target.kind == "container"
    assert target.name == f"container:{name(lab, 'web')}" and target.label == name(lab, "web")
    assert target.source == "unix:///var/run/docker.sock"
    assert target.model.settings.name == name(lab, "web")
    assert target.annotations["status"] == "running" and target.annotations["image"] == APP


def test_running_selects_running_containers_only(lab: Lab) -> None:
    names = {c.name for c in load_containers(["running"])}
    assert {name(lab, "web"), name(lab, "worker"), name(lab, "bare")} <= names
    assert name(lab, "idle") not in names


def test_label_filter_and_ids_without_repeats(lab: Lab, docker_client: Any) -> None:
    by_label = load_containers([f"label:ctrsec.test={lab.tag}"])
    assert sorted(c.name for c in by_label) == sorted(
        name(lab, n) for n in ("web", "worker", "bare"))
    idle_id = docker_client.containers.get(name(lab, "idle")).id
    mixed = load_containers([idle_id[:12], name(lab, "idle"), f"label:ctrsec.test={lab.tag}"])
    assert [c.name for c in mixed][0] == name(lab, "idle") and len(mixed) == 4


def test_created_container_has_inspect_data_but_no_processes(lab: Lab) -> None:
    (idle,) = load_containers([name(lab, "idle")])
    assert idle.status == "created" and not idle.running
    assert idle.processes is None and "created" in idle.processes_reason
    assert idle.settings.image_ref == APP and idle.inspect["State"]["Status"] == "created"


def test_processes_come_from_the_engine(lab: Lab) -> None:
    (web,) = load_containers([name(lab, "web")])
    assert [(p.name, p.uid) for p in web.processes or ()] == [("sleep", 1000)]
    assert web.processes and web.processes[0].command == "sleep 3600"


def test_files_are_read_through_the_archive_api(lab: Lab) -> None:
    (web,) = load_containers([name(lab, "web")])
    assert b"app:x:1000:1000" in web.read_file("/etc/passwd")
    assert web.read_file("/bin/sh")[:4] == b"\x7fELF"  # a symlink to busybox, followed
    assert web.exists("/etc/passwd") and not web.exists("/etc/shadow")
    with pytest.raises(FileNotFoundError, match="no such file"):
        web.read_file("/etc/shadow")
    with pytest.raises(IsADirectoryError):
        web.read_file("/etc")
    with pytest.raises(InputError, match="more than the 10 bytes"):
        web.read_file("/etc/passwd", limit=10)


def test_files_of_a_container_that_is_not_running(lab: Lab) -> None:
    (idle,) = load_containers([name(lab, "idle")])
    assert idle.read_file("/etc/passwd").startswith(b"root:x:0:0")


def test_host_runs_commands_through_testinfra(lab: Lab) -> None:
    (web,) = load_containers([name(lab, "web")])
    host = web.host
    assert host.run("id -u").stdout.strip() == "1000"
    assert host.file("/etc/passwd").contains("toor")


def test_host_without_shell_says_so_and_the_engine_api_still_answers(lab: Lab) -> None:
    (bare,) = load_containers([name(lab, "bare")])
    with pytest.raises(NoShell, match=r"has no shell \(/bin/sh not found\)"):
        bare.host  # noqa: B018 - the property is the call under test
    assert bare.read_file("/sleep")[:4] == b"\x7fELF"
    assert [p.name for p in bare.processes or ()] == ["sleep"]


def test_host_of_a_stopped_container_says_it_is_not_running(lab: Lab) -> None:
    (idle,) = load_containers([name(lab, "idle")])
    with pytest.raises(NoShell, match="is created: testinfra needs a running container"):
        idle.host  # noqa: B018


# --- bad input: one line each -----------------------------------------------------------

def test_unknown_container_is_one_line(docker_client: Any) -> None:
    with pytest.raises(TargetUnavailable) as err:
        load_targets(SimpleNamespace(container=("ctrsec-no-such-container",)))
    text = str(err.value)
    assert "\n" not in text
    assert "'ctrsec-no-such-container'" in text and "no such container" in text


def test_engine_not_answering_is_one_line(tmp_path: Path) -> None:
    url = f"unix://{tmp_path}/nothing.sock"
    with pytest.raises(TargetUnavailable) as err:
        load_containers(["running"], url=url)
    text = str(err.value)
    assert "\n" not in text and url in text and "does not answer" in text


def _run_pytest(pytester: pytest.Pytester, *args: str, env: dict[str, str] | None = None,
                prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """pytest in a child process (so its environment and capabilities are its own)."""
    require_option("container")
    cmd = [*prefix, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(cmd, cwd=pytester.path, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def _one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    output = run.stdout + run.stderr
    assert run.returncode == 4, output  # pytest's usage error
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, output
    return errors[0]


def test_unknown_container_on_the_command_line(pytester: pytest.Pytester,
                                               docker_client: Any) -> None:
    line = _one_error_line(_run_pytest(pytester, "--ctrsec-container=ctrsec-no-such"))
    assert "container 'ctrsec-no-such': no such container" in line


def test_engine_not_answering_on_the_command_line(pytester: pytest.Pytester) -> None:
    url = f"unix://{pytester.path}/no-engine.sock"
    line = _one_error_line(_run_pytest(pytester, "--ctrsec-container=running",
                                       env={"DOCKER_HOST": url}))
    assert f"Docker engine at {url} does not answer" in line


def test_socket_without_permission_on_the_command_line(pytester: pytest.Pytester) -> None:
    """A socket the user may not open: root without the capability that overrides file
    modes meets a socket of mode 000 as any user would meet /var/run/docker.sock."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop its own file-mode override")
    path = pytester.path / "denied.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen()
        path.chmod(0)
        drop = "-dac_override,-dac_read_search"
        run = _run_pytest(pytester, "--ctrsec-container=running",
                          env={"DOCKER_HOST": f"unix://{path}"},
                          prefix=("setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"))
    line = _one_error_line(run)
    assert f"unix://{path}" in line and "ermission denied" in line


# --- end to end ---------------------------------------------------------------------------

def test_bundled_checks_on_a_container_end_to_end(pytester: pytest.Pytester, lab: Lab) -> None:
    web = name(lab, "web")
    report = pytester.path / "out.json"
    run = _run_pytest(pytester, f"--ctrsec-container={web}", f"--ctrsec-json={report}")
    rows = json.loads(report.read_text())["results"]
    by_check = {r["check"]: r for r in rows}
    catalogue = shared_path("CHECKS.md").read_text()
    assert all(f"`{cid}`" in catalogue or cid.split(".", 1)[1] in catalogue
               for cid in by_check)
    assert {r["target"] for r in rows} == {f"container:{web}"}
    assert by_check["container.no-sshd"]["outcome"] == "passed"
    assert by_check["container.not-on-default-bridge"]["outcome"] == "passed"
    failed = {c for c, r in by_check.items() if r["outcome"] == "failed"}
    assert failed == {"container.image-digest-pinned"}, run.stdout[-3000:]
    assert f"test_image_digest_pinned[{web}] FAILED" in run.stdout or run.returncode == 1
