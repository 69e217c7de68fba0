"""The daemon model without a daemon: dockerd flag parsing, where a setting comes from, what a
check does when it cannot see its input, and finding the dockerd behind a socket in /proc."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.errors import CannotEvaluate, ConfigError, ParseError, TargetUnavailable
from pytest_ctrsec.targets.daemon import Daemon, FileStat, load_daemon
from pytest_ctrsec.targets.daemon.flags import parse
from pytest_ctrsec.targets.daemon.loader import key_lines
from pytest_ctrsec.targets.daemon.proc import find_dockerd

SOCK = "/run/test/docker.sock"


def daemon(**kw: Any) -> Daemon:
    """A local daemon with dockerd's defaults unless told otherwise."""
    kw.setdefault("endpoint", f"unix://{SOCK}")
    kw.setdefault("info", {"LoggingDriver": "json-file", "SecurityOptions": []})
    kw.setdefault("version", {})
    kw.setdefault("cmdline", ("dockerd",))
    kw.setdefault("config_missing", True)
    return Daemon(**kw)


def run(check_id: str, model: Daemon) -> Verdict:
    return registry()[check_id].evaluate(model)


@pytest.mark.parametrize(("argv", "expected"), [
    (["--icc=false"], {"icc": False}),
    (["--icc"], {"icc": True}),
    (["--no-new-privileges", "--live-restore=true"],
     {"no-new-privileges": True, "live-restore": True}),
    (["-l", "debug"], {"log-level": "debug"}),
    (["-lwarn"], {"log-level": "warn"}),
    (["--log-level", "error", "-D"], {"log-level": "error", "debug": True}),
    (["-H", "unix:///a.sock", "--host=tcp://0.0.0.0:2375"],
     {"hosts": ["unix:///a.sock", "tcp://0.0.0.0:2375"]}),
    (["--insecure-registry", "a:5000", "--insecure-registry=b,c"],
     {"insecure-registries": ["a:5000", "b,c"]}),
    (["--log-opt", "max-size=10m", "--log-opt=labels=a,b"],
     {"log-opts": {"max-size": "10m", "labels": "a,b"}}),
    # Flags this parser does not know keep their values away from the next flag.
    (["--data-root", "/srv/docker", "--userland-proxy=false"], {"userland-proxy": False}),
    (["--containerd", "/run/c.sock", "-G", "admins"], {"group": "admins"}),
])
def test_dockerd_flags_read_like_dockerd(argv: list[str], expected: dict[str, Any]) -> None:
    assert parse(["dockerd", *argv]) == expected


def test_a_flag_a_daemon_json_key_and_a_default() -> None:
    model = daemon(flags={"icc": False}, config={"live-restore": True}, config_missing=False,
                   config_path="/etc/docker/daemon.json",
                   config_lines={"live-restore": 3})
    assert model.setting("icc", True).value is False
    assert str(model.setting("icc", True)) == "set by dockerd flag"
    live = model.setting("live-restore", False)
    assert live.value is True and str(live.location) == "/etc/docker/daemon.json:3"
    assert str(model.setting("userland-proxy", True)) == "not set, dockerd's default applies"


def test_without_the_command_line_an_unset_key_cannot_be_known() -> None:
    model = daemon(cmdline=None, cmdline_reason="the daemon at tcp://h:2376 is remote",
                   config={"icc": False}, config_missing=False)
    assert model.setting("icc").value is False  # what daemon.json says still counts
    with pytest.raises(CannotEvaluate, match="'userland-proxy' is not visible: the dockerd "
                                             "command line is unknown"):
        model.setting("userland-proxy", True)
    result = run("daemon.userland-proxy-disabled", model)
    assert result.outcome == "skipped" and "tcp://h:2376 is remote" in result.reason


def test_unreadable_daemon_json_is_said() -> None:
    model = daemon(config_missing=False, config_reason="/etc/docker/daemon.json: Permission "
                                                       "denied")
    result = run("daemon.no-new-privileges-default", model)
    assert result.outcome == "skipped" and "Permission denied" in result.reason


@pytest.mark.parametrize(("flags", "severity_words"), [
    ({"hosts": ["tcp://0.0.0.0:2376"], "tls": True}, "with TLS but without client verification"),
    ({"hosts": ["0.0.0.0:2375"]}, "without TLS"),
])
def test_tcp_without_client_verification_fails(flags: dict[str, Any],
                                               severity_words: str) -> None:
    result = run("daemon.tls-on-tcp", daemon(flags=flags))
    assert result.outcome == "failed" and severity_words in result.findings[0].message
    assert result.severity("critical") == "critical"


def test_tcp_with_tlsverify_and_unix_only_pass() -> None:
    verified = {"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": True}
    assert run("daemon.tls-on-tcp", daemon(flags=verified)).outcome == "passed"
    unix = {"hosts": ["unix:///var/run/docker.sock", "fd://"]}
    assert run("daemon.tls-on-tcp", daemon(flags=unix)).outcome == "passed"


def test_remote_logging_drivers() -> None:
    for driver, outcome in (("json-file", "failed"), ("local", "failed"), ("none", "failed"),
                            ("syslog", "passed"), ("fluentd", "passed")):
        model = daemon(info={"LoggingDriver": driver})
        assert run("daemon.remote-logging", model).outcome == outcome, driver


def test_live_restore_with_swarm_cannot_be_judged() -> None:
    model = daemon(info={"Swarm": {"LocalNodeState": "active"}})
    result = run("daemon.live-restore", model)
    assert result.outcome == "skipped" and "swarm" in result.reason


def sock(**kw: Any) -> FileStat:
    base = dict(path=SOCK, uid=0, gid=0, mode=0o660, user="root", group="root")
    return FileStat(**{**base, **kw})


@pytest.mark.parametrize(("stat", "flags", "outcome"), [
    (sock(), {}, "passed"),
    (sock(gid=105, group="docker"), {}, "passed"),
    (sock(gid=300, group="admins"), {"group": "admins"}, "passed"),
    (sock(gid=300, group="admins"), {}, "failed"),
    (sock(mode=0o666), {}, "failed"),
    (sock(mode=0o600), {}, "passed"),
    (sock(uid=1000, user="alice"), {}, "failed"),
])
def test_socket_owner_group_and_mode(stat: FileStat, flags: dict[str, Any],
                                     outcome: str) -> None:
    model = daemon(sockets=(stat,), flags=flags)
    assert run("daemon.socket-permissions", model).outcome == outcome


def test_rootless_daemon_file_checks_skip() -> None:
    model = daemon(info={"SecurityOptions": ["name=seccomp,profile=default", "name=rootless"]},
                   sockets=(sock(uid=1000),))
    for cid in ("daemon.socket-permissions", "daemon.config-file-permissions"):
        result = run(cid, model)
        assert result.outcome == "skipped" and "rootless" in result.reason
    assert run("daemon.userns-remap", model).outcome == "passed"


def test_content_trust_reads_the_environment_value() -> None:
    assert run("daemon.content-trust", daemon(content_trust="1")).outcome == "passed"
    for value in (None, "0", "true"):
        assert run("daemon.content-trust", daemon(content_trust=value)).outcome == "failed"


def test_insecure_registries_from_info_ignore_the_builtin_loopback() -> None:
    info = {"RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8", "10.0.0.0/8"],
                               "IndexConfigs": {"docker.io": {"Secure": True},
                                                "reg.local:5000": {"Secure": False}}}}
    result = run("daemon.no-insecure-registries", daemon(info=info))
    assert sorted(f.message.split()[2] for f in result.findings) == ["10.0.0.0/8",
                                                                     "reg.local:5000"]
    clean = replace(daemon(), info={"RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8"],
                                                        "IndexConfigs": {}}})
    assert run("daemon.no-insecure-registries", clean).outcome == "passed"


def test_key_lines_of_daemon_json() -> None:
    text = '{\n  "icc": false,\n  "log-opts": {"icc": 1},\n  "live-restore": true\n}\n'
    assert key_lines(text, ["icc", "live-restore", "absent"]) == {"icc": 2, "live-restore": 4}


def test_engine_not_answering_is_one_line(tmp_path: Path) -> None:
    url = f"unix://{tmp_path}/none.sock"
    with pytest.raises(TargetUnavailable) as err:
        load_daemon.__wrapped__(url)
    assert "\n" not in str(err.value) and f"Docker engine at {url} does not answer" in \
        str(err.value)


def test_daemon_json_option_errors(tmp_path: Path, docker_client: Any) -> None:
    missing = str(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match=f"--ctrsec-daemon-json: {missing}: no such file"):
        load_daemon.__wrapped__(None, missing)
    broken = tmp_path / "daemon.json"
    broken.write_text('{\n  "icc": false,\n  "live-restore" true\n}\n')
    with pytest.raises(ParseError) as err:
        load_daemon.__wrapped__(None, str(broken))
    assert str(err.value).startswith(f"{broken}:3: invalid JSON")


# --- /proc: which dockerd serves a socket ---------------------------------------------------

def fake_proc(root: Path, procs: dict[int, dict[str, Any]]) -> Path:
    """A /proc with processes: comm, net/unix lines (path, inode, listening) and socket fds."""
    for pid, spec in procs.items():
        d = root / str(pid)
        (d / "net").mkdir(parents=True)
        (d / "comm").write_text(spec["comm"] + "\n")
        lines = ["Num       RefCount Protocol Flags    Type St Inode Path"]
        for path, inode in spec.get("listens", ()):
            lines.append(f"0000000000000000: 00000002 00000000 00010000 0001 01 {inode} {path}")
        (d / "net" / "unix").write_text("\n".join(lines) + "\n")
        (d / "fd").mkdir()
        for n, inode in enumerate(spec.get("fds", ())):
            os.symlink(f"socket:[{inode}]", d / "fd" / str(n))
    return root


def test_the_dockerd_holding_the_socket_is_chosen(tmp_path: Path) -> None:
    # Two daemons in one network namespace see the same socket list; the fds decide.
    shared = [(SOCK, 11), ("/run/other.sock", 12)]
    proc = fake_proc(tmp_path, {
        10: {"comm": "dockerd", "listens": shared, "fds": [12]},
        20: {"comm": "dockerd", "listens": shared, "fds": [11]},
        30: {"comm": "containerd", "listens": shared, "fds": [11]},
    })
    assert find_dockerd(SOCK, proc).pid == 20


def test_no_dockerd_on_the_socket_is_said(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {10: {"comm": "dockerd", "listens": [("/x.sock", 1)]}})
    found = find_dockerd(SOCK, proc)
    assert found.pid is None and f"no dockerd process on this host listens on {SOCK}" in \
        found.reason
