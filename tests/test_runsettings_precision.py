"""Run-settings verdicts on shapes real Compose files and containers take, found on a corpus
of self-hosting, monitoring and development stacks: each case for the Compose adapter and,
where the rule reads inspect data too, for the container twin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.findings import Location
from pytest_ctrsec.runsettings.compose import to_run_settings
from pytest_ctrsec.runsettings.imageref import moving_tag
from pytest_ctrsec.runsettings.inspect import COMPOSE_WORKING_DIR, from_inspect
from pytest_ctrsec.runsettings.model import RunSettings
from pytest_ctrsec.targets.compose.model import ComposeProject, ComposeService

WHERE = Location("compose.yaml", 2)


class Container:
    """What a container.* rule receives: an object with ``.settings``."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings


def compose(config: dict[str, Any], raw: dict[str, Any] | None = None,
            folder: str = "/srv/app") -> RunSettings:
    svc = ComposeService("web", config, raw if raw is not None else config, WHERE, {})
    proj = ComposeProject("app", ("compose.yaml",), Path(folder), (svc,))
    return to_run_settings(svc, proj, image_lookup=None)


def inspect(host: dict[str, Any] | None = None, config: dict[str, Any] | None = None,
            mounts: list[dict[str, Any]] | None = None) -> RunSettings:
    return from_inspect({"Name": "/web", "HostConfig": host or {},
                         "Config": {"Image": "example/web:1.0", **(config or {})},
                         "Mounts": mounts or []})


def verdict(slug: str, settings: RunSettings) -> Verdict:
    kind = "compose" if settings.kind == "service" else "container"
    model: Any = settings if kind == "compose" else Container(settings)
    return registry()[f"{kind}.{slug}"].evaluate(model)


def bind(source: str, read_only: bool = False) -> dict[str, Any]:
    return {"type": "bind", "source": source, "target": "/mnt", "read_only": read_only}


def inspect_bind(source: str, read_only: bool = False) -> dict[str, Any]:
    return {"Type": "bind", "Source": source, "Destination": "/mnt", "RW": not read_only}


# --- user-not-root: a user written from variables the deployment supplies -----------------

@pytest.mark.parametrize(("written", "loaded"), [
    ("${UID}:${GID}", ":"),
    ("${AIRFLOW_UID}:0", ":0"),
    ("${PUID}", ""),
])
def test_a_user_from_unset_variables_cannot_be_evaluated(written: str, loaded: str) -> None:
    result = verdict("user-not-root", compose({"user": loaded}, {"user": written}))
    assert result.outcome == "skipped"
    assert written in result.reason and "not set here" in result.reason


@pytest.mark.parametrize(("written", "loaded", "outcome"), [
    ("${UID:-1000}:${GID:-1000}", "1000:1000", "passed"),
    ("${RUN_AS}", "0", "failed"),  # set, and root: judged
    ("$${HOME}", "${HOME}", "passed"),  # an escaped $ is no variable
])
def test_a_user_from_set_variables_is_judged(written: str, loaded: str, outcome: str) -> None:
    assert verdict("user-not-root", compose({"user": loaded}, {"user": written})).outcome \
        == outcome


def test_a_container_user_is_what_the_engine_reports() -> None:
    assert verdict("user-not-root", inspect(config={"User": "0:0"})).outcome == "failed"


# --- no-secrets-in-env: env_file variables count whether or not environment is set --------

def test_env_file_values_are_judged_beside_environment() -> None:
    config = {"env_file": [{"path": "/srv/app/app.env", "required": True}],
              "environment": {"STRIPE_SECRET_KEY": "sk_live_0123456789abcdefghijklmn",
                              "LOG_LEVEL": "info"}}
    raw = {"env_file": "app.env", "environment": {"LOG_LEVEL": "info"}}
    result = verdict("no-secrets-in-env", compose(config, raw))
    assert result.outcome == "failed"
    assert "STRIPE_SECRET_KEY" in result.findings[0].message
    assert "sk_live_0123" not in result.findings[0].message


# --- no-sensitive-host-mounts ------------------------------------------------------------

@pytest.mark.parametrize(("folder", "source", "outcome"), [
    # A project kept under /root or /etc owns the files below its folder.
    ("/root/stacks/nextcloud", "/root/stacks/nextcloud/data", "passed"),
    ("/etc/compose/app", "/etc/compose/app/conf", "passed"),
    ("/root/stacks/nextcloud", "/root/stacks/nextcloud/.ssh", "failed"),
    # Climbing out of the folder reaches the host's directories again.
    ("/root/stacks/nextcloud", "/root", "failed"),
    ("/root/stacks/nextcloud", "/root/.bashrc", "failed"),
    # A folder that is itself a listed directory, a home or above one owns nothing.
    ("/root", "/root/data", "failed"),
    ("/etc", "/etc/ssl", "failed"),
    ("/home/alice", "/home/alice", "failed"),
    ("/", "/etc", "failed"),
])
def test_binds_inside_the_project_folder_are_its_own(folder: str, source: str,
                                                     outcome: str) -> None:
    settings = compose({"volumes": [bind(source)]}, folder=folder)
    assert verdict("no-sensitive-host-mounts", settings).outcome == outcome
    labelled = inspect(config={"Labels": {COMPOSE_WORKING_DIR: folder}},
                       mounts=[inspect_bind(source)])
    assert verdict("no-sensitive-host-mounts", labelled).outcome == outcome


def test_a_container_without_a_project_label_is_judged_by_path() -> None:
    settings = inspect(mounts=[inspect_bind("/root/stacks/nextcloud/data")])
    assert verdict("no-sensitive-host-mounts", settings).outcome == "failed"


@pytest.mark.parametrize(("source", "outcome"), [
    ("~/projects", "passed"),
    ("~/.local/share/code-server", "passed"),
    ("~/.aws", "failed"),
    ("~/.kube/config", "failed"),
    ("~", "failed"),
])
def test_tilde_is_the_deploying_users_home(source: str, outcome: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Whoever runs the checks (root in many CI jobs) does not change the verdict.
    for home in ("/root", "/home/ci"):
        monkeypatch.setenv("HOME", home)
        expanded = home + source[1:]
        settings = compose({"volumes": [bind(expanded)]},
                           {"volumes": [f"{source}:/mnt"]})
        result = verdict("no-sensitive-host-mounts", settings)
        assert result.outcome == outcome, (home, result.findings)
        assert all(source in f.message for f in result.findings)


@pytest.mark.parametrize(("source", "read_only", "outcome"), [
    ("/run/dbus", True, "failed"),
    ("/var/run/dbus/system_bus_socket", True, "failed"),
    ("/run/systemd", True, "failed"),
    ("/run/systemd/journal/socket", False, "passed"),
    ("/etc/os-release", True, "passed"),
    ("/etc/os-release", False, "failed"),
    ("/var/log/nginx", True, "passed"),
    # World-readable on any host: nothing more is learnt by reading them in a container.
    ("/etc/passwd", True, "passed"),
    ("/etc/group", True, "passed"),
    ("/usr/share/fonts", True, "passed"),
    ("/lib/modules", True, "passed"),
    ("/lib/modules", False, "failed"),
    ("/etc/shadow", True, "failed"),
    ("/etc/letsencrypt", True, "failed"),  # private keys
])
def test_host_control_sockets_and_harmless_files(source: str, read_only: bool,
                                                 outcome: str) -> None:
    for settings in (compose({"volumes": [bind(source, read_only)]}),
                     inspect(mounts=[inspect_bind(source, read_only)])):
        assert verdict("no-sensitive-host-mounts", settings).outcome == outcome


def test_a_root_credential_directory_is_named_as_one() -> None:
    result = verdict("no-sensitive-host-mounts", compose({"volumes": [bind("/root/.ssh")]}))
    assert "credential directory (.ssh)" in result.findings[0].message
    assert result.findings[0].severity == "critical"


# --- no-runtime-socket-mount: the message names the socket --------------------------------

@pytest.mark.parametrize(("source", "words"), [
    ("/", "/, which holds the runtime socket /run/docker.sock"),
    ("/var/run", "/run, which holds the runtime socket /run/docker.sock"),
    ("/run/containerd/containerd.sock", "socket /run/containerd/containerd.sock"),
])
def test_socket_findings_name_the_socket(source: str, words: str) -> None:
    for settings in (compose({"volumes": [bind(source, True)]}),
                     inspect(mounts=[inspect_bind(source, True)])):
        result = verdict("no-runtime-socket-mount", settings)
        assert result.outcome == "failed" and words in result.findings[0].message


# --- mac-profile-confined: SELinux unconfined types ----------------------------------------

@pytest.mark.parametrize(("opt", "outcome"), [
    ("label=type:spc_t", "failed"),
    ("label:type:unconfined_t", "failed"),
    ("label=type:container_t", "passed"),
    ("label=level:s0:c100,c200", "passed"),
])
def test_selinux_unconfined_types(opt: str, outcome: str) -> None:
    for settings in (compose({"security_opt": [opt]}),
                     inspect(host={"SecurityOpt": [opt]})):
        assert verdict("mac-profile-confined", settings).outcome == outcome


# --- image-pinned: tags that move with every release ---------------------------------------

@pytest.mark.parametrize(("tag", "moving"), [
    ("alpine", True), ("fpm-alpine", True), ("management", True), ("lts-jdk17", True),
    ("stable-alpine", True), ("mainline-alpine-perl", True), ("release", True),
    ("alpine3.19", True), ("dind", True), ("latest-alpine3.19", True),
    ("1.25-alpine", False), ("3-slim", False), ("24.0.7-dind", False), ("v3.0", False),
    ("bookworm-slim", False), ("jammy", False), ("ltsc2022", False),
    ("main-4f2a1c3", False), ("dev-20240101", False), ("pg14-v0.2.0", False),
])
def test_moving_tags(tag: str, moving: bool) -> None:
    assert moving_tag(tag) is moving
    for settings in (compose({"image": f"redis:{tag}"}),
                     inspect(config={"Image": f"redis:{tag}"})):
        expected = "failed" if moving else "passed"
        assert verdict("image-pinned", settings).outcome == expected


@pytest.mark.parametrize(("conf", "outcome"), [
    ({"build": {"context": "."}, "image": "myorg/app:latest", "pull_policy": "build"},
     "skipped"),
    # Without pull_policy: build, Compose pulls the image first and builds only if that fails.
    ({"build": {"context": "."}, "image": "myorg/app:latest"}, "failed"),
])
def test_an_image_only_ever_built_here_is_not_judged(conf: dict[str, Any],
                                                     outcome: str) -> None:
    settings = compose(conf)
    assert verdict("image-pinned", settings).outcome == outcome
    assert verdict("image-digest-pinned", settings).outcome == outcome
    if outcome == "skipped":
        assert "pull_policy: build" in verdict("image-pinned", settings).reason


# --- ports: a range is one finding -----------------------------------------------------------

def test_a_port_range_is_one_finding() -> None:
    ports = [{"mode": "ingress", "target": 9000 + i, "published": str(9000 + i),
              "protocol": "tcp"} for i in range(11)]
    result = verdict("ports-bound-to-interface", compose({"ports": ports}))
    assert [f.message.split(" on ")[0] for f in result.findings] == [
        "service web publishes port 9000-9010->9000-9010/tcp"]
    low = [{"mode": "ingress", "target": 1000 + i, "published": str(1000 + i),
            "host_ip": "127.0.0.1", "protocol": "udp"} for i in range(40)]
    result = verdict("no-privileged-host-ports", compose({"ports": low}))
    assert [f.message for f in result.findings] == [
        ("service web publishes privileged host port 1000-1023->1000-1023/udp; use a host "
         "port of 1024 or above")]


def test_a_container_port_range_is_one_finding() -> None:
    bindings = {f"{p}/tcp": [{"HostIp": "", "HostPort": str(p)}] for p in range(9000, 9011)}
    bindings["53/udp"] = [{"HostIp": "0.0.0.0", "HostPort": "53"}]
    result = verdict("ports-bound-to-interface", inspect(host={"PortBindings": bindings}))
    assert len(result.findings) == 2
    assert "9000-9010->9000-9010/tcp" in result.findings[0].message


# --- image-pinned: a reference written from variables the deployment supplies --------------

@pytest.mark.parametrize(("written", "loaded", "outcome"), [
    ("ghcr.io/acme/app:${APP_VERSION}", "ghcr.io/acme/app:", "skipped"),
    ("${REGISTRY}/acme/api:1.4.0", "/acme/api:1.4.0", "skipped"),
    ("${IMAGE}", "", "skipped"),
    ("acme/web:${WEB_TAG:-latest}", "acme/web:latest", "failed"),
    ("postgres:${PG_MAJOR:-16}", "postgres:16", "passed"),
])
def test_an_image_from_unset_variables_cannot_be_evaluated(written: str, loaded: str,
                                                           outcome: str) -> None:
    result = verdict("image-pinned", compose({"image": loaded}, {"image": written}))
    assert result.outcome == outcome
    if outcome == "skipped":
        assert written in result.reason
        assert verdict("image-digest-pinned",
                       compose({"image": loaded}, {"image": written})).outcome == "skipped"


# --- no-secrets-in-env: hashes, escaped references and application keys --------------------

@pytest.mark.parametrize(("name", "written", "final", "outcome"), [
    ("ADMIN_TOKEN", "$$argon2id$$v=19$$m=65540,t=3,p=4$$MmeKRnGK5RW5mJS7h3TOL89GrpLPX$$Dqs"
     "stvoSAETl9YhnsXbf43WeaUwJC6JhViIvuPoig78",
     "$argon2id$v=19$m=65540,t=3,p=4$MmeKRnGK5RW5mJS7h3TOL89GrpLPX$DqsstvoSAETl9YhnsXbf43We"
     "aUwJC6JhViIvuPoig78", "passed"),
    ("HTPASSWD", "admin:$$apr1$$H6uskkkW$$IgXLP6ewTrSuBkTrqE8wj/",
     "admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/", "passed"),
    ("HTPASSWD", "admin:$$apr1$$H6uskkkW$$IgXLP6ewTrSuBkTrqE8wj/,bob:plaintext1",
     "admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/,bob:plaintext1", "failed"),
    ("APP_KEY", "base64:2fl+Ktvkfl+Fuz4Qp/A75G2RTiWVA/ZoKZvp6fiiM10=",
     "base64:2fl+Ktvkfl+Fuz4Qp/A75G2RTiWVA/ZoKZvp6fiiM10=", "failed"),
    ("DB_PASSWORD", "P@$$w0rd-2024", "P@$w0rd-2024", "failed"),
])
def test_hashes_and_keys_in_the_environment(name: str, written: str, final: str,
                                            outcome: str) -> None:
    service = compose({"environment": {name: final}}, {"environment": {name: written}})
    container = inspect(config={"Env": [f"{name}={final}"]})
    for settings in (service, container):
        result = verdict("no-secrets-in-env", settings)
        assert result.outcome == outcome
        assert all(final[6:20] not in f.message for f in result.findings)


def test_an_escaped_reference_is_left_to_the_container() -> None:
    service = compose({"environment": {"DB_PASSWORD": "${MYSQL_PASSWORD}"}},
                      {"environment": {"DB_PASSWORD": "$${MYSQL_PASSWORD}"}})
    assert verdict("no-secrets-in-env", service).outcome == "passed"


@pytest.mark.parametrize(("name", "value", "outcome"), [
    ("GITLAB_OMNIBUS_CONFIG", ("external_url 'https://git.example'\n"
                               "gitlab_rails['initial_root_password'] = 'Sup3rS3cr3tRootPw'\n"),
     "failed"),
    ("GITLAB_OMNIBUS_CONFIG", ("external_url 'https://git.example'\n"
                               "gitlab_rails['initial_root_password'] = ENV['ROOT_PW']\n"),
     "passed"),
    ("JAVA_OPTS", "-Xmx1g -Dspring.datasource.password=Hunter2Hunter2", "failed"),
    ("JAVA_OPTS", "-Xmx1g -Djava.awt.headless=true", "passed"),
    ("EXTRA_ARGS", "--db-password=Sup3rSecretPw --verbose", "failed"),
    ("EXTRA_ARGS", "--db-password-file=/run/secrets/db --verbose", "passed"),
])
def test_credentials_carried_in_a_variable(name: str, value: str, outcome: str) -> None:
    """A configuration or command line held in one variable, in both twins."""
    service = compose({"environment": {name: value}}, {"environment": {name: value}})
    container = inspect(config={"Env": [f"{name}={value}"]})
    for settings in (service, container):
        result = verdict("no-secrets-in-env", settings)
        assert result.outcome == outcome
        assert all("Sup3r" not in f.message and "Hunter2" not in f.message
                   for f in result.findings)


# --- a privileged container: every capability, no seccomp, no MAC confinement ---------------

@pytest.mark.parametrize(("slug", "words"), [
    ("capabilities-dropped", "keeps every capability"),
    ("seccomp-enabled", "runs without a seccomp profile"),
    ("mac-profile-confined", "runs without AppArmor or SELinux confinement"),
])
def test_privileged_overrides_what_is_dropped_and_confined(slug: str, words: str) -> None:
    hardened = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"]}
    service = compose({"privileged": True, **hardened})
    # The engine's own record: unconfined on an AppArmor host, nothing on an SELinux one.
    containers = [inspect(host={"Privileged": True, "CapDrop": ["ALL"],
                                "SecurityOpt": ["label=disable", "no-new-privileges"]}),
                  from_inspect({"Name": "/web", "AppArmorProfile": "unconfined",
                                "HostConfig": {"Privileged": True, "CapDrop": ["ALL"]},
                                "Config": {"Image": "example/web:1.0"}},
                               apparmor_active=True)]
    for settings in (service, *containers):
        result = verdict(slug, settings)
        assert result.outcome == "failed", settings.kind
        (finding,) = result.findings
        assert words in finding.message
    assert "privileged: true" in verdict(slug, service).findings[0].message
    assert "--privileged" in verdict(slug, containers[0]).findings[0].message
    unprivileged = compose(hardened)
    assert verdict(slug, unprivileged).outcome == "passed"
