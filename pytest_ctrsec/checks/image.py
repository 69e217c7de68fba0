"""Image rules: the built artefact's config, history and merged filesystem.

Every rule reads the :class:`~pytest_ctrsec.targets.image.model.Image` model only (no
engine, no container), so scratch and distroless images are checked like any other.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence

from ..catalog import check
from ..detect import shell
from ..detect.secrets import SecretHit, scan_command, scan_pair
from ..errors import CannotEvaluate
from ..findings import Finding
from ..runsettings.imageref import parse_image_ref
from ..runsettings.inspect import needs_passwd
from ..targets.image.fsindex import glob_regex
from ..targets.image.history import Step, steps
from ..targets.image.model import Image
from ..targets.image.secretscan import holds_key_values
from ..targets.image.source import ENGINE
from .runsettings.identity import is_root_user

BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LIBRARY_DIRS = re.compile(r"(?:^|/)(?:site-packages|dist-packages|node_modules|vendor|gems)/")


def _allowed(path: str, patterns: Sequence[str]) -> bool:
    return any(glob_regex(p).fullmatch(path) for p in patterns)


def _shown(path: str) -> str:
    return "/" + path


@check("image.user-not-root", title="Image runs as a non-root user", severity="high",
       model="image", refs=("CIS 4.1", "CIS-DI-0001"),
       remediation="Create an unprivileged user in the image and set `USER <uid>`.")
def user_not_root(image: Image) -> Iterator[Finding]:
    user = image.config.user.strip()
    users = image.users()
    name = user.partition(":")[0].strip()
    if needs_passwd(user) and name not in users:
        raise CannotEvaluate(f"USER {user}: {name} is not in the image's /etc/passwd, so its "
                             f"uid is unknown (the engine cannot start the image as it); "
                             f"use a numeric UID")
    if is_root_user(user, users):
        how = f"USER {user}" if user else "no USER"
        if needs_passwd(user):
            how += f": {name} is uid 0 in /etc/passwd"
        yield Finding(f"the image runs as root ({how})")


@check("image.healthcheck-defined", title="Image defines a HEALTHCHECK", severity="low",
       model="image", refs=("CIS 4.6", "CIS-DI-0006"),
       remediation="Add `HEALTHCHECK CMD <probe>` to the Dockerfile.")
def healthcheck_defined(image: Image) -> Iterator[Finding]:
    if image.config.healthcheck is None:
        yield Finding("the image has no HEALTHCHECK")
    elif image.config.healthcheck_disabled:
        yield Finding("the image's HEALTHCHECK is NONE (disabled)")


@check("image.no-update-alone", title="No package-index update without an install",
       severity="medium", model="image", refs=("CIS 4.7", "CIS-DI-0007"),
       remediation="Update and install in one RUN: `apt-get update && apt-get install -y ...`.")
def no_update_alone(image: Image) -> Iterator[Finding]:
    for step in steps(image.config):
        if step.keyword == "RUN":
            for cmd in shell.update_alone(shell.commands(step.text)):
                yield Finding(f"history step {step.number} updates the package index "
                              f"({' '.join(cmd.argv[:2])}) without installing: {step.short}")


@check("image.no-setuid-files", title="No setuid or setgid files", severity="medium",
       model="image", refs=("CIS 4.8", "CIS-DI-0008"), options={"allow": ()},
       remediation="Remove the bits in the Dockerfile: "
                   "`RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`.")
def no_setuid_files(image: Image, allow: Sequence[str] = ()) -> Iterator[Finding]:
    for path, entry in image.fs:
        if entry.is_file and entry.mode & 0o6000 and not _allowed(path, allow):
            bits = " and ".join(b for b, m in (("setuid", 0o4000), ("setgid", 0o2000))
                                if entry.mode & m)
            yield Finding(f"{_shown(path)} is {bits} ({entry.filemode})",
                          extra={"path": _shown(path)})


def _base_rootfs(history: list[Step]) -> Step | None:
    """The step that laid down the base image's root filesystem (an ADD to ``/`` that is
    the first step with a layer)."""
    layered = [s for s in history if not s.empty_layer]
    if layered and layered[0].keyword == "ADD" and re.search(r"\s/\s*$", layered[0].text):
        return layered[0]
    return None


@check("image.copy-not-add", title="History uses COPY, not ADD", severity="low",
       model="image", refs=("CIS 4.9", "CIS-DI-0009"),
       remediation="Use COPY for local files; ADD only for archives that must be extracted.")
def copy_not_add(image: Image) -> Iterator[Finding]:
    history = steps(image.config)
    base = _base_rootfs(history)
    for step in history:
        if step.keyword == "ADD" and step is not base:
            yield Finding(f"history step {step.number} uses ADD: {step.short}")


def _history_pairs(history: Iterable[Step]) -> Iterator[tuple[Step, str, str]]:
    for step in history:
        for assignment in step.build_args:
            name, _, value = assignment.partition("=")
            yield step, name, value
        if step.keyword in ("ENV", "ARG"):
            for name, value in step.pairs():
                yield step, name, value
        elif step.keyword == "RUN":
            for cmd in shell.commands(step.text):
                for assignment in cmd.assignments:
                    name, _, value = assignment.partition("=")
                    yield step, name, value


def _config_hits(image: Image) -> Iterator[tuple[str, SecretHit]]:
    """Credentials in what ``docker inspect`` shows: Env, Labels, and the command lines of
    Entrypoint, Cmd and Healthcheck (``--requirepass s3cret``)."""
    conf = image.config
    for name, value in conf.env_map.items():
        yield from (("Env ", hit) for hit in scan_pair(name, value, syntax=None))
    for name, value in conf.labels.items():
        yield from (("Label ", hit) for hit in scan_pair(name, value, syntax=None))
    for what, argv in (("Entrypoint/Cmd", (*(conf.entrypoint or ()), *(conf.cmd or ()))),
                       ("Healthcheck", (conf.healthcheck or ())[1:])):
        if argv:
            yield from (("", hit) for hit in scan_command(" ".join(argv), what, syntax=None))


def _history_hits(image: Image) -> Iterator[tuple[Step, SecretHit]]:
    """Credentials in build steps: ENV/ARG and build-arg pairs, assignments in RUN scripts,
    and what the value detectors and credential flags find in RUN command lines (a token in
    a clone URL, ``--password x``); ``$VAR`` in a script is the shell's, not a literal."""
    history = steps(image.config)
    for step, name, value in _history_pairs(history):
        yield from ((step, hit) for hit in scan_pair(name, value, syntax=None))
    for step in history:
        if step.keyword == "RUN":
            yield from ((step, hit) for hit in scan_command(step.text, "the RUN command"))


@check("image.no-secrets-in-env", title="No secrets in the image's environment or history",
       severity="high", model="image", refs=("CIS 4.10", "CIS-DI-0010"),
       remediation="Pass secrets at run time (orchestrator secrets) and at build time with "
                   "`RUN --mount=type=secret`; never as ENV or build args.")
def no_secrets_in_env(image: Image) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for what, hit in _config_hits(image):
        seen.add((hit.detector, hit.evidence))
        yield Finding(f"{what}{hit.summary}", extra={"detector": hit.detector})
    for step, hit in _history_hits(image):
        if (hit.detector, hit.evidence) not in seen:
            seen.add((hit.detector, hit.evidence))
            yield Finding(f"history step {step.number}: {hit.summary}",
                          extra={"detector": hit.detector})


SECRET_NAMES = frozenset({
    "credentials.json", "credential.json", "credentials", "credential", "password.txt",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "secret_token.rb", "carrierwave.rb",
    "omniauth.rb", "settings.py", "database.yml", "credentials.xml", ".env",
    ".git-credentials", ".pgpass", ".netrc"})
SECRET_EXTENSIONS = (".secret", ".ovpn", ".private_key", ".cscfg", ".rdp", ".mdf", ".sdf",
                     ".bek", ".tpm", ".fve", ".jks", ".psafe3", ".agilekeychain", ".keychain",
                     ".pcap", ".gnucache")
_HIT_WORDS = {"credential-assignment": "a credential-named key with a literal value"}
DEFAULT_SECRET_ALLOW = ("usr/lib/python3*/test/**", "usr/local/lib/python3*/test/**",
                        "**/site-packages/**/tests/**", "**/dist-packages/**/tests/**")


@check("image.no-secret-files", title="No credential files in the image", severity="high",
       model="image", refs=("CIS-DI-0010",),
       options={"allow": DEFAULT_SECRET_ALLOW, "max_size": 64 * 1024},
       remediation="Keep keys and credential files out of the build context (.dockerignore) "
                   "and mount them at run time.")
def no_secret_files(image: Image, allow: Sequence[str] = DEFAULT_SECRET_ALLOW,
                    max_size: int = 64 * 1024) -> Iterator[Finding]:
    for path, entry in image.fs:
        if not entry.is_file or _allowed(path, allow):
            continue
        base = posixpath.basename(path)
        if entry.hits and entry.size <= max_size:
            kinds = ", ".join(_HIT_WORDS.get(h, h) for h in entry.hits)
            yield Finding(f"{_shown(path)} holds secret content ({kinds})",
                          extra={"path": _shown(path)})
        elif (base in SECRET_NAMES or base.endswith(SECRET_EXTENSIONS)) and not \
                LIBRARY_DIRS.search(path):
            if not holds_key_values(base):
                yield Finding(f"{_shown(path)} is a credential file by its name",
                              extra={"path": _shown(path)})
            elif entry.size > max_size:  # read when small: judged by what it assigns
                yield Finding(f"{_shown(path)} is a credential file by its name, too large "
                              f"({entry.size} bytes) to read", extra={"path": _shown(path)})


def _binaries(image: Image, names: Iterable[str],
              dirs: Sequence[str]) -> Iterator[tuple[str, str]]:
    """Where ``names`` exist as files (symlinks followed) in ``dirs``, each once: the path
    with its folder's links resolved (``/bin/sudo`` is ``/usr/bin/sudo`` under usrmerge),
    and `` -> target`` when the name itself is a link (a busybox applet)."""
    resolved = (image.fs.resolve(d.strip("/")) for d in dirs)
    folders = dict.fromkeys(r[0] for r in resolved if r is not None and r[1].is_dir)
    for name in names:
        for folder in folders:
            path = posixpath.join(folder, name)
            entry = image.fs.stat(path)
            if entry is not None and entry.is_file:
                link = image.fs.lstat(path)
                yield name, _shown(path) + (f" -> {link.linkname}" if link and link.is_symlink
                                            else "")
                break


@check("image.no-sudo", title="No sudo in the image", severity="medium", model="image",
       refs=("DKL-DI-0001",),
       remediation="Do not install sudo; switch USER in the Dockerfile for root-only steps.")
def no_sudo(image: Image) -> Iterator[Finding]:
    for step in steps(image.config):
        if step.keyword == "RUN" and any(
                "sudo" in c.wrappers or c.program == "sudo" for c in shell.commands(step.text)):
            yield Finding(f"history step {step.number} runs sudo: {step.short}")
    for _, path in _binaries(image, ("sudo",), BIN_DIRS):
        yield Finding(f"the sudo binary is installed at {path}")


SENSITIVE_VOLUMES = ("/sys", "/dev", "/proc")


@check("image.no-sensitive-volumes", title="No VOLUME on /sys, /dev or /proc", severity="high",
       model="image", refs=("DKL-DI-0002",),
       remediation="Remove the VOLUME; mount what is needed explicitly at run time.")
def no_sensitive_volumes(image: Image) -> Iterator[Finding]:
    for volume in image.config.volumes:
        path = posixpath.normpath("/" + volume.lstrip("/"))
        if any(path == s or path.startswith(s + "/") for s in SENSITIVE_VOLUMES):
            yield Finding(f"VOLUME {volume} exposes a kernel filesystem")


CACHE_AREAS = (
    ("apt lists", re.compile(r"var/lib/apt/lists/(?!lock$)(?!partial$)[^/]+")),
    ("apt archives", re.compile(r"var/cache/apt/(?:archives/.+\.deb|[^/]+\.bin)")),
    ("apk cache", re.compile(r"(?:var/cache/apk|etc/apk/cache)/.+")),
    ("yum/dnf cache", re.compile(r"var/cache/(?:yum|dnf|libdnf5)/.+")),
    ("pip cache", re.compile(r"(?:root|home/[^/]+)/\.cache/pip/.+")),
)


@check("image.package-cache-cleaned", title="No package-manager caches left",
       severity="low", model="image", refs=("DKL-DI-0004", "DKL-DI-0005", "DL3009"),
       remediation="Clean in the same RUN: `rm -rf /var/lib/apt/lists/*`, `apk add "
                   "--no-cache`, `dnf clean all`, `pip install --no-cache-dir`.")
def package_cache_cleaned(image: Image) -> Iterator[Finding]:
    found: dict[str, list[int]] = {}
    for path, entry in image.fs:
        if not entry.is_file:
            continue
        for area, pattern in CACHE_AREAS:
            if pattern.fullmatch(path):
                found.setdefault(area, []).append(entry.size)
                break
    for area, sizes in found.items():
        yield Finding(f"{area} left in the image: {len(sizes)} files, {sum(sizes)} bytes")


MOVING = frozenset({"latest"})
_IMAGE_ID = re.compile(r"(?:sha256:)?[0-9a-f]{12,64}")


@check("image.not-latest-tag", title="Image reference is not :latest", severity="medium",
       model="image", refs=("DKL-DI-0006",),
       remediation="Refer to the image by a version tag or a digest.")
def not_latest_tag(image: Image) -> Iterator[Finding]:
    if image.source.kind == ENGINE:
        ref = image.source.location
        if _IMAGE_ID.fullmatch(ref) and ref.removeprefix("sha256:") in image.digest:
            return
        names = [ref]
    elif image.source.name:
        names = [image.source.name]
    else:
        names = list(image.repo_tags)
        if not names:
            raise CannotEvaluate(f"{image.ref} carries no tag to judge")
    for name in names:
        parsed = parse_image_ref(name if ("/" in name or ":" in name or "@" in name) or
                                 image.source.kind == ENGINE else f"x:{name}")
        if parsed.digest_pinned:
            continue
        if parsed.tag is None or parsed.tag.lower() in MOVING:
            how = "no tag (latest is implied)" if parsed.tag is None else ":latest"
            yield Finding(f"the image is referred to as {name}: {how}")


def _accounts_with_empty_password(image: Image) -> Iterator[tuple[str, str, int]]:
    for file, accounts in (("/etc/shadow", image.shadow), ("/etc/passwd", image.passwd)):
        for account in accounts:
            if account.password == "":
                yield file, account.name, account.line


@check("image.no-empty-passwords", title="No account with an empty password",
       severity="critical", model="image", refs=("DKL-LI-0001",),
       remediation="Lock the account (`passwd -l NAME`) or give it a password hash.")
def no_empty_passwords(image: Image) -> Iterator[Finding]:
    for file, name, line in _accounts_with_empty_password(image):
        yield Finding(f"account {name} has an empty password ({file} line {line})")


@check("image.unique-ids", title="UIDs and GIDs are unique", severity="medium",
       model="image", refs=("DKL-LI-0002",),
       remediation="Give every account its own UID and every group its own GID.")
def unique_ids(image: Image) -> Iterator[Finding]:
    for what, file, accounts in (("UID", "/etc/passwd", image.passwd),
                                 ("GID", "/etc/group", image.group)):
        owners: dict[int, list[str]] = {}
        for account in accounts:
            if account.id is not None:
                owners.setdefault(account.id, []).append(account.name)
        for ident, names in owners.items():
            if len(names) > 1:
                yield Finding(f"{what} {ident} is shared by {', '.join(names)} in {file}")


UNNECESSARY_FILES = frozenset({"Dockerfile", "docker-compose.yml", "docker-compose.yaml",
                               "compose.yml", "compose.yaml", ".vimrc", ".DS_Store"})
UNNECESSARY_DIRS = frozenset({".git", ".aws", ".azure", ".gcp", ".vscode", ".idea", ".npm"})
_BUILD_USER_SSH = re.compile(r"(?:root|home/[^/]+)/\.ssh")


@check("image.no-unnecessary-files", title="No build leftovers in the image", severity="low",
       model="image", refs=("DKL-LI-0003",),
       remediation="List them in .dockerignore, or copy only what the application needs.")
def no_unnecessary_files(image: Image) -> Iterator[Finding]:
    for path, entry in image.fs:
        if LIBRARY_DIRS.search(path + "/"):
            continue
        base = posixpath.basename(path)
        if entry.is_dir and (base in UNNECESSARY_DIRS or _BUILD_USER_SSH.fullmatch(path)):
            yield Finding(f"{_shown(path)}/ is in the image", extra={"path": _shown(path)})
        elif entry.is_file and base in UNNECESSARY_FILES:
            yield Finding(f"{_shown(path)} is in the image", extra={"path": _shown(path)})


DEFAULT_TOOLS = ("apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper",
                 "pip", "pip3", "npm", "gcc", "cc", "g++", "c++", "clang", "make", "curl",
                 "wget", "nc", "ncat", "netcat", "socat", "ftp", "tftp")


@check("image.minimal-tooling", title="No package managers, compilers or download tools",
       severity="low", model="image", refs=("CIS 4.3",), options={"tools": DEFAULT_TOOLS},
       remediation="Build in one stage and copy only the application into a minimal final "
                   "stage (distroless or scratch).")
def minimal_tooling(image: Image, tools: Sequence[str] = DEFAULT_TOOLS) -> Iterator[Finding]:
    path_var = image.config.env_map.get("PATH") or DEFAULT_PATH
    dirs = [d for d in dict.fromkeys(path_var.split(":")) if d.startswith("/")]
    for tool, path in _binaries(image, tools, dirs):
        yield Finding(f"{tool} is installed at {path}", extra={"path": path.split(" -> ")[0]})


@check("image.no-world-writable", title="No world-writable files or directories",
       severity="medium", model="image",
       remediation="Remove the write bit for others (`chmod o-w`), or make shared directories "
                   "sticky like /tmp (`chmod 1777`).")
def no_world_writable(image: Image) -> Iterator[Finding]:
    sticky: list[str] = []
    for path, entry in image.fs:
        if sticky and (path + "/").startswith(sticky[-1] + "/"):
            continue
        if entry.kind not in ("file", "dir") or not entry.mode & 0o002:
            continue
        if entry.is_dir and entry.mode & 0o1000:
            sticky.append(path)  # /tmp-like: its contents are the users' business
            continue
        yield Finding(f"{_shown(path)} is world-writable ({entry.filemode})",
                      extra={"path": _shown(path)})


@check("image.no-sshd", title="No SSH server in the image", severity="high", model="image",
       refs=("CIS 5.7", "CKV_DOCKER_1"),
       remediation="Remove the SSH server; use `docker exec` or the orchestrator for access.")
def no_sshd(image: Image) -> Iterator[Finding]:
    for _, path in _binaries(image, ("sshd", "dropbear"), BIN_DIRS):
        yield Finding(f"an SSH server is installed at {path}")
    for port in image.config.exposed_ports:
        if port.split("/")[0] == "22" and port.partition("/")[2] in ("", "tcp"):
            yield Finding(f"the image exposes the SSH port ({port})")


@check("image.recently-built", title="Image was built recently", severity="low",
       model="image", refs=("CIS 4.4",), options={"max_age_days": 90},
       remediation="Rebuild images regularly so they pick up patched packages.")
def recently_built(image: Image, max_age_days: int = 90,
                   now: dt.datetime | None = None) -> Iterator[Finding]:
    created = _parse_time(image.config.created)
    if created is None:
        raise CannotEvaluate("the image records no creation time, so its age is unknown")
    if created.year <= 1970:
        raise CannotEvaluate(f"the image's creation time is {created.date()}, a fixed date "
                             f"of a reproducible build, so its age is unknown")
    age = ((now or dt.datetime.now(dt.timezone.utc)) - created).days
    if age > max_age_days:
        yield Finding(f"the image was built {age} days ago ({created.date()}), more than "
                      f"{max_age_days}")


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?", text)
    if match is None:
        return None
    stamp = dt.datetime.fromisoformat(match.group(1))
    zone = match.group(2)
    if zone in (None, "Z"):
        return stamp.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromisoformat(match.group(1) + zone)
