"""The Compose adapter: hand-built ComposeService objects to RunSettings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_ctrsec.errors import SchemaError
from pytest_ctrsec.findings import Location
from pytest_ctrsec.runsettings.compose import to_run_settings
from pytest_ctrsec.runsettings.model import ImageFacts, RunSettings
from pytest_ctrsec.targets.compose.model import ComposeProject, ComposeService

WHERE = Location("compose.yaml", 2)


def service(config: dict[str, Any], raw: dict[str, Any] | None = None,
            key_locations: dict[str, Location] | None = None,
            name: str = "web") -> ComposeService:
    return ComposeService(name, config, raw if raw is not None else config, WHERE,
                          key_locations or {})


def project(*services: ComposeService, volumes: dict[str, Any] | None = None
            ) -> ComposeProject:
    return ComposeProject("demo", ("compose.yaml",), Path("/srv/demo"), services,
                          volumes=volumes or {})


def adapt(config: dict[str, Any], **kw: Any) -> RunSettings:
    svc = service(config, **kw)
    return to_run_settings(svc, project(svc), image_lookup=None)


@pytest.mark.parametrize(("conf", "expected"), [
    ({"mem_limit": "512m"}, 512 << 20),
    ({"mem_limit": 1073741824}, 1 << 30),
    ({"mem_limit": "1.5g"}, 3 << 29),
    ({"mem_limit": "0"}, None),
    ({"mem_limit": -1}, None),
    ({"deploy": {"resources": {"limits": {"memory": "256M"}}}, "mem_limit": "1g"}, 256 << 20),
    ({"deploy": {"resources": {"reservations": {"memory": "256M"}}}}, None),
])
def test_memory(conf: dict[str, Any], expected: int | None) -> None:
    assert adapt(conf).memory_limit == expected


@pytest.mark.parametrize(("conf", "cpus", "shares"), [
    ({"cpus": 0.5}, 0.5, None),
    ({"cpus": "1.5"}, 1.5, None),
    ({"deploy": {"resources": {"limits": {"cpus": "0.25"}}}}, 0.25, None),
    ({"cpu_quota": 50000}, 0.5, None),
    ({"cpu_quota": 20000, "cpu_period": 40000}, 0.5, None),
    ({"cpu_shares": 512}, None, 512),
    ({}, None, None),
])
def test_cpu(conf: dict[str, Any], cpus: float | None, shares: int | None) -> None:
    settings = adapt(conf)
    assert settings.cpu_limit == cpus and settings.cpu_shares == shares


@pytest.mark.parametrize(("conf", "expected"), [
    ({"pids_limit": 100}, 100), ({"pids_limit": "200"}, 200), ({"pids_limit": -1}, None),
    ({"deploy": {"resources": {"limits": {"pids": 50}}}}, 50), ({}, None),
])
def test_pids(conf: dict[str, Any], expected: int | None) -> None:
    assert adapt(conf).pids_limit == expected


@pytest.mark.parametrize(("conf", "policy", "retries"), [
    ({"restart": "always"}, "always", None),
    ({"restart": "on-failure:3"}, "on-failure", 3),
    ({"restart": "no"}, "no", None),
    ({"deploy": {"restart_policy": {"condition": "on-failure", "max_attempts": 4}}},
     "on-failure", 4),
    ({"deploy": {"restart_policy": {"condition": "any"}}}, "always", None),
    ({"deploy": {"restart_policy": {"condition": "none"}}, "restart": "always"}, "no", None),
    ({}, None, None),
])
def test_restart(conf: dict[str, Any], policy: str | None, retries: int | None) -> None:
    settings = adapt(conf)
    assert (settings.restart_policy, settings.restart_max_retries) == (policy, retries)


@pytest.mark.parametrize("bad", [{"mem_limit": "lots"}, {"cpus": "many"},
                                 {"pids_limit": "x"}, {"restart": "on-failure:x"}])
def test_bad_values_are_schema_errors_naming_the_service(bad: dict[str, Any]) -> None:
    with pytest.raises(SchemaError) as err:
        adapt(bad)
    assert str(err.value).startswith("compose.yaml:2: service web:")


def test_ports_short_and_long() -> None:
    settings = adapt({"ports": [
        "80", "8080:80", "127.0.0.1:8081:80/udp", "[::1]:8082:80", "::1:8083:80",
        "127.0.0.1::80", "8000-8010:8000-8010", 9000,
        {"target": 443, "published": "8443", "host_ip": "10.0.0.1", "protocol": "tcp"},
        {"target": 53, "published": 53, "protocol": "udp"},
    ]})
    got = [(p.host_ip, p.host_port, p.container_port, p.protocol) for p in settings.ports]
    assert got == [
        (None, None, 80, "tcp"), (None, 8080, 80, "tcp"), ("127.0.0.1", 8081, 80, "udp"),
        ("::1", 8082, 80, "tcp"), ("::1", 8083, 80, "tcp"), ("127.0.0.1", None, 80, "tcp"),
        (None, 8000, 8000, "tcp"), (None, None, 9000, "tcp"), ("10.0.0.1", 8443, 443, "tcp"),
        (None, 53, 53, "udp"),
    ]


def test_volumes_short_and_long() -> None:
    settings = adapt({"volumes": [
        "/var/run/docker.sock:/var/run/docker.sock:ro",
        "./data:/data:rw,rshared",
        "cache:/cache",
        "/anon",
        {"type": "bind", "source": "/etc", "target": "/host/etc", "read_only": True,
         "bind": {"propagation": "shared"}},
        {"type": "tmpfs", "target": "/tmp"},
    ]})
    got = [(m.type, m.source, m.target, m.read_only, m.propagation) for m in settings.mounts]
    assert got == [
        ("bind", "/var/run/docker.sock", "/var/run/docker.sock", True, None),
        ("bind", "/srv/demo/data", "/data", False, "rshared"),
        ("volume", "cache", "/cache", False, None),
        ("volume", None, "/anon", False, None),
        ("bind", "/etc", "/host/etc", True, "shared"),
        ("tmpfs", None, "/tmp", False, None),
    ]


def test_named_volume_bind_device() -> None:
    svc = service({"volumes": ["hostrun:/sock", "data:/data", "nfs:/nfs"]})
    proj = project(svc, volumes={
        "hostrun": {"driver": "local",
                    "driver_opts": {"type": "none", "o": "bind", "device": "/var/run"}},
        "data": {},
        "nfs": {"driver_opts": {"type": "nfs", "o": "addr=10.0.0.1", "device": ":/export"}},
    })
    settings = to_run_settings(svc, proj, image_lookup=None)
    assert [m.bind_device for m in settings.mounts] == ["/var/run", None, None]


def test_devices_short_and_long() -> None:
    settings = adapt({"devices": ["/dev/sda:/dev/xvda:rwm", {"source": "/dev/kmsg"},
                                  "vendor.com/gpu=all"]})
    assert settings.devices == ("/dev/sda", "/dev/kmsg", "vendor.com/gpu=all")


@pytest.mark.parametrize(("health", "test", "disabled"), [
    ({"test": ["CMD", "curl", "-f", "http://localhost"]}, ("CMD", "curl", "-f",
                                                           "http://localhost"), False),
    ({"test": "curl -f http://localhost"}, ("CMD-SHELL", "curl -f http://localhost"), False),
    ({"disable": True}, ("NONE",), True),
    ({"test": ["NONE"]}, ("NONE",), True),
    ({"interval": "10s"}, None, False),
])
def test_healthcheck(health: dict[str, Any], test: tuple[str, ...] | None,
                     disabled: bool) -> None:
    settings = adapt({"healthcheck": health})
    assert settings.healthcheck == test
    assert settings.healthcheck_disabled is disabled


def test_environment_comes_from_raw() -> None:
    config = {"environment": {"DB_PASSWORD": "resolved-secret", "A": "1"}}
    raw = {"environment": ["DB_PASSWORD=${DB_PASSWORD}", "A=1", "PASS_THROUGH"]}
    settings = adapt(config, raw=raw)
    assert settings.environment == {"DB_PASSWORD": "${DB_PASSWORD}", "A": "1",
                                    "PASS_THROUGH": None}
    assert settings.env_syntax == "compose" and settings.kind == "service"


def test_environment_numbers_and_booleans_become_strings() -> None:
    settings = adapt({"environment": {"PORT": 8080, "DEBUG": True, "EMPTY": None}})
    assert settings.environment == {"PORT": "8080", "DEBUG": "true", "EMPTY": None}


def test_key_locations_follow_the_compose_keys() -> None:
    locs = {"privileged": Location("a.yaml", 5), "pid": Location("a.yaml", 6),
            "deploy": Location("a.yaml", 7), "mem_limit": Location("a.yaml", 8),
            "volumes": Location("b.yaml", 3), "environment": Location("a.yaml", 9)}
    settings = adapt({"privileged": True, "pid": "host", "mem_limit": "1g",
                      "deploy": {"resources": {"limits": {"pids": 10}}},
                      "volumes": ["/x:/y"], "environment": {"A": "b"}}, key_locations=locs)
    assert settings.locate("privileged") == Location("a.yaml", 5)
    assert settings.locate("pid_mode") == Location("a.yaml", 6)
    assert settings.locate("memory_limit") == Location("a.yaml", 8)
    assert settings.locate("pids_limit") == Location("a.yaml", 7)
    assert settings.locate("user") == WHERE  # not written: the service itself
    assert settings.mounts[0].location == Location("b.yaml", 3)
    assert settings.locate("environment.A") == Location("a.yaml", 9)


def test_scalar_settings() -> None:
    settings = adapt({"image": "nginx:1.27", "user": "1000", "privileged": True,
                      "read_only": "true", "cap_add": ["SYS_ADMIN"], "cap_drop": ["ALL"],
                      "security_opt": ["no-new-privileges:true"], "network_mode": "host",
                      "pid": "host", "ipc": "host", "uts": "host", "userns_mode": "host",
                      "networks": {"front": None, "back": {}},
                      "logging": {"driver": "syslog",
                                  "options": {"syslog-address": "udp://x:514", "tag": 5}}})
    assert (settings.image_ref, settings.user, settings.privileged, settings.read_only) == (
        "nginx:1.27", "1000", True, True)
    assert settings.cap_add == ("SYS_ADMIN",) and settings.cap_drop == ("ALL",)
    assert (settings.network_mode, settings.pid_mode, settings.ipc_mode, settings.uts_mode,
            settings.userns_mode) == ("host",) * 5
    assert settings.networks == ("front", "back")
    assert settings.logging_driver == "syslog"
    assert settings.logging_options == {"syslog-address": "udp://x:514", "tag": "5"}


def test_image_facts_are_asked_only_when_inherited() -> None:
    asked: list[str] = []

    def lookup(ref: str) -> ImageFacts:
        asked.append(ref)
        return ImageFacts(ref, user="1000")

    def adapt_with(config: dict[str, Any]) -> RunSettings:
        svc = service(config)
        return to_run_settings(svc, project(svc), image_lookup=lookup)

    assert adapt_with({"image": "a:1", "user": "1",
                       "healthcheck": {"test": ["CMD", "x"]}}).image is None
    facts = adapt_with({"image": "b:1"}).image
    assert facts is not None and facts.user == "1000"
    adapt_with({"build": {"context": "."}})  # compose names it <project>-<service>
    adapt_with({"image": "c:1", "user": ""})  # empty user (unset ${UID}): the image's
    assert asked == ["b:1", "demo-web", "c:1"]


def test_empty_user_means_the_image_user() -> None:
    assert adapt({"user": ""}).user is None


def test_a_user_name_is_resolved_in_the_image_passwd() -> None:
    asked: list[str] = []

    def passwd(ref: str) -> dict[str, int]:
        asked.append(ref)
        return {"admin": 0, "app": 1000}

    def facts(ref: str) -> ImageFacts:
        return ImageFacts(ref, user="admin", healthcheck=("CMD", "true"))

    def adapt_with(config: dict[str, Any]) -> RunSettings:
        svc = service(config)
        return to_run_settings(svc, project(svc), image_lookup=facts, passwd_lookup=passwd)

    inherited = adapt_with({"image": "a:1"})  # USER admin in the image
    named = adapt_with({"image": "b:1", "user": "app", "healthcheck": {"test": ["CMD", "x"]}})
    numeric = adapt_with({"image": "c:1", "user": "1000"})
    assert asked == []  # read only when a rule resolves a name
    assert inherited.image is not None and inherited.image.passwd == {"admin": 0, "app": 1000}
    assert named.image is not None and named.image.passwd is not None
    assert named.image.passwd.get("app") == 1000
    assert numeric.image is not None and numeric.image.passwd is None
    assert asked == ["a:1", "b:1"]
