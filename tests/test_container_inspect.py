"""The ``docker inspect`` adapter: real containers created with given flags map to the run
settings those flags mean (the same model the Compose adapter fills)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from containers import APP, Lab, build_app
from docker.types import Mount as DockerMount
from registry import free_port

from pytest_ctrsec.runsettings.inspect import environment, from_inspect, needs_passwd
from pytest_ctrsec.runsettings.model import Mount, PortBinding, RunSettings


@pytest.fixture(scope="module")
def lab(docker_client: Any) -> Iterator[Lab]:
    build_app(docker_client)
    lab = Lab(docker_client)
    yield lab
    lab.close()


def settings_of(lab: Lab, name: str, **args: Any) -> RunSettings:
    return lab.load(lab.create(name, dict(image=APP, **args))).settings


def test_defaults_of_docker_run(lab: Lab) -> None:
    s = settings_of(lab, "plain")
    assert s.kind == "container" and s.image_ref == APP
    assert s.user == "" and not s.privileged and not s.read_only
    assert s.cap_add == () and s.cap_drop == () and s.security_opt == ()
    assert s.network_mode == "default" and s.networks == ("bridge",)
    assert s.memory_limit is None and s.cpu_limit is None and s.cpu_shares is None
    assert s.pids_limit is None and s.restart_policy == "no"
    assert s.healthcheck is None and not s.healthcheck_disabled
    assert s.logging_driver == "json-file" and s.ports == () and s.mounts == ()
    assert str(s.environment["PATH"]).startswith("/usr/local/sbin")
    assert s.image is not None and s.image.ref == APP and s.image.user == ""
    # The main engine here has no daemon.json and no no-new-privileges flag.
    assert s.daemon is not None and s.daemon.no_new_privileges is False


def test_privileges_and_namespaces(lab: Lab) -> None:
    s = settings_of(lab, "ns", privileged=True, cap_add=["NET_ADMIN"], cap_drop=["MKNOD"],
                    security_opt=["seccomp=unconfined", "no-new-privileges"],
                    pid_mode="host", ipc_mode="host", uts_mode="host", userns_mode="host",
                    devices=["/dev/null:/dev/mynull:rw"])
    assert s.privileged and s.cap_add == ("NET_ADMIN",) and s.cap_drop == ("MKNOD",)
    # Without the label=disable the engine adds by itself for privileged and host PID/IPC.
    assert s.security_opt == ("seccomp=unconfined", "no-new-privileges")
    assert lab.load(f"ctrsec-test-ns-{lab.tag}").inspect["HostConfig"]["SecurityOpt"][-1] \
        == "label=disable"
    own = settings_of(lab, "label", pid_mode="host", security_opt=["label:disable"])
    assert own.security_opt == ("label:disable",)
    assert (s.pid_mode, s.ipc_mode, s.uts_mode, s.userns_mode) == ("host",) * 4
    assert s.devices == ("/dev/null",)


def test_limits_and_restart(lab: Lab) -> None:
    quota = settings_of(lab, "quota", cpu_quota=50_000, cpu_period=100_000, cpu_shares=512,
                        mem_limit="32m", pids_limit=50,
                        restart_policy={"Name": "on-failure", "MaximumRetryCount": 4})
    assert quota.cpu_limit == 0.5 and quota.cpu_shares == 512
    assert quota.memory_limit == 32 * 1024 * 1024 and quota.pids_limit == 50
    assert (quota.restart_policy, quota.restart_max_retries) == ("on-failure", 4)
    nano = settings_of(lab, "nano", nano_cpus=1_500_000_000, restart_policy={"Name": "always"})
    assert nano.cpu_limit == 1.5 and nano.restart_policy == "always"


def test_ports(lab: Lab) -> None:
    port = free_port()
    s = settings_of(lab, "ports", ports={"80/tcp": ("127.0.0.1", port), "53/udp": None,
                                         "443/tcp": [("::", port + 1), ("10.0.0.1", 443)]})
    assert set(s.ports) == {
        PortBinding(80, "tcp", "127.0.0.1", port), PortBinding(53, "udp", None, None),
        PortBinding(443, "tcp", "::", port + 1), PortBinding(443, "tcp", "10.0.0.1", 443)}


def test_publish_all_ports_binds_every_exposed_port(lab: Lab, docker_client: Any) -> None:
    s = settings_of(lab, "publish-all", ports={"8080/tcp": ("127.0.0.1", free_port())},
                    publish_all_ports=True)
    # The image exposes nothing; -P still publishes what the container declares.
    assert {(p.container_port, p.host_ip) for p in s.ports} == {(8080, "127.0.0.1")}
    exposed = lab.load(lab.create("exposed", dict(image=APP, publish_all_ports=True,
                                                  ports={"9000/tcp": None})))
    assert exposed.settings.ports == (PortBinding(9000, "tcp", None, None),)


def test_mounts(lab: Lab, docker_client: Any, tmp_path: Any) -> None:
    docker_client.volumes.create(f"ctrsec-vol-{lab.tag}", labels=lab.label)
    docker_client.volumes.create(f"ctrsec-bindvol-{lab.tag}", labels=lab.label,
                                 driver_opts={"type": "none", "o": "bind",
                                              "device": str(tmp_path)})
    try:
        s = settings_of(lab, "mounts", volumes={
            str(tmp_path): {"bind": "/data", "mode": "ro"},
            f"ctrsec-vol-{lab.tag}": {"bind": "/cache", "mode": "rw"},
            f"ctrsec-bindvol-{lab.tag}": {"bind": "/bound", "mode": "ro"},
        }, mounts=[DockerMount("/prop", str(tmp_path), type="bind", propagation="rshared")],
            tmpfs={"/run": "ro,size=1m"})
        by_target = {m.target: m for m in s.mounts}
        assert by_target["/data"] == Mount("bind", "/data", str(tmp_path), True, "rprivate")
        assert by_target["/cache"].type == "volume" and not by_target["/cache"].read_only
        assert by_target["/cache"].source == f"ctrsec-vol-{lab.tag}"
        assert by_target["/cache"].bind_device is None
        assert by_target["/bound"].bind_device == str(tmp_path)
        assert by_target["/prop"].propagation == "rshared"
        assert by_target["/run"] == Mount("tmpfs", "/run", read_only=True)
    finally:
        lab.close()
        lab.names.clear()
        lab.networks.clear()
        for name in (f"ctrsec-vol-{lab.tag}", f"ctrsec-bindvol-{lab.tag}"):
            docker_client.volumes.get(name).remove(force=True)


def test_health_logging_environment(lab: Lab) -> None:
    s = settings_of(lab, "health", healthcheck={"test": ["CMD", "true"]},
                    log_config={"Type": "syslog", "Config": {"syslog-address": "udp://x:514"}},
                    environment=["A=1", "EMPTY=", "B=x=y"])
    assert s.healthcheck == ("CMD", "true") and not s.healthcheck_disabled
    assert s.logging_driver == "syslog"
    assert s.logging_options == {"syslog-address": "udp://x:514"}
    assert (s.environment["A"], s.environment["EMPTY"], s.environment["B"]) == ("1", "", "x=y")
    off = settings_of(lab, "nohealth", healthcheck={"test": ["NONE"]})
    assert off.healthcheck == ("NONE",) and off.healthcheck_disabled


def test_user_name_is_resolved_only_when_needed(lab: Lab) -> None:
    named = settings_of(lab, "named", user="app")
    assert named.user == "app" and named.image and named.image.passwd == {
        "root": 0, "app": 1000, "toor": 0}
    numeric = settings_of(lab, "numeric", user="1000:1000")
    assert numeric.image and numeric.image.passwd is None


# --- the adapter on documents the engine may send --------------------------------------------

def test_sparse_document() -> None:
    s = from_inspect({"Name": "/x", "HostConfig": {"PidsLimit": -1}})
    assert s.name == "x" and s.pids_limit == -1 and s.restart_policy == "no"
    assert s.image_ref is None and s.networks == () and s.user == ""


def test_environment_without_value_and_passwd_need() -> None:
    assert environment(["A", "B=", "C=1=2"]) == {"A": None, "B": "", "C": "1=2"}
    assert [needs_passwd(u) for u in ("", "0", "root", "root:0", "app", "app:1000", "1000")] \
        == [False, False, False, False, True, True, False]
