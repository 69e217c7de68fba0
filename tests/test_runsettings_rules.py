"""Run-settings rules over hand-built RunSettings: one rule, two registrations."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.findings import Location
from pytest_ctrsec.runsettings.model import (
    DaemonDefaults,
    ImageFacts,
    Mount,
    PortBinding,
    RunSettings,
)

SLUGS = (
    "user-not-root", "no-privileged", "no-dangerous-capabilities", "capabilities-dropped",
    "no-new-privileges", "seccomp-enabled", "mac-profile-confined", "read-only-rootfs",
    "no-runtime-socket-mount", "no-sensitive-host-mounts", "no-host-devices",
    "no-host-network", "no-host-pid", "no-host-ipc", "no-host-uts", "no-host-userns",
    "no-shared-propagation", "ports-bound-to-interface", "no-privileged-host-ports",
    "memory-limited", "cpu-limited", "pids-limited", "restart-policy-bounded",
    "healthcheck-defined", "no-secrets-in-env", "logging-enabled", "logs-forwarded-securely",
    "logs-rotated", "image-pinned", "image-digest-pinned",
)
EXPECTED_SEVERITY = {
    "user-not-root": "high", "no-privileged": "critical", "no-dangerous-capabilities": "high",
    "capabilities-dropped": "medium", "no-new-privileges": "medium", "seccomp-enabled": "high",
    "mac-profile-confined": "medium", "read-only-rootfs": "low",
    "no-runtime-socket-mount": "critical", "no-sensitive-host-mounts": "high",
    "no-host-devices": "high", "no-host-network": "high", "no-host-pid": "high",
    "no-host-ipc": "high", "no-host-uts": "medium", "no-host-userns": "medium",
    "no-shared-propagation": "medium", "ports-bound-to-interface": "medium",
    "no-privileged-host-ports": "low", "memory-limited": "medium", "cpu-limited": "low",
    "pids-limited": "medium", "restart-policy-bounded": "low", "healthcheck-defined": "low",
    "no-secrets-in-env": "high", "logging-enabled": "medium",
    "logs-forwarded-securely": "medium", "logs-rotated": "low", "image-pinned": "medium",
    "image-digest-pinned": "low",
}
HERE = Location("compose.yaml", 3)
KEY_AT = Location("compose.yaml", 9)


@dataclass(frozen=True)
class Container:
    """What the container twin receives: an object with ``.settings``."""

    settings: RunSettings


def rs(**kw: Any) -> RunSettings:
    """A Compose service's settings, with image facts known unless said otherwise."""
    kw.setdefault("name", "web")
    kw.setdefault("kind", "service")
    kw.setdefault("image_ref", "nginx:1.27")
    kw.setdefault("image", ImageFacts("nginx:1.27", user="1000",
                                      healthcheck=("CMD", "true")))
    kw.setdefault("location", HERE)
    return RunSettings(**kw)


def run(slug: str, settings: RunSettings, kind: str = "compose") -> Verdict:
    model: Any = settings if kind == "compose" else Container(settings)
    return registry()[f"{kind}.{slug}"].evaluate(model)


def outcome(slug: str, **kw: Any) -> str:
    return run(slug, rs(**kw)).outcome


def test_every_slug_is_registered_twice_with_the_catalogue_severity() -> None:
    reg = registry()
    for slug in SLUGS:
        compose, container = reg[f"compose.{slug}"], reg[f"container.{slug}"]
        assert compose.model == "compose.service" and container.model == "container"
        assert compose.severity == container.severity == EXPECTED_SEVERITY[slug]
        assert compose.remediation and compose.refs and compose.title


def test_container_twin_applies_the_same_rule_to_settings() -> None:
    bad = rs(kind="container", privileged=True)
    assert run("no-privileged", bad, "container").outcome == "failed"
    assert run("no-privileged", rs(kind="container"), "container").outcome == "passed"
    (finding,) = run("no-privileged", bad, "container").findings
    assert finding.message.startswith("container web")


# --- user-not-root --------------------------------------------------------------------

@pytest.mark.parametrize("user", ["", "root", "0", "root:root", "0:0", "0:1000", " root ",
                                  "00", ":1000"])
def test_root_spellings_fail(user: str) -> None:
    verdict = run("user-not-root", rs(kind="container", user=user), "container")
    assert verdict.outcome == "failed"


@pytest.mark.parametrize("user", ["1000", "1000:1000", "app", "nobody:nogroup", "rootless"])
def test_non_root_users_pass(user: str) -> None:
    assert outcome("user-not-root", user=user) == "passed"


def test_a_name_resolving_to_uid_0_fails() -> None:
    image = ImageFacts("x:1", user="", passwd={"toor": 0, "app": 1000})
    assert outcome("user-not-root", user="toor", image=image) == "failed"
    assert outcome("user-not-root", user="app", image=image) == "passed"


@pytest.mark.parametrize("kind", ["compose", "container"])
def test_a_name_missing_from_the_images_passwd_cannot_be_evaluated(kind: str) -> None:
    """The engine refuses to start it ("unable to find user ghost"), so it has no uid."""
    image = ImageFacts("x:1", user="ghost", passwd={"root": 0, "app": 1000})
    noun = "service" if kind == "compose" else "container"
    for settings in (rs(kind=noun, user="ghost:1000", image=image),
                     rs(kind=noun, user=None, image=image)):
        verdict = run("user-not-root", settings, kind)
        assert verdict.outcome == "skipped"
        assert "ghost, which is not in the /etc/passwd of its image x:1" in verdict.reason
    # A name known there, a uid, or no passwd read at all: judged as before.
    assert run("user-not-root", rs(kind=noun, user="app", image=image), kind).outcome == \
        "passed"
    assert run("user-not-root", rs(kind=noun, user="4242", image=image), kind).outcome == \
        "passed"
    unread = ImageFacts("x:1", user="", passwd=None)
    assert run("user-not-root", rs(kind=noun, user="ghost", image=unread), kind).outcome == \
        "passed"


def test_an_unreadable_image_resolves_no_name_but_misses_none() -> None:
    from pytest_ctrsec.runsettings.imagefacts import LazyPasswd

    unreadable = ImageFacts("x:1", passwd=LazyPasswd("x:1", lambda ref: None))
    assert outcome("user-not-root", user="ghost", image=unreadable) == "passed"
    empty = ImageFacts("x:1", passwd=LazyPasswd("x:1", lambda ref: {}))  # no /etc/passwd
    assert run("user-not-root", rs(user="ghost", image=empty)).outcome == "skipped"


def test_service_without_user_takes_the_image_user() -> None:
    assert outcome("user-not-root", image=ImageFacts("i:1", user="")) == "failed"
    assert outcome("user-not-root", image=ImageFacts("i:1", user="0:0")) == "failed"
    assert outcome("user-not-root", image=ImageFacts("i:1", user="1000")) == "passed"
    renamed = ImageFacts("i:1", user="admin", passwd={"admin": 0})
    assert outcome("user-not-root", image=renamed) == "failed"


def test_service_without_user_and_unknown_image_cannot_be_evaluated() -> None:
    verdict = run("user-not-root", rs(image=None, image_ref="ghcr.io/x/y:2"))
    assert verdict.outcome == "skipped"
    assert "ghcr.io/x/y:2" in verdict.reason and "unknown" in verdict.reason


def test_user_finding_points_at_the_user_key() -> None:
    settings = rs(user="root", key_locations={"user": KEY_AT})
    (finding,) = run("user-not-root", settings).findings
    assert finding.location == KEY_AT
    assert "service web" in finding.message and "root" in finding.message


# --- privileges and capabilities ------------------------------------------------------

def test_privileged() -> None:
    assert outcome("no-privileged", privileged=True) == "failed"
    assert outcome("no-privileged") == "passed"


@pytest.mark.parametrize(("caps", "severities"), [
    (("SYS_ADMIN",), ["critical"]),
    (("cap_sys_module",), ["critical"]),
    (("ALL",), ["critical"]),
    (("CAP_SYS_RAWIO",), ["critical"]),
    (("NET_ADMIN", "sys_ptrace"), [None, None]),
    (("CHOWN", "cap_net_bind_service", "kill"), []),
])
def test_dangerous_capabilities(caps: tuple[str, ...], severities: list[str | None]) -> None:
    verdict = run("no-dangerous-capabilities", rs(cap_add=caps))
    assert [f.severity for f in verdict.findings] == severities
    if severities:
        assert verdict.severity("high") == ("critical" if "critical" in severities else "high")


@pytest.mark.parametrize(("drop", "result"), [
    (("ALL",), "passed"), (("all",), "passed"), (("CAP_ALL",), "passed"),
    (("NET_RAW",), "failed"), ((), "failed"),
])
def test_capabilities_dropped(drop: tuple[str, ...], result: str) -> None:
    assert outcome("capabilities-dropped", cap_drop=drop) == result


@pytest.mark.parametrize(("opts", "result"), [
    (("no-new-privileges",), "passed"), (("no-new-privileges:true",), "passed"),
    (("no-new-privileges=true",), "passed"), (("no-new-privileges:false",), "failed"),
    (("no-new-privileges:true", "no-new-privileges:false"), "failed"),
    (("seccomp:default.json",), "failed"), ((), "failed"),
])
def test_no_new_privileges(opts: tuple[str, ...], result: str) -> None:
    assert outcome("no-new-privileges", security_opt=opts) == result


def test_no_new_privileges_daemon_default_counts_for_containers() -> None:
    daemon = DaemonDefaults(no_new_privileges=True)
    assert run("no-new-privileges", rs(daemon=daemon), "container").outcome == "passed"
    explicit_off = rs(daemon=daemon, security_opt=("no-new-privileges=false",))
    assert run("no-new-privileges", explicit_off, "container").outcome == "failed"


@pytest.mark.parametrize(("opts", "seccomp", "mac"), [
    (("seccomp:unconfined",), "failed", "passed"),
    (("seccomp=unconfined",), "failed", "passed"),
    (("apparmor:unconfined",), "passed", "failed"),
    (("apparmor=unconfined",), "passed", "failed"),
    (("label:disable",), "passed", "failed"),
    (("label=disable",), "passed", "failed"),
    (("label:type:svirt_apache_t", "apparmor=docker-default"), "passed", "passed"),
    ((), "passed", "passed"),
])
def test_seccomp_and_mac(opts: tuple[str, ...], seccomp: str, mac: str) -> None:
    assert outcome("seccomp-enabled", security_opt=opts) == seccomp
    assert outcome("mac-profile-confined", security_opt=opts) == mac


def test_container_apparmor_profile() -> None:
    def mac(**kw: Any) -> str:
        return run("mac-profile-confined", rs(kind="container", **kw), "container").outcome

    assert mac(apparmor_profile="", apparmor_active=True) == "failed"
    assert mac(apparmor_profile="unconfined", apparmor_active=True) == "failed"
    assert mac(apparmor_profile="docker-default", apparmor_active=True) == "passed"
    assert mac(apparmor_profile="", apparmor_active=False) == "passed"


def test_apparmor_unconfined_is_reported_once_with_its_cause() -> None:
    def findings(**kw: Any) -> list[str]:
        verdict = run("mac-profile-confined", rs(kind="container", **kw), "container")
        return [f.message for f in verdict.findings]

    # The engine records apparmor=unconfined in .AppArmorProfile as well: one finding.
    (written,) = findings(security_opt=("apparmor=unconfined",),
                          apparmor_profile="unconfined", apparmor_active=True)
    assert "--security-opt apparmor:unconfined" in written
    # On an AppArmor host a privileged container runs unconfined: say that it is why.
    (privileged,) = findings(privileged=True, apparmor_profile="unconfined",
                             apparmor_active=True)
    assert "--privileged runs it unconfined" in privileged


def test_read_only_rootfs() -> None:
    assert outcome("read-only-rootfs") == "failed"
    assert outcome("read-only-rootfs", read_only=True) == "passed"


# --- mounts and devices ---------------------------------------------------------------

def bind(source: str, read_only: bool = False, **kw: Any) -> Mount:
    return Mount("bind", "/mnt", source, read_only, location=Location("c.yaml", 12), **kw)


@pytest.mark.parametrize("source", [
    "/var/run/docker.sock", "/run/docker.sock", "//var/run//docker.sock",
    "/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/podman/podman.sock",
    "/run/user/1000/docker.sock", "/home/me/.docker/run/docker.sock", "/run", "/var/run",
    "/", "/run/containerd", "/run/user/1000", "/var/run/../run",
])
def test_runtime_socket_mounts_fail(source: str) -> None:
    for read_only in (False, True):
        assert outcome("no-runtime-socket-mount", mounts=(bind(source, read_only),)) == "failed"


@pytest.mark.parametrize("source", ["/srv/app", "/run/secrets", "/var/lib/app", "/var"])
def test_other_mounts_pass_the_socket_rule(source: str) -> None:
    assert outcome("no-runtime-socket-mount", mounts=(bind(source),)) == "passed"


def test_named_volume_that_is_a_bind_of_the_socket_dir_fails() -> None:
    vol = Mount("volume", "/sock", "runvol", bind_device="/var/run")
    plain = Mount("volume", "/data", "data")
    assert outcome("no-runtime-socket-mount", mounts=(vol,)) == "failed"
    assert outcome("no-runtime-socket-mount", mounts=(plain,)) == "passed"


def test_socket_finding_points_at_the_mount() -> None:
    (finding,) = run("no-runtime-socket-mount",
                     rs(mounts=(bind("/var/run/docker.sock"),))).findings
    assert finding.location == Location("c.yaml", 12)
    assert "/var/run/docker.sock" in finding.message


@pytest.mark.parametrize(("source", "read_only", "severity"), [
    ("/", True, None), ("/", False, "critical"), ("/etc", False, "critical"),
    ("/etc/shadow", True, None), ("/etc/../etc/passwd", False, "critical"),
    ("/proc", True, None), ("/sys/fs/cgroup", False, "critical"), ("/boot", False, "critical"),
    ("/usr/lib", True, None), ("/root", False, "critical"), ("/var/lib/docker", True, None),
    ("/var/lib/containerd/x", False, "critical"), ("/var", False, "critical"),
    ("/var/lib", True, None), ("/home/me/.ssh", False, None), ("/home/me/.aws", True, None),
    ("/srv/x/.kube/config", True, None), ("/home", True, None), ("/dev", False, "critical"),
])
def test_sensitive_host_mounts_fail(source: str, read_only: bool, severity: str | None) -> None:
    verdict = run("no-sensitive-host-mounts", rs(mounts=(bind(source, read_only),)))
    assert verdict.outcome == "failed"
    assert [f.severity for f in verdict.findings] == [severity]


@pytest.mark.parametrize(("source", "read_only"), [
    ("/srv/app", False), ("/home/me/project", False), ("/var/lib/app", False),
    ("/etc/localtime", True), ("/etc/timezone", True), ("/dev/null", False),
    ("/usr/share/zoneinfo", True), ("/etc/ssl/certs", True), ("/opt/data", False),
    ("/etcetera", False), ("/rootfs", False),
])
def test_ordinary_mounts_pass(source: str, read_only: bool) -> None:
    assert outcome("no-sensitive-host-mounts", mounts=(bind(source, read_only),)) == "passed"


def test_writable_localtime_is_not_exempt() -> None:
    assert outcome("no-sensitive-host-mounts", mounts=(bind("/etc/localtime"),)) == "failed"


def test_volumes_and_tmpfs_are_not_host_paths() -> None:
    mounts = (Mount("volume", "/data", "etc"), Mount("tmpfs", "/tmp"))
    assert outcome("no-sensitive-host-mounts", mounts=mounts) == "passed"
    bound = (Mount("volume", "/data", "cfg", bind_device="/etc"),)
    assert outcome("no-sensitive-host-mounts", mounts=bound) == "failed"


@pytest.mark.parametrize(("device", "severity"), [
    ("/dev/sda", None), ("/dev/nvme0n1", None), ("/dev/kmsg", None), ("/dev/mem", None),
    ("/dev/mapper/root", None), ("/dev/disk/by-id/x", None), ("/dev/loop0", None),
    ("/dev//sda1", None), ("/dev/fuse", "low"), ("/dev/net/tun", "low"),
    ("/dev/ttyUSB0", "low"),
])
def test_host_devices(device: str, severity: str | None) -> None:
    verdict = run("no-host-devices", rs(devices=(device,)))
    assert verdict.outcome == "failed"
    assert [f.severity for f in verdict.findings] == [severity]


def test_no_devices_pass() -> None:
    assert outcome("no-host-devices") == "passed"


@pytest.mark.parametrize(("propagation", "result"), [
    ("shared", "failed"), ("rshared", "failed"), ("slave", "passed"), ("rprivate", "passed"),
    (None, "passed"),
])
def test_shared_propagation(propagation: str | None, result: str) -> None:
    mounts = (bind("/srv/x", propagation=propagation),)
    assert outcome("no-shared-propagation", mounts=mounts) == result


# --- namespaces and ports -------------------------------------------------------------

@pytest.mark.parametrize(("slug", "field"), [
    ("no-host-network", "network_mode"), ("no-host-pid", "pid_mode"),
    ("no-host-ipc", "ipc_mode"), ("no-host-uts", "uts_mode"),
    ("no-host-userns", "userns_mode"),
])
def test_host_namespaces(slug: str, field: str) -> None:
    assert outcome(slug, **{field: "host"}) == "failed"
    assert outcome(slug, **{field: "Host"}) == "failed"
    assert outcome(slug, **{field: "container:db"}) == "passed"
    assert outcome(slug) == "passed"
    (finding,) = run(slug, rs(**{field: "host"}, key_locations={field: KEY_AT})).findings
    assert finding.location == KEY_AT


def port(host_ip: str | None, host_port: int | None = 8080) -> PortBinding:
    return PortBinding(80, "tcp", host_ip, host_port, Location("c.yaml", 20))


@pytest.mark.parametrize("host_ip", [None, "", "0.0.0.0", "::", "[::]", "[::ffff:0.0.0.0]",
                                     "::ffff:0.0.0.0", "0:0:0:0:0:0:0:0"])
def test_unspecified_addresses_fail(host_ip: str | None) -> None:
    verdict = run("ports-bound-to-interface", rs(ports=(port(host_ip),)))
    assert verdict.outcome == "failed"
    assert verdict.findings[0].location == Location("c.yaml", 20)


@pytest.mark.parametrize("host_ip", ["127.0.0.1", "::1", "[::1]", "10.0.0.5", "fe80::1%eth0"])
def test_specific_addresses_pass(host_ip: str) -> None:
    assert outcome("ports-bound-to-interface", ports=(port(host_ip),)) == "passed"


def test_a_host_ip_that_is_not_an_address_fails() -> None:
    (finding,) = run("ports-bound-to-interface", rs(ports=(port("myhost"),))).findings
    assert "not an IP address" in finding.message


@pytest.mark.parametrize(("host_port", "result"), [
    (80, "failed"), (1023, "failed"), (1024, "passed"), (8080, "passed"), (None, "passed"),
])
def test_privileged_host_ports(host_port: int | None, result: str) -> None:
    assert outcome("no-privileged-host-ports", ports=(port("127.0.0.1", host_port),)) == result


@pytest.mark.parametrize("kind", ["compose", "container"])
@pytest.mark.parametrize("slug", ["ports-bound-to-interface", "no-privileged-host-ports"])
def test_ports_are_discarded_on_the_host_network(slug: str, kind: str) -> None:
    # The engine drops PortBindings in host network mode; no-host-network says what is wrong.
    settings = rs(kind="service" if kind == "compose" else "container", network_mode="host",
                  ports=(port(None, 80),))
    assert run(slug, settings, kind).outcome == "passed"
    assert run(slug, replace(settings, network_mode="bridge"), kind).outcome == "failed"


# --- resources, restart, healthcheck --------------------------------------------------

@pytest.mark.parametrize(("slug", "passing", "failing"), [
    ("memory-limited", {"memory_limit": 1 << 29}, {"memory_limit": 0}),
    ("cpu-limited", {"cpu_limit": 0.5}, {"cpu_limit": 0.0}),
    ("cpu-limited", {"cpu_shares": 512}, {"cpu_shares": 0}),
    ("pids-limited", {"pids_limit": 100}, {"pids_limit": -1}),
])
def test_limits(slug: str, passing: dict[str, Any], failing: dict[str, Any]) -> None:
    assert outcome(slug, **passing) == "passed"
    assert outcome(slug, **failing) == "failed"
    assert outcome(slug) == "failed"


@pytest.mark.parametrize(("policy", "retries", "result"), [
    (None, None, "passed"), ("no", None, "passed"), ("on-failure", 5, "passed"),
    ("on-failure", 1, "passed"), ("on-failure", 6, "failed"), ("on-failure", 0, "failed"),
    ("on-failure", None, "failed"), ("always", None, "failed"),
    ("unless-stopped", None, "failed"), ("always", 3, "failed"),
])
def test_restart_policy(policy: str | None, retries: int | None, result: str) -> None:
    assert outcome("restart-policy-bounded", restart_policy=policy,
                   restart_max_retries=retries) == result


def test_healthcheck_own_inherited_disabled_unknown() -> None:
    none_image = ImageFacts("i:1", healthcheck=None)
    assert outcome("healthcheck-defined", healthcheck=("CMD", "true"),
                   image=none_image) == "passed"
    assert outcome("healthcheck-defined", image=none_image) == "failed"
    assert outcome("healthcheck-defined",
                   image=ImageFacts("i:1", healthcheck=("NONE",))) == "failed"
    assert outcome("healthcheck-defined", healthcheck_disabled=True,
                   healthcheck=("NONE",)) == "failed"
    assert outcome("healthcheck-defined", healthcheck=("NONE",)) == "failed"
    assert outcome("healthcheck-defined") == "passed"  # inherited from the image
    assert run("healthcheck-defined", rs(image=None)).outcome == "skipped"


def test_container_without_healthcheck_fails_without_image_facts() -> None:
    settings = rs(kind="container", image=None)
    assert run("healthcheck-defined", settings, "container").outcome == "failed"


# --- logging --------------------------------------------------------------------------

@pytest.mark.parametrize(("driver", "result"), [
    ("none", "failed"), ("json-file", "passed"), (None, "passed"), ("syslog", "passed"),
])
def test_logging_enabled(driver: str | None, result: str) -> None:
    assert outcome("logging-enabled", logging_driver=driver) == result


def test_logging_disabled_daemon_wide_counts_for_containers() -> None:
    settings = rs(kind="container", daemon=DaemonDefaults(log_driver="none"))
    assert run("logging-enabled", settings, "container").outcome == "failed"


@pytest.mark.parametrize(("driver", "opts", "result"), [
    ("syslog", {}, "passed"),
    ("syslog", {"syslog-address": "tcp+tls://logs.example:6514"}, "passed"),
    ("syslog", {"syslog-address": "unix:///dev/log"}, "passed"),
    ("syslog", {"syslog-address": "udp://logs.example:514"}, "failed"),
    ("syslog", {"syslog-address": "tcp://10.1.2.3:514"}, "failed"),
    ("splunk", {"splunk-url": "https://splunk.example:8088"}, "passed"),
    ("splunk", {"splunk-url": "http://splunk.example:8088"}, "failed"),
    ("splunk", {"splunk-url": "https://s:8088", "splunk-insecureskipverify": "true"}, "failed"),
    ("gelf", {"gelf-address": "udp://127.0.0.1:12201"}, "passed"),
    ("gelf", {"gelf-address": "udp://graylog.example:12201"}, "failed"),
    ("fluentd", {}, "passed"),
    ("fluentd", {"fluentd-address": "localhost:24224"}, "passed"),
    ("fluentd", {"fluentd-address": "unix:///var/run/fluent.sock"}, "passed"),
    ("fluentd", {"fluentd-address": "fluent.example:24224"}, "failed"),
    ("fluentd", {"fluentd-address": "tcp://[::1]:24224"}, "passed"),
    ("loki", {"loki-url": "http://loki.example/api/prom/push"}, "failed"),
    ("loki", {"loki-url": "https://loki.example/api/prom/push"}, "passed"),
    ("json-file", {}, "passed"), ("journald", {}, "passed"), (None, {}, "passed"),
])
def test_logs_forwarded_securely(driver: str | None, opts: dict[str, str], result: str) -> None:
    assert outcome("logs-forwarded-securely", logging_driver=driver,
                   logging_options=opts) == result


@pytest.mark.parametrize(("driver", "opts", "result"), [
    ("json-file", {"max-size": "10m", "max-file": "3"}, "passed"),
    # max-file defaults to 1: the one file is cut at max-size and its history lost.
    ("json-file", {"max-size": "10m"}, "failed"),
    ("json-file", {"max-file": "3"}, "failed"),  # ignored without max-size
    ("json-file", {"max-size": "-1", "max-file": "3"}, "failed"),
    ("local", {"max-size": "10m"}, "passed"),
    ("local", {}, "passed"),  # local's own defaults: 20m x 5
    ("local", {"max-size": "0"}, "failed"),
    (None, {}, "failed"),  # Docker's default driver, json-file, without rotation
    (None, {"max-size": "10m", "max-file": "3"}, "passed"),
    ("syslog", {}, "passed"), ("journald", {}, "passed"),
])
def test_logs_rotated(driver: str | None, opts: dict[str, str], result: str) -> None:
    assert outcome("logs-rotated", logging_driver=driver, logging_options=opts) == result


def test_logs_rotated_daemon_wide_for_containers() -> None:
    daemon = DaemonDefaults(log_driver="json-file",
                            log_opts={"max-size": "10m", "max-file": "2"})
    settings = rs(kind="container", logging_driver="json-file", daemon=daemon)
    assert run("logs-rotated", settings, "container").outcome == "passed"
    # The daemon's log-opts apply to its own driver only.
    other = rs(kind="container", logging_driver="json-file",
               daemon=DaemonDefaults(log_driver="local", log_opts={"max-size": "10m"}))
    assert run("logs-rotated", other, "container").outcome == "failed"


# --- image reference ------------------------------------------------------------------

@pytest.mark.parametrize(("ref", "pinned", "digest"), [
    ("nginx", "failed", "failed"), ("nginx:latest", "failed", "failed"),
    ("nginx:stable", "failed", "failed"), ("nginx:EDGE", "failed", "failed"),
    ("app:nightly", "failed", "failed"), ("localhost:5000/app", "failed", "failed"),
    ("nginx:1.27", "passed", "failed"), ("localhost:5000/app:2.1", "passed", "failed"),
    ("nginx@sha256:" + "a" * 64, "passed", "passed"),
    ("nginx:latest@sha256:" + "b" * 64, "passed", "passed"),
])
def test_image_pinning(ref: str, pinned: str, digest: str) -> None:
    assert outcome("image-pinned", image_ref=ref) == pinned
    assert outcome("image-digest-pinned", image_ref=ref) == digest


@pytest.mark.parametrize(("ref", "image_id", "result"), [
    ("d602e385f96b", "sha256:d602e385f96b" + "0" * 52, "passed"),
    ("sha256:d602e385f96b" + "0" * 52, "sha256:d602e385f96b" + "0" * 52, "passed"),
    ("d602e385f96b" + "0" * 52, "sha256:d602e385f96b" + "0" * 52, "passed"),
    ("d602e385f96b", "sha256:" + "e" * 64, "failed"),  # a repository named in hex
    ("d602e385f96b", None, "failed"),
])
def test_container_created_from_an_image_id_is_pinned(ref: str, image_id: str | None,
                                                      result: str) -> None:
    settings = rs(kind="container", image_ref=ref, image_id=image_id)
    assert run("image-pinned", settings, "container").outcome == result
    assert run("image-digest-pinned", settings, "container").outcome == result


def test_build_only_service_skips_pinning() -> None:
    verdict = run("image-pinned", rs(image_ref=None))
    assert verdict.outcome == "skipped" and "build" in verdict.reason


# --- secrets in the environment -------------------------------------------------------

def test_secrets_in_env_literal_only() -> None:
    env = {"DB_PASSWORD": "hunter2hunter2", "API_TOKEN": "${API_TOKEN}", "DEBUG": "true",
           "POSTGRES_PASSWORD_FILE": "/run/secrets/pg", "DATABASE_URL": "postgres://a:pw12345@db",
           "PASSTHROUGH": None}
    settings = rs(environment=env, env_syntax="compose",
                  key_locations={"environment": KEY_AT,
                                 "environment.DB_PASSWORD": Location("compose.yaml", 11)})
    verdict = run("no-secrets-in-env", settings)
    assert verdict.outcome == "failed"
    assert len(verdict.findings) == 2
    by_line = {f.location.line: f.message for f in verdict.findings if f.location}
    assert "DB_PASSWORD" in by_line[11] and "hunter2hunter2" not in by_line[11]
    assert "DATABASE_URL" in by_line[9] and "pw12345" not in by_line[9]


def test_container_env_values_are_final() -> None:
    # In a running container "${X}" is the literal value, not a reference.
    settings = rs(kind="container", environment={"DB_PASSWORD": "${X}"})
    assert run("no-secrets-in-env", settings, "container").outcome == "failed"
    assert outcome("no-secrets-in-env", environment={"DB_PASSWORD": "${X}"},
                   env_syntax="compose") == "passed"


def test_every_rule_passes_a_hardened_service() -> None:
    hardened = rs(
        user="1000:1000", cap_drop=("ALL",), security_opt=("no-new-privileges:true",),
        read_only=True, ports=(port("127.0.0.1"),), memory_limit=1 << 28, cpu_limit=0.5,
        pids_limit=100, restart_policy="on-failure", restart_max_retries=3,
        healthcheck=("CMD", "true"), logging_driver="local",
        logging_options={"max-size": "10m"},
        image_ref="nginx:1.27@sha256:" + "c" * 64,
        mounts=(bind("/srv/data", True),), environment={"LANG": "C.UTF-8"},
    )
    for slug in SLUGS:
        assert run(slug, hardened).outcome == "passed", slug
