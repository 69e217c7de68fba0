"""Every image.* check (but vulnerabilities) on images built on the real engine: a "bad"
image that fails them, a scratch image with no shell that passes them, and one verdict per
check identical whether the image is read from the engine, a docker-save archive or an
OCI layout."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from archive_maker import M, config_for, docker_archive, layer
from image_helpers import save, skopeo_oci
from images import build_image

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.targets.image import open_image
from pytest_ctrsec.targets.image.model import Image

BAD = "ctrsec-test/image-bad:latest"
GOOD = "ctrsec-test/image-good:1.0"
KEY = (b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
       b"-----END OPENSSH PRIVATE KEY-----\n")

BAD_FILES = {
    "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n"
                  b"app::1000:1000::/home/app:/bin/sh\n",
    "etc/group": b"root:x:0:\nwheel:x:0:\n",
    "etc/shadow": (b"root:*:19000::::::\nguest::19000::::::\n", 0o640),
    "etc/motd": b"hello\n",
    "root/.ssh/id_rsa": (KEY, 0o600),
    "app/config/key.pem": KEY,
    "app/.env": b"PORT=8080\nDB_PASSWORD=hunter2hunter2\n",
    "app/.env.example": b"DB_PASSWORD=changeme\n",  # a template: placeholders
    "app/.git/HEAD": b"ref: refs/heads/main\n",
    "app/Dockerfile": b"FROM scratch\n",
    "usr/bin/sudo": (b"#!/bin/sh\n", 0o4755),
    "usr/sbin/sshd": (b"\x7fELF", 0o755),
    "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease": b"x" * 100,
    "srv/shared.txt": (b"anyone\n", 0o666),
}
BAD_LINES = [
    "ENV DB_PASSWORD=hunter2hunter2 LANG=C.UTF-8",
    "RUN true || apt-get update",
    "RUN true || sudo ls",
    "ADD files/etc/motd /etc/motd",
    "EXPOSE 22 8080",
    "RUN chmod 4755 /usr/bin/sudo && chmod 2755 /usr/sbin/sshd",  # COPY drops setuid bits
    "VOLUME /proc/sys",  # last: a RUN after it would mount it
]

GOOD_DOCKERFILE = """FROM scratch
COPY busybox /app/server
COPY files/ /
USER 1000:1000
HEALTHCHECK CMD ["/app/server", "true"]
ENV PATH=/app LANG=C.UTF-8 GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D
EXPOSE 8080
ENTRYPOINT ["/app/server"]
"""
GOOD_FILES = {
    "etc/passwd": b"root:x:0:0:root:/root:/sbin/nologin\napp:x:1000:1000::/app:/sbin/nologin\n",
    "etc/group": b"root:x:0:\napp:x:1000:\n",
    "etc/shadow": (b"root:*:19000::::::\napp:!:19000::::::\n", 0o640),
    "app/public.pem": b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
}

IMAGE_CHECKS = sorted(c for c in registry() if c.startswith("image.")
                      and c != "image.no-known-vulnerabilities")


@pytest.fixture(scope="module")
def bad(docker_client: Any) -> str:
    build_image(docker_client, BAD, BAD_LINES, files=BAD_FILES)
    return BAD


@pytest.fixture(scope="module")
def good(docker_client: Any) -> str:
    build_image(docker_client, GOOD, dockerfile=GOOD_DOCKERFILE, files=GOOD_FILES)
    return GOOD


def _messages(check_id: str, image: Image, **options: Any) -> list[str]:
    verdict = registry()[check_id].evaluate(image, options or None)
    assert verdict.outcome != "skipped", verdict.reason
    return [f.message for f in verdict.findings]


EXPECTED_BAD = {
    "image.user-not-root": ["the image runs as root (no USER)"],
    "image.healthcheck-defined": ["the image has no HEALTHCHECK"],
    "image.no-update-alone": ["updates the package index (apt-get update)"],
    "image.no-setuid-files": ["/usr/bin/sudo is setuid (-rwsr-xr-x)",
                              "/usr/sbin/sshd is setgid (-rwxr-sr-x)"],
    "image.copy-not-add": ["uses ADD: ADD file:"],
    "image.no-secrets-in-env": ["Env DB_PASSWORD holds a literal credential (hu*"],
    "image.no-secret-files": ["/app/.env holds secret content (a credential-named key with a "
                              "literal value)",
                              "/app/config/key.pem holds secret content (private-key)",
                              "/root/.ssh/id_rsa holds secret content (private-key)"],
    "image.no-sudo": ["runs sudo: RUN true || sudo ls",
                      "sudo binary is installed at /usr/bin/sudo"],
    "image.no-sensitive-volumes": ["VOLUME /proc/sys exposes a kernel filesystem"],
    "image.package-cache-cleaned": ["apt lists left in the image: 1 files, 100 bytes"],
    "image.not-latest-tag": [f"referred to as {BAD}: :latest"],
    "image.no-empty-passwords": ["account guest has an empty password (/etc/shadow line 2)",
                                 "account app has an empty password (/etc/passwd line 3)"],
    "image.unique-ids": ["UID 0 is shared by root, toor in /etc/passwd",
                         "GID 0 is shared by root, wheel in /etc/group"],
    "image.no-unnecessary-files": ["/app/.git/ is in the image", "/app/Dockerfile is in the image",
                                   "/root/.ssh/ is in the image"],
    "image.minimal-tooling": ["wget is installed at /bin/wget", "nc is installed at /bin/nc"],
    "image.no-world-writable": ["/srv/shared.txt is world-writable (-rw-rw-rw-)"],
    "image.no-sshd": ["an SSH server is installed at /usr/sbin/sshd",
                      "the image exposes the SSH port (22/tcp)"],
}


@pytest.mark.parametrize("check_id", sorted(EXPECTED_BAD))
def test_bad_image_fails(bad: str, check_id: str) -> None:
    messages = _messages(check_id, open_image(bad))
    for expected in EXPECTED_BAD[check_id]:
        assert any(expected in m for m in messages), (expected, messages)


@pytest.mark.parametrize("check_id", IMAGE_CHECKS)
def test_scratch_image_without_shell_passes_every_check(good: str, check_id: str) -> None:
    image = open_image(good)
    assert image.fs.stat("bin/sh") is None  # really no shell
    assert _messages(check_id, image) == []


def test_every_image_check_has_cases() -> None:
    assert set(EXPECTED_BAD) | {"image.recently-built"} == set(IMAGE_CHECKS)


def test_recently_built_fails_for_an_old_image(tmp_path: Path) -> None:
    layers = [layer([M("app", data=b"x")])]
    conf = config_for(layers).replace(b"2026-01-01T00:00:00Z", b"2020-01-01T00:00:00Z")
    path = tmp_path / "old.tar"
    path.write_bytes(docker_archive(layers, config=conf))
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    messages = _messages("image.recently-built", open_image(f"docker-archive:{path}"), now=now)
    assert messages == ["the image was built 2192 days ago (2020-01-01), more than 90"]
    verdict = registry()["image.recently-built"].evaluate(
        open_image(f"docker-archive:{path}"), {"now": now, "max_age_days": 3000})
    assert verdict.outcome == "passed"


def test_setuid_allow_list_and_sticky_directories(docker_client: Any, bad: str) -> None:
    image = open_image(bad)
    assert _messages("image.no-setuid-files", image, allow=("usr/bin/*", "**/sshd")) == []
    from image_helpers import build_layered

    layered = open_image(build_layered(docker_client, "ctrsec-test/image-layered:1").tags[0])
    messages = _messages("image.no-world-writable", layered)
    assert any("/data/ww" in m for m in messages)
    assert not any("/data/tmp" in m for m in messages)


def test_user_resolved_through_passwd(tmp_path: Path) -> None:
    files = [M("etc", "dir"), M("etc/passwd", data=b"root:x:0:0::/:/bin/sh\nboss:x:0:0::/:/x\n")]
    layers = [layer(files)]
    path = tmp_path / "u.tar"
    path.write_bytes(docker_archive(layers, config=config_for(layers, User="boss")))
    assert _messages("image.user-not-root", open_image(f"docker-archive:{path}")) == [
        "the image runs as root (USER boss: boss is uid 0 in /etc/passwd)"]


def _archive(tmp_path: Path, files: list[M], **conf: object) -> Image:
    layers = [layer(files)]
    path = tmp_path / "a.tar"
    path.write_bytes(docker_archive(layers, config=config_for(layers, **conf)))
    return open_image(f"docker-archive:{path}")


@pytest.mark.parametrize("user", ["ghost", "ghost:1000", "app:ghost"])
def test_user_name_missing_from_passwd_cannot_be_evaluated(tmp_path: Path, user: str) -> None:
    passwd = M("etc/passwd", data=b"root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n")
    image = _archive(tmp_path, [M("etc", "dir"), passwd], User=user)
    verdict = registry()["image.user-not-root"].evaluate(image)
    if user.startswith("ghost"):
        # The engine refuses to start it ("unable to find user ghost"): no uid to judge.
        assert verdict.outcome == "skipped"
        assert "ghost is not in the image's /etc/passwd" in verdict.reason
    else:
        assert verdict.outcome == "passed"  # uid 1000; groups are not users


def test_tools_are_shown_where_they_really_are(tmp_path: Path) -> None:
    """usrmerge: /bin and /sbin link to /usr; a busybox applet is a link to busybox."""
    files = [M("usr", "dir"), M("usr/bin", "dir"), M("usr/sbin", "dir"),
             M("bin", "symlink", link="usr/bin"), M("sbin", "symlink", link="usr/sbin"),
             M("usr/bin/sudo", data=b"\x7fELF", mode=0o4755),
             M("usr/sbin/sshd", data=b"\x7fELF", mode=0o755),
             M("usr/bin/busybox", data=b"\x7fELF", mode=0o755),
             M("usr/bin/wget", "symlink", link="busybox")]
    image = _archive(tmp_path, files)
    assert _messages("image.no-sudo", image) == [
        "the sudo binary is installed at /usr/bin/sudo"]
    assert _messages("image.no-sshd", image) == ["an SSH server is installed at /usr/sbin/sshd"]
    assert _messages("image.minimal-tooling", image) == [
        "wget is installed at /usr/bin/wget -> busybox"]


def test_a_reproducible_build_date_is_no_age(tmp_path: Path) -> None:
    layers = [layer([M("app", data=b"x")])]
    conf = config_for(layers).replace(b"2026-01-01T00:00:00Z", b"1970-01-01T00:00:00Z")
    path = tmp_path / "epoch.tar"
    path.write_bytes(docker_archive(layers, config=conf))
    verdict = registry()["image.recently-built"].evaluate(open_image(f"docker-archive:{path}"))
    assert verdict.outcome == "skipped" and "1970-01-01" in verdict.reason


@pytest.mark.parametrize("which", ["bad", "good"])
def test_verdicts_identical_across_sources(docker_client: Any, which: str, tmp_path: Path,
                                           request: pytest.FixtureRequest) -> None:
    ref = request.getfixturevalue(which)
    archive = save(docker_client, ref, tmp_path / "b.tar")
    tag = ref.rsplit(":", 1)[1]
    oci = skopeo_oci(ref, tmp_path / "oci", name=tag, docker_config=True)
    native = skopeo_oci(ref, tmp_path / "native", name=tag)
    sources = [open_image(ref), open_image(f"docker-archive:{archive}"), open_image(f"oci:{oci}"),
               open_image(f"oci:{native}")]
    for check_id in IMAGE_CHECKS:
        # OCI's own config format has no HEALTHCHECK, so skopeo's conversion drops it.
        chosen = sources[:3] if check_id == "image.healthcheck-defined" else sources
        verdicts = [registry()[check_id].evaluate(s) for s in chosen]
        # The reference differs by source (tag, archive tag, OCI ref name); the rest may not.
        outcomes = {(v.outcome, tuple(f.message for f in v.findings if "referred to" not in
                                      f.message)) for v in verdicts}
        assert len(outcomes) == 1, (check_id, verdicts)


def test_secrets_in_command_lines_labels_and_run_scripts(tmp_path: Path) -> None:
    token = "glpat-" + "a1b2c3d4e5" * 2
    layers = [layer([M("app", data=b"x")])]
    history = [
        {"created_by": f"/bin/sh -c git clone https://oauth2:{token}@gitlab.example/x.git"},
        {"created_by": '/bin/sh -c curl -H "Authorization: Bearer $TOKEN" https://api.example',
         "empty_layer": True},
        {"created_by": "RUN /bin/sh -c pip install --index-url "
                       "https://${PIP_USER}:${PIP_PASSWORD}@pypi.example/simple app # buildkit",
         "empty_layer": True},
    ]
    conf = json.loads(config_for(layers, Cmd=["redis-server", "--requirepass", "Sup3rSecret9"],
                                 Labels={"ci.deploy-token": "d3pl0y-t0ken-value",
                                         "org.opencontainers.image.source": "https://x/y"}))
    conf["history"] = history
    path = tmp_path / "cmd.tar"
    path.write_bytes(docker_archive(layers, config=json.dumps(conf).encode()))
    messages = _messages("image.no-secrets-in-env", open_image(f"docker-archive:{path}"))
    text = " | ".join(messages)
    assert any(m.startswith("Entrypoint/Cmd holds a literal credential in --requirepass (")
               for m in messages), messages
    assert any(m.startswith("Label ci.deploy-token holds") for m in messages)
    assert any(m.startswith("history step 1: the RUN command holds a URL with a literal "
                            "password (https://oauth2:gl") for m in messages)
    assert not any("step 2" in m or "step 3" in m for m in messages), messages
    for secret in (token, "Sup3rSecret9", "d3pl0y-t0ken-value"):
        assert secret not in text


@pytest.mark.parametrize(("name", "content", "found"), [
    (".env", b"NODE_ENV=production\nPORT=3000\n", False),
    (".env", b"# local\nexport API_KEY='k-93jf02kd83'\n", True),
    (".env.production", b"DATABASE_URL=postgres://app:s3cretpw@db/app\n", True),
    (".env", b"DB_PASSWORD=${DB_PASSWORD}\nTOKEN=\n", False),
    (".env.sample", b"SECRET_KEY=abc123def456\n", False),
    ("settings.py", b"SECRET_KEY = os.environ['SECRET_KEY']\nAUTH_PASSWORD_VALIDATORS = [\n",
     False),
    ("settings.py", b"SECRET_KEY = 'django-insecure-0a9s8d7f6g'\n", True),
    ("settings.py", b"DATABASES = {'default': {\n    'PASSWORD': 'hunter2pw',\n}}\n", True),
    ("database.yml", b"production:\n  password: <%= ENV['DB_PASSWORD'] %>\n", False),
    ("database.yml", b"production:\n  password: supersecret\n", True),
])
def test_config_files_are_judged_by_what_they_assign(tmp_path: Path, name: str,
                                                      content: bytes, found: bool) -> None:
    """A .env or settings.py is a credential file when it assigns a literal to a
    credential-named key, not by its name (Dockle flags every .env)."""
    image = _archive(tmp_path, [M("app", "dir"), M(f"app/{name}", data=content)])
    messages = _messages("image.no-secret-files", image)
    assert messages == ([f"/app/{name} holds secret content (a credential-named key with a "
                         "literal value)"] if found else [])
    assert all(b"hunter2pw" not in m.encode() for m in messages)


def test_a_config_file_too_large_to_read_is_judged_by_its_name(tmp_path: Path) -> None:
    image = _archive(tmp_path, [M("app", "dir"), M("app/.env", data=b"A=1\n" * 40000)])
    assert _messages("image.no-secret-files", image) == [
        "/app/.env is a credential file by its name, too large (160000 bytes) to read"]
