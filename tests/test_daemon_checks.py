"""Every daemon.* check, both ways, against second dockerds the tests start (tests/dockerd.py):
a hardened one, a careless one, and one configured by flags alone without a daemon.json.
A daemon seen from afar (over TCP) makes the host-only checks skip with the reason."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from dockerd import (
    AUTHZ_PLUGIN,
    REMAP_USER,
    Dockerd,
    Options,
    authz_plugin,
    can_run_dockerd,
    make_client_cert,
    make_tls,
    namespace_port,
    start_dockerd,
    tcp_forward,
)
from containers import require_option
from shared import shared_path

from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.targets.daemon import Daemon, load_daemon, load_targets

IDS = sorted(set(re.findall(r"`(daemon\.[a-z-]+)`", shared_path("CHECKS.md").read_text())))
# Checks that need the host's view (flags, daemon.json, file modes): a remote daemon skips.
HOST_ONLY = {"daemon.log-level-info", "daemon.iptables-enabled", "daemon.tls-on-tcp",
             "daemon.no-new-privileges-default", "daemon.userland-proxy-disabled",
             "daemon.socket-permissions", "daemon.config-file-permissions"}
BAD_TCP = "tcp://127.0.0.1:2375"


@pytest.fixture(scope="module", autouse=True)
def _needs_dockerd() -> None:
    why = can_run_dockerd()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the daemon tests: {why}", pytrace=False)
        pytest.skip(why)


def load(url: str, content_trust: str | None = None) -> Daemon:
    """A fresh model (not the session cache), with DOCKER_CONTENT_TRUST as given."""
    with pytest.MonkeyPatch.context() as mp:
        if content_trust is None:
            mp.delenv("DOCKER_CONTENT_TRUST", raising=False)
        else:
            mp.setenv("DOCKER_CONTENT_TRUST", content_trust)
        return load_daemon.__wrapped__(url)


@pytest.fixture(scope="module")
def good() -> Iterator[Dockerd]:
    """Hardened: every daemon.* check passes."""
    plugins = Path(tempfile.mkdtemp(prefix="ctrsec-plugins-"))
    tls_dir = Path(tempfile.mkdtemp(prefix="ctrsec-tls-"))
    config = {
        "icc": False, "log-level": "info", "userns-remap": REMAP_USER,
        "authorization-plugins": [AUTHZ_PLUGIN], "no-new-privileges": True,
        "log-driver": "syslog", "log-opts": {"syslog-address": "udp://127.0.0.1:514"},
        "live-restore": True, "userland-proxy": False, "tlsverify": True, **make_tls(tls_dir),
    }
    # TCP with client verification, and a default bridge of its own (inside its namespace).
    opts = Options(flags=("--host=tcp://127.0.0.1:2376",), remap_user=True,
                   plugin_dir=plugins, bridge=True)
    try:
        with authz_plugin(plugins):
            daemon = start_dockerd(config, opts)
            yield daemon
            daemon.stop()
    finally:
        shutil.rmtree(plugins, ignore_errors=True)
        shutil.rmtree(tls_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def bad() -> Iterator[Dockerd]:
    """Careless: every daemon.* check fails. Its socket and daemon.json are opened up after
    start (they are the test's own files)."""
    daemon = start_dockerd({
        "icc": True, "log-level": "debug", "iptables": False,
        "insecure-registries": ["registry.example:5000", "10.20.0.0/16"],
        "experimental": True, "live-restore": False, "userland-proxy": True,
    }, Options(flags=(f"--host={BAD_TCP}",), bridge=True))
    daemon.socket.chmod(0o666)
    daemon.config_path.chmod(0o666)
    os.chown(daemon.config_path, 1, 1)
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def flags_only() -> Iterator[Dockerd]:
    """Hardening by dockerd flags, with no daemon.json at all."""
    daemon = start_dockerd(None, Options(flags=(
        "--icc=false", "--no-new-privileges", "--userland-proxy=false", "--live-restore",
        "--log-level=info")))
    yield daemon
    daemon.stop()


def verdict(check_id: str, daemon: Daemon) -> Verdict:
    return registry()[check_id].evaluate(daemon)


def test_every_catalogue_daemon_id_is_registered() -> None:
    assert len(IDS) == 15
    registered = {i for i, c in registry().items() if c.model == "daemon"}
    assert registered == set(IDS)


def test_the_local_dockerd_is_found_by_its_socket(good: Dockerd) -> None:
    daemon = load(good.url)
    assert daemon.pid == good.pid and daemon.local
    assert daemon.cmdline and f"--config-file={good.config_path}" in daemon.cmdline
    assert daemon.config_path == str(good.config_path) and daemon.config
    assert daemon.info["DockerRootDir"].startswith(str(good.root))
    # Its own default bridge (in its own network namespace) answers the icc check.
    assert daemon.default_bridge is not None
    assert daemon.default_bridge["Options"]["com.docker.network.bridge.enable_icc"] == "false"


def test_without_a_default_bridge_icc_has_nothing_to_restrict() -> None:
    """``--bridge=none``: icc governs the default bridge only, and there is none."""
    daemon = start_dockerd({"icc": True})
    try:
        model = load(daemon.url)
        assert model.default_bridge is None and model.networks_listed
        assert verdict("daemon.icc-disabled", model).outcome == "passed"
    finally:
        daemon.stop()


def test_the_configuration_answers_icc_when_networks_cannot_be_listed(bad: Dockerd) -> None:
    daemon = replace(load(bad.url), default_bridge=None, networks_listed=False)
    (finding,) = verdict("daemon.icc-disabled", daemon).findings
    assert "set by daemon.json" in finding.message


@pytest.mark.parametrize("check_id", IDS)
def test_hardened_daemon_passes(check_id: str, good: Dockerd) -> None:
    result = verdict(check_id, load(good.url, content_trust="1"))
    assert result.outcome == "passed", [f.message for f in result.findings] or result.reason


@pytest.mark.parametrize("check_id", IDS)
def test_careless_daemon_fails(check_id: str, bad: Dockerd) -> None:
    result = verdict(check_id, load(bad.url, content_trust="0"))
    assert result.outcome == "failed", result.reason
    assert all(f.message and "\n" not in f.message for f in result.findings)


def test_careless_findings_say_what_and_where(bad: Dockerd) -> None:
    daemon = load(bad.url)
    messages = {cid: [f.message for f in verdict(cid, daemon).findings] for cid in IDS}
    assert any("registry.example:5000" in m for m in messages["daemon.no-insecure-registries"])
    assert any("10.20.0.0/16" in m for m in messages["daemon.no-insecure-registries"])
    assert len(messages["daemon.no-insecure-registries"]) == 2  # not the built-in loopback
    assert any(BAD_TCP in m and "without TLS" in m for m in messages["daemon.tls-on-tcp"])
    assert any("'debug'" in m for m in messages["daemon.log-level-info"])
    assert any("0666" in m for m in messages["daemon.socket-permissions"])
    config_msgs = messages["daemon.config-file-permissions"]
    assert any("0666" in m for m in config_msgs) and any("not root" in m for m in config_msgs)
    # A daemon.json setting is located at its line.
    (icc,) = verdict("daemon.icc-disabled", daemon).findings
    text = bad.config_path.read_text()
    assert icc.location is not None and icc.location.path == str(bad.config_path)
    assert icc.location.line == 1 + text[:text.index('"icc"')].count("\n")


def test_flags_count_like_daemon_json(flags_only: Dockerd) -> None:
    daemon = load(flags_only.url)
    assert daemon.config is None and daemon.config_missing
    for cid in ("daemon.icc-disabled", "daemon.no-new-privileges-default",
                "daemon.userland-proxy-disabled", "daemon.live-restore",
                "daemon.log-level-info"):
        assert verdict(cid, daemon).outcome == "passed", cid
    # Unset settings take dockerd's defaults, and the message says so.
    (finding,) = verdict("daemon.remote-logging", daemon).findings
    assert "json-file" in finding.message


def test_no_daemon_json_makes_the_file_check_skip(flags_only: Dockerd) -> None:
    result = verdict("daemon.config-file-permissions", load(flags_only.url))
    assert result.outcome == "skipped"
    assert "no daemon.json" in result.reason and "does not exist" in result.reason


def test_remote_daemon_skips_what_only_its_host_shows(good: Dockerd) -> None:
    with tcp_forward(good.socket) as url:
        daemon = load(url, content_trust="1")
        results = {cid: verdict(cid, daemon) for cid in IDS}
    assert not daemon.local
    for cid in HOST_ONLY - {"daemon.tls-on-tcp"}:
        assert results[cid].outcome == "skipped", cid
        assert "not reached through a local socket" in results[cid].reason \
            or "daemon.json" in results[cid].reason, (cid, results[cid].reason)
    # What the engine reports about itself is judged from afar too.
    for cid in ("daemon.userns-remap", "daemon.authorization-plugin", "daemon.live-restore",
                "daemon.remote-logging", "daemon.no-insecure-registries",
                "daemon.no-experimental", "daemon.icc-disabled"):
        assert results[cid].outcome == "passed", (cid, results[cid].reason)
    # And reaching it over plain TCP is itself the finding.
    assert results["daemon.tls-on-tcp"].outcome == "failed"
    assert url in results["daemon.tls-on-tcp"].findings[0].message


def test_main_engine_default_bridge_decides_icc(docker_client: Any) -> None:
    """Read-only look at the main engine: its default bridge allows inter-container traffic
    unless it was configured otherwise."""
    daemon = load("unix:///var/run/docker.sock")
    if daemon.default_bridge is None:
        pytest.skip("the main engine has no default bridge")
    icc = daemon.default_bridge["Options"].get("com.docker.network.bridge.enable_icc")
    expected = "passed" if icc == "false" else "failed"
    assert verdict("daemon.icc-disabled", daemon).outcome == expected


def test_daemon_target(good: Dockerd) -> None:
    (target,) = load_targets(SimpleNamespace(daemon=good.url, daemon_json=None))
    assert target.model_type == "daemon" and target.name == f"daemon:{good.url}"
    assert isinstance(target.model, Daemon) and target.model.pid == good.pid
    assert load_targets(SimpleNamespace(daemon=None)) == []


def test_bundled_daemon_checks_end_to_end(pytester: pytest.Pytester, good: Dockerd) -> None:
    require_option("daemon")
    report = pytester.path / "out.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--ctrsec-daemon={good.url}",
         f"--ctrsec-json={report}"], cwd=pytester.path, capture_output=True, text=True,
        env={**os.environ, "DOCKER_CONTENT_TRUST": "1"}, timeout=300)
    rows = json.loads(report.read_text())["results"]
    assert {r["check"] for r in rows} == set(IDS), run.stdout[-2000:]
    assert {r["target"] for r in rows} == {f"daemon:{good.url}"}
    assert {r["outcome"] for r in rows} == {"passed"}, run.stdout[-2000:]
    assert run.returncode == 0


def test_remote_daemon_over_tls_is_reached_with_the_clients_certificates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DOCKER_TLS_VERIFY and DOCKER_CERT_PATH apply as with the docker CLI; over TLS from afar
    tls-on-tcp cannot see whether client certificates are required, and says so."""
    from registry import free_port

    server, client = tmp_path / "server", tmp_path / "client"
    server.mkdir()
    client.mkdir()
    port = free_port()
    daemon = start_dockerd({"tlsverify": True, **make_tls(server)},
                           Options(flags=(f"--host=tcp://127.0.0.1:{port}",)))
    try:
        monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
        monkeypatch.setenv("DOCKER_CERT_PATH", str(make_client_cert(server, client)))
        with namespace_port(daemon, port) as url:
            model = load(url)
        assert model.endpoint_tls and not model.local
        result = verdict("daemon.tls-on-tcp", model)
        assert result.outcome == "skipped" and "over TLS" in result.reason
        assert verdict("daemon.live-restore", model).outcome == "failed"  # engine-reported
    finally:
        daemon.stop()
