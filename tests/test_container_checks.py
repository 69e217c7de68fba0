"""Every container.* check against real containers on the real engine: for each rule, a
container made with the bad flag fails it and the hardened container passes it.

The rule ids come from the catalogue (shared/CHECKS.md); a rule not registered yet is
skipped with that reason, so these tests follow the registry as it grows.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from containers import APP, APP_LATEST, NOSHELL, SSHD, Lab, build_app, build_noshell, \
    build_sshd, hardened
from registry import BINARY as REGISTRY
from registry import free_port, local_registry
from shared import shared_path

from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.targets.container import Container


def catalogue_container_ids() -> list[str]:
    """``container.<slug>`` for each run-settings row, plus the container-only checks."""
    text = shared_path("CHECKS.md").read_text()
    table = text.split("## Run settings", 1)[1].split("Container only:", 1)[0]
    slugs = re.findall(r"^\| ([a-z][a-z-]+) \|", table, re.M)
    extra = re.findall(r"`(container\.[a-z-]+)`", text)
    return [f"container.{s}" for s in slugs if s != "slug"] + sorted(set(extra))


IDS = catalogue_container_ids()
SECRET = "s3cr3t-Passw0rd-value"
# Each rule's bad flags, as changes to the hardened container (several spellings for some).
BAD: dict[str, list[dict[str, Any]]] = {
    "user-not-root": [dict(user="0"), dict(user="root:root"), dict(user=None),
                      dict(user="toor")],
    "no-privileged": [dict(privileged=True, user=None)],
    "no-dangerous-capabilities": [dict(cap_add=["SYS_ADMIN"]), dict(cap_add=["NET_ADMIN"])],
    "capabilities-dropped": [dict(cap_drop=None)],
    "no-new-privileges": [dict(security_opt=None)],
    "seccomp-enabled": [dict(security_opt=["seccomp=unconfined", "no-new-privileges"])],
    "mac-profile-confined": [dict(security_opt=["apparmor=unconfined", "no-new-privileges"]),
                             dict(security_opt=["label=disable", "no-new-privileges"])],
    "read-only-rootfs": [dict(read_only=None)],
    "no-runtime-socket-mount": [dict(volumes={"/var/run/docker.sock": {
        "bind": "/var/run/docker.sock", "mode": "ro"}}),
        dict(volumes={"/run": {"bind": "/hostrun", "mode": "ro"}})],
    "no-sensitive-host-mounts": [dict(volumes={"/etc": {"bind": "/host-etc", "mode": "ro"}}),
                                 dict(volumes={"etc_as_volume": {"bind": "/v", "mode": "ro"}})],
    "no-host-devices": [dict(devices=["/dev/kmsg:/dev/kmsg:r"])],
    "no-host-network": [dict(network=None, network_mode="host", ports=None)],
    "no-host-pid": [dict(pid_mode="host")],
    "no-host-ipc": [dict(ipc_mode="host")],
    "no-host-uts": [dict(uts_mode="host", network=None, network_mode="host", ports=None)],
    "no-host-userns": [dict(userns_mode="host")],
    "no-shared-propagation": [dict(volumes={"/tmp": {"bind": "/shared", "mode": "ro,rshared"}})],
    "ports-bound-to-interface": [dict(ports={"8080/tcp": None}),
                                 dict(ports={"8080/tcp": ("0.0.0.0", 18080)}),
                                 dict(ports={"8080/tcp": ("::", 18080)})],
    "no-privileged-host-ports": [dict(ports={"80/tcp": ("127.0.0.1", 80)})],
    "memory-limited": [dict(mem_limit=None)],
    "cpu-limited": [dict(nano_cpus=None)],
    "pids-limited": [dict(pids_limit=None), dict(pids_limit=-1)],
    "restart-policy-bounded": [dict(restart_policy={"Name": "always"}),
                               dict(restart_policy={"Name": "on-failure",
                                                    "MaximumRetryCount": 10})],
    "healthcheck-defined": [dict(healthcheck=None), dict(healthcheck={"test": ["NONE"]})],
    "no-secrets-in-env": [dict(environment={"DB_PASSWORD": SECRET})],
    "logging-enabled": [dict(log_config={"Type": "none", "Config": {}})],
    "logs-forwarded-securely": [dict(log_config={"Type": "syslog", "Config": {
        "syslog-address": "tcp://192.0.2.10:514"}})],
    "logs-rotated": [dict(log_config={"Type": "json-file", "Config": {}})],
    "image-pinned": [dict(image=APP_LATEST)],
    "image-digest-pinned": [{}],  # the hardened container names a tag, not a digest
    "not-on-default-bridge": [dict(network=None)],
}


@pytest.fixture(scope="module")
def lab(docker_client: Any) -> Iterator[Lab]:
    build_app(docker_client)
    lab = Lab(docker_client)
    # A named volume that is really a bind of /etc (local driver, o=bind).
    docker_client.volumes.create("etc_as_volume", driver="local", labels=lab.label,
                                 driver_opts={"type": "none", "o": "bind", "device": "/etc"})
    yield lab
    lab.close()
    docker_client.volumes.get("etc_as_volume").remove(force=True)


@pytest.fixture(scope="module")
def network(lab: Lab) -> str:
    return lab.network()


@pytest.fixture(scope="module")
def good(lab: Lab, network: str) -> Container:
    """The hardened container, running."""
    return lab.load(lab.create("good", hardened(network, free_port()), start=True))


def verdict(check_id: str, container: Container) -> Verdict:
    chk = registry().get(check_id)
    if chk is None:
        pytest.skip(f"{check_id} is not registered yet")
    return chk.evaluate(container)


def test_the_catalogue_lists_the_container_ids_these_tests_cover() -> None:
    assert len(IDS) == 32 and "container.no-sshd" in IDS
    assert {i.split(".", 1)[1] for i in IDS} == set(BAD) | {"no-sshd"}
    registered = {i for i, c in registry().items() if c.model == "container"}
    assert registered <= set(IDS), "a container check without a real-container test"


@pytest.mark.parametrize("check_id", [i for i in IDS if i not in (
    "container.image-digest-pinned", "container.no-sshd")])
def test_hardened_running_container_passes(check_id: str, good: Container) -> None:
    assert good.running
    result = verdict(check_id, good)
    assert result.outcome == "passed", [f.message for f in result.findings] or result.reason


BAD_CASES = [(f"container.{slug}", n) for slug, variants in BAD.items()
             for n in range(len(variants))]


@pytest.mark.parametrize(("check_id", "variant"), BAD_CASES)
def test_bad_flag_fails(check_id: str, variant: int, lab: Lab, network: str) -> None:
    slug = check_id.split(".", 1)[1]
    if registry().get(check_id) is None:
        pytest.skip(f"{check_id} is not registered yet")
    args = hardened(network, free_port(), **BAD[slug][variant])
    # Created, not started: what is judged is the inspect data, the same either way, and some
    # bad flags cannot start here (a privileged root container, /dev/kmsg).
    container = lab.load(lab.create(f"bad-{slug}-{variant}", args))
    result = verdict(check_id, container)
    assert result.outcome == "failed", result.reason
    assert result.findings and all(container.name in f.message for f in result.findings)


def test_secret_in_env_is_masked(lab: Lab, network: str) -> None:
    args = hardened(network, free_port(), **BAD["no-secrets-in-env"][0])
    container = lab.load(lab.create("secret", args))
    result = verdict("container.no-secrets-in-env", container)
    assert result.outcome == "failed"
    text = " ".join(f.message for f in result.findings)
    assert SECRET not in text and "DB_PASSWORD" in text


def test_image_user_resolved_through_the_containers_passwd(lab: Lab, network: str) -> None:
    """``toor`` is uid 0 in the image's /etc/passwd; ``app`` is 1000."""
    toor = lab.load(lab.create("toor", hardened(network, free_port(), user="toor")))
    app = lab.load(lab.create("app", hardened(network, free_port(), user="app")))
    assert toor.settings.image and toor.settings.image.passwd == {"root": 0, "app": 1000,
                                                                  "toor": 0}
    assert verdict("container.user-not-root", toor).outcome == "failed"
    assert verdict("container.user-not-root", app).outcome == "passed"


def test_digest_pinned_image_passes(docker_client: Any, lab: Lab, network: str) -> None:
    if shutil.which(REGISTRY) is None:
        pytest.skip(f"{REGISTRY} is not installed (Debian package docker-registry)")
    with local_registry() as address:
        repo = f"{address}/ctrsec-test/container-app"
        docker_client.images.get(APP).tag(repo, "1")
        docker_client.images.push(repo, "1")
        digest = next(d for d in docker_client.images.get(f"{repo}:1").attrs["RepoDigests"]
                      if d.startswith(repo))
        container = lab.load(lab.create("digest", hardened(network, free_port(), image=digest)))
        assert container.image == digest
        assert verdict("container.image-digest-pinned", container).outcome == "passed"
        assert verdict("container.image-pinned", container).outcome == "passed"
        docker_client.images.remove(f"{repo}:1")


def test_sshd_process_fails_and_plain_process_passes(docker_client: Any, lab: Lab,
                                                     network: str, good: Container) -> None:
    build_sshd(docker_client)
    sshd = lab.load(lab.create("sshd", dict(image=SSHD, network=network), start=True))
    result = verdict("container.no-sshd", sshd)
    assert result.outcome == "failed"
    assert "/usr/sbin/sshd 3600" in result.findings[0].message
    assert verdict("container.no-sshd", good).outcome == "passed"


def test_process_check_skips_on_a_container_that_is_not_running(lab: Lab,
                                                                network: str) -> None:
    created = lab.load(lab.create("created", hardened(network, free_port())))
    assert created.status == "created" and created.processes is None
    result = verdict("container.no-sshd", created)
    assert result.outcome == "skipped"
    assert "created" in result.reason and created.name in result.reason


def test_privileged_root_container_is_judged_created(lab: Lab, network: str) -> None:
    container = lab.load(lab.create("priv", hardened(network, free_port(), privileged=True,
                                                     user=None)))
    assert container.status == "created"
    assert verdict("container.no-privileged", container).outcome == "failed"
    assert verdict("container.user-not-root", container).outcome == "failed"


def test_image_without_a_shell_is_fully_checked(docker_client: Any, lab: Lab) -> None:
    build_noshell(docker_client)
    container = lab.load(lab.create("noshell", dict(image=NOSHELL), start=True))
    assert container.running and not container.exists("/bin/sh")
    assert [p.name for p in container.processes or ()] == ["sleep"]
    outcomes = {i: verdict(i, container).outcome for i in IDS if registry().get(i)}
    assert set(outcomes.values()) <= {"passed", "failed"}, outcomes
    # Defaults of `docker run IMAGE`: root, no limits, default bridge; nothing privileged.
    assert outcomes.get("container.user-not-root", "failed") == "failed"
    assert outcomes.get("container.not-on-default-bridge") == "failed"
    assert outcomes.get("container.no-privileged", "passed") == "passed"
    assert outcomes.get("container.no-sshd") == "passed"
    assert container.read_file("/sleep")[:4] == b"\x7fELF"


def test_paused_container_still_lists_its_processes(lab: Lab, network: str,
                                                    docker_client: Any) -> None:
    name = lab.create("paused", hardened(network, free_port()), start=True)
    docker_client.containers.get(name).pause()
    container = lab.load(name)
    assert container.status == "paused" and container.processes
    assert verdict("container.no-sshd", container).outcome == "passed"


def test_shared_network_namespace_is_judged_on_its_owner(lab: Lab, good: Container) -> None:
    joined = lab.load(lab.create("joined", dict(image=APP, network_mode=f"container:{good.id}")))
    result = verdict("container.not-on-default-bridge", joined)
    assert result.outcome == "skipped" and f"container {good.id[:12]}" in result.reason


def test_container_created_from_an_image_id_is_pinned(docker_client: Any, lab: Lab,
                                                      network: str) -> None:
    image_id = docker_client.images.get(APP).id
    for ref in (image_id, image_id.removeprefix("sha256:")[:12]):
        container = lab.load(lab.create(f"byid-{len(ref)}",
                                        hardened(network, free_port(), image=ref)))
        assert container.image == ref
        assert verdict("container.image-pinned", container).outcome == "passed"
        assert verdict("container.image-digest-pinned", container).outcome == "passed"


def test_ports_given_with_the_host_network_are_not_published(docker_client: Any,
                                                            lab: Lab) -> None:
    # The engine discards them (`docker run --network host -p 80:80` warns) but keeps them in
    # HostConfig.PortBindings; the SDK refuses the combination, so the raw API makes it.
    name = f"ctrsec-test-hostports-{lab.tag}"
    docker_client.api.create_container(
        APP, ["sleep", "3600"], name=name, labels=lab.label,
        host_config={"NetworkMode": "host", "PortBindings": {"80/tcp": [{"HostPort": "80"}]}})
    lab.names.append(name)
    container = lab.load(name)
    assert container.settings.ports
    assert verdict("container.ports-bound-to-interface", container).outcome == "passed"
    assert verdict("container.no-privileged-host-ports", container).outcome == "passed"
    assert verdict("container.no-host-network", container).outcome == "failed"


@pytest.mark.parametrize(("log_config", "result"), [
    ({"Type": "local", "Config": {}}, "passed"),  # local rotates by default (20m x 5)
    ({"Type": "json-file", "Config": {"max-size": "10m"}}, "failed"),  # no history kept
    ({"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}, "passed"),
    ({"Type": "json-file", "Config": {"max-file": "3"}}, "failed"),  # ignored alone
])
def test_log_rotation_as_the_drivers_apply_it(log_config: dict[str, Any], result: str,
                                              lab: Lab, network: str) -> None:
    args = hardened(network, free_port(), log_config=log_config)
    keys = "-".join(k.replace("max-", "") for k in sorted(log_config["Config"])) or "none"
    container = lab.load(lab.create(f"log-{log_config['Type']}-{keys}", args))
    assert verdict("container.logs-rotated", container).outcome == result


def test_a_user_missing_from_the_images_passwd_is_not_judged(lab: Lab, network: str) -> None:
    # `docker start` would fail with "unable to find user ghost"; created, it has no uid.
    ghost = lab.load(lab.create("ghost", hardened(network, free_port(), user="ghost")))
    result = verdict("container.user-not-root", ghost)
    assert result.outcome == "skipped" and "ghost" in result.reason


def test_findings_say_where_a_setting_comes_from(lab: Lab, network: str,
                                                 docker_client: Any) -> None:
    """No USER anywhere, and a credential that the image's ENV carries, not `-e`."""
    from images import build_image

    tag = "ctrsec-test/container-envimage:1"
    build_image(docker_client, tag, ["ENV API_TOKEN=tok-0123456789abcdef", 'CMD ["sleep", "9"]'])
    try:
        args = hardened(network, free_port(), image=tag, user=None,
                        environment={"DB_PASSWORD": SECRET})
        container = lab.load(lab.create("envimage", args))
        (user,) = verdict("container.user-not-root", container).findings
        assert "(no user: neither --user nor a USER in its image)" in user.message
        by_key = {f.message.split(" sets ")[1].split(" ")[0]: f.message
                  for f in verdict("container.no-secrets-in-env", container).findings}
        assert f"from the ENV of its image {tag}; rebuild the image" in by_key["API_TOKEN"]
        assert "ENV of its image" not in by_key["DB_PASSWORD"]
        assert "tok-0123456789abcdef" not in by_key["API_TOKEN"]
    finally:
        for name in [n for n in lab.names if "envimage" in n]:  # before its image goes
            docker_client.containers.get(name).remove(force=True)
            lab.names.remove(name)
        docker_client.images.remove(tag, force=True)
