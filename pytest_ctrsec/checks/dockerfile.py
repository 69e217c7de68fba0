"""Dockerfile rules (multi-stage aware: rules about the final image read the final stage
and the stages it is built FROM; rules about the build read every stage)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..catalog import check
from ..detect import shell
from ..detect.secrets import is_credential_name, scan_pair
from ..errors import CannotEvaluate
from ..findings import Finding, Location
from ..runsettings.imageref import parse_image_ref
from ..targets.dockerfile.parser import Dockerfile, Instruction, Stage, arg_pairs, env_pairs
from ..targets.dockerfile.variables import expand
from .runsettings.identity import is_root_user

_ARCHIVE = re.compile(r"\.(?:tar|tar\.(?:gz|bz2|xz|zst|lz|lzma|Z)|tgz|tbz2?|txz|tzst)$", re.I)
_REMOTE = re.compile(r"^(?:https?://|git@|git://|ssh://)", re.I)


def _at(df: Dockerfile, inst: Instruction | Stage) -> Location:
    return Location(df.path, inst.line)


def _runs(df: Dockerfile) -> Iterator[tuple[Stage | None, Instruction]]:
    """Every RUN, ONBUILD triggers included."""
    for stage, inst in df.instructions():
        target = inst.trigger if inst.keyword == "ONBUILD" else inst
        if target is not None and target.keyword == "RUN":
            yield stage, target


def _final_chain(df: Dockerfile) -> list[Stage]:
    return df.lineage(df.final)


def _stage_values(df: Dockerfile, stage: Stage, upto: int) -> dict[str, str | None]:
    """Variables visible at line ``upto`` of ``stage``: global ARGs it re-declares, its own
    ARGs and ENVs (later declarations win)."""
    values: dict[str, str | None] = {}
    for inst in stage.instructions:
        if inst.line >= upto:
            break
        if inst.keyword == "ARG":
            for name, default in arg_pairs(inst).items():
                values[name] = default if default is not None else df.global_args.get(name)
        elif inst.keyword == "ENV":
            values.update(env_pairs(inst))
    return values


def _windows_admin(user: str) -> bool:
    """Windows containers' administrator account (names are case-insensitive there)."""
    return user.partition(":")[0].strip().lower() == "containeradministrator"


@check("dockerfile.user-not-root", title="Final stage sets a non-root USER", severity="high",
       model="dockerfile", refs=("DL3002", "CKV_DOCKER_3", "CKV_DOCKER_8", "DS-0002"),
       remediation="Add `USER <uid>` (non-zero) to the final stage, after the steps that "
                   "need root.")
def user_not_root(df: Dockerfile) -> Iterator[Finding]:
    for stage in _final_chain(df):
        inst = stage.last("USER")
        if inst is None:
            continue
        user = expand(inst.args.strip(), _stage_values(df, stage, inst.line))
        if user is None:
            raise CannotEvaluate(f"USER {inst.args.strip()} (line {inst.line}) has no value "
                                 "to resolve")
        if is_root_user(user) or _windows_admin(user):
            yield Finding(f"the final image runs as root (USER {user}); name a non-root "
                          "user or UID", _at(df, inst))
        return
    root = _final_chain(df)[-1]
    if (root.base_resolved or "").lower() == "scratch":
        yield Finding("the final stage (FROM scratch) never sets USER, so it runs as root",
                      _at(df, df.final))
        return
    yield Finding(f"the final stage never sets USER: it runs as root unless its base image "
                  f"({root.base_resolved or root.base}) sets a user; set USER here",
                  _at(df, df.final))


@check("dockerfile.healthcheck-defined", title="Final stage has a HEALTHCHECK", severity="low",
       model="dockerfile", refs=("CKV_DOCKER_2", "DS-0026"),
       remediation="Add `HEALTHCHECK CMD <probe>` to the final stage.")
def healthcheck_defined(df: Dockerfile) -> Iterator[Finding]:
    for stage in _final_chain(df):
        inst = stage.last("HEALTHCHECK")
        if inst is None:
            continue
        if inst.args.strip().upper() == "NONE":
            yield Finding("HEALTHCHECK NONE disables the health check", _at(df, inst))
        return
    yield Finding("the final stage has no HEALTHCHECK", _at(df, df.final))


@check("dockerfile.no-update-alone", title="No package-index update without an install",
       severity="medium", model="dockerfile", refs=("CKV_DOCKER_5", "DS-0017"),
       remediation="Update and install in the same RUN: "
                   "`RUN apt-get update && apt-get install -y ...`.")
def no_update_alone(df: Dockerfile) -> Iterator[Finding]:
    for _, inst in _runs(df):
        for cmd in shell.update_alone(shell.commands(inst.script)):
            yield Finding(f"RUN updates the package index ({' '.join(cmd.argv[:2])}) "
                          "without installing in the same step", _at(df, inst))


def _add_sources(inst: Instruction, values: dict[str, str | None]) -> list[str]:
    """ADD's sources with build variables expanded; a source that needs a variable without
    a value is left out (it may name a URL or an archive)."""
    if inst.heredocs:
        return ["<<" + h.name for h in inst.heredocs]
    parts = list(inst.exec_form) if inst.exec_form is not None else inst.args.split()
    return [s for s in (expand(p, values) for p in parts[:-1]) if s is not None]


@check("dockerfile.copy-not-add", title="COPY instead of ADD for local files", severity="low",
       model="dockerfile", refs=("DL3020", "CKV_DOCKER_4", "DS-0005"),
       remediation="Use COPY for files and folders; keep ADD for remote URLs and local tar "
                   "archives that must be extracted.")
def copy_not_add(df: Dockerfile) -> Iterator[Finding]:
    for stage, inst in df.instructions():
        target = inst.trigger if inst.keyword == "ONBUILD" else inst
        if target is None or target.keyword != "ADD":
            continue
        values = _stage_values(df, stage, target.line) if stage else {}
        local = [s for s in _add_sources(target, values)
                 if not (_REMOTE.match(s) or _ARCHIVE.search(s))]
        if local:
            yield Finding(f"ADD copies local files ({', '.join(local)}); use COPY",
                          _at(df, target))


_UNSET = "\x00"  # stands for a build argument without a default


def _unpinned(stage: Stage, df: Dockerfile) -> str | None:
    """Why a FROM image is not pinned; ``""`` when that depends on a build argument
    without a default, ``None`` when it is pinned."""
    base = stage.base_resolved or expand(stage.base, df.global_args, unset=_UNSET) or ""
    if base.lower() == "scratch":
        return None
    ref = parse_image_ref(base)
    if ref.digest is not None:
        return None  # a digest, even one given as a build argument, pins the content
    if ref.tag is not None:
        literal = ref.tag.replace(_UNSET, "")
        if not literal:
            return ""  # the whole tag is a build argument: it may be latest
        return "uses :latest" if ref.tag.lower() == "latest" else None
    # No tag: a build argument in the last path component might still bring one.
    return "" if _UNSET in ref.name.rpartition("/")[2] else "has no tag (latest is implied)"


@check("dockerfile.base-image-pinned", title="Base images are pinned", severity="medium",
       model="dockerfile", refs=("DL3006", "DL3007", "CKV_DOCKER_7", "DS-0001"),
       remediation="Name a version tag or a digest in every FROM: "
                   "`FROM debian:12.5` or `FROM debian@sha256:...`.")
def base_image_pinned(df: Dockerfile) -> Iterator[Finding]:
    unresolved: list[Stage] = []
    found = False
    for stage in df.stages:
        if stage.base_stage is not None:
            continue
        why = _unpinned(stage, df)
        if why == "":
            unresolved.append(stage)
        elif why is not None:
            found = True
            shown = stage.base_resolved or stage.base
            yield Finding(f"FROM {shown} {why}", _at(df, stage))
    if unresolved and not found:
        lines = ", ".join(f"FROM {s.base} (line {s.line})" for s in unresolved)
        raise CannotEvaluate(f"{lines} cannot be resolved: no ARG default before the first FROM")


@check("dockerfile.no-secrets-in-arg-env", title="No secrets in ARG or ENV", severity="high",
       model="dockerfile", refs=("DL3064", "DS-0031"),
       remediation="Pass secrets at build time with `RUN --mount=type=secret` and at run time "
                   "through the orchestrator, never as ARG/ENV values.")
def no_secrets_in_arg_env(df: Dockerfile) -> Iterator[Finding]:
    for _, inst in df.instructions():
        if inst.keyword == "ARG":
            pairs = {k: v for k, v in arg_pairs(inst).items() if v is not None}
        elif inst.keyword == "ENV":
            pairs = dict(env_pairs(inst))
        else:
            continue
        for name, value in pairs.items():
            for hit in scan_pair(name, value, syntax="compose"):
                yield Finding(f"{inst.keyword} {hit.summary}", _at(df, inst),
                              extra={"detector": hit.detector})
    yield from _build_args_kept(df)


_REF_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _build_args_kept(df: Dockerfile) -> Iterator[Finding]:
    """ENV of a credential-named variable set from a build argument, in the stages the final
    image is made of: whatever ``--build-arg`` passes is then stored in the image's config."""
    for stage in _final_chain(df):
        args: set[str] = set()
        for inst in stage.instructions:
            if inst.keyword == "ARG":
                args.update(arg_pairs(inst))
            elif inst.keyword == "ENV":
                for name, value in env_pairs(inst).items():
                    kept = sorted(args.intersection(_REF_NAME.findall(value)))
                    if kept and is_credential_name(name):
                        yield Finding(f"ENV {name} copies build argument {kept[0]} into the "
                                      f"image's environment, so the value passed at build "
                                      f"time is stored in the image; set it at run time "
                                      f"instead", _at(df, inst),
                                      extra={"detector": "build-arg-kept"})


@check("dockerfile.no-sudo", title="RUN does not use sudo", severity="medium",
       model="dockerfile", refs=("DL3004", "DS-0010"),
       remediation="Build steps already run as root; switch USER instead of calling sudo.")
def no_sudo(df: Dockerfile) -> Iterator[Finding]:
    for _, inst in _runs(df):
        if any("sudo" in c.wrappers or c.program == "sudo" for c in shell.commands(inst.script)):
            yield Finding("RUN calls sudo", _at(df, inst))


_INSECURE_ENV = {
    "PYTHONHTTPSVERIFY": lambda v: v.strip() == "0",
    "NODE_TLS_REJECT_UNAUTHORIZED": lambda v: v.strip() == "0",
    "NPM_CONFIG_STRICT_SSL": lambda v: v.strip().lower() in ("false", "0", "no"),
    "GIT_SSL_NO_VERIFY": lambda v: v.strip().lower() not in ("", "0", "false", "no"),
    "PIP_TRUSTED_HOST": lambda v: bool(v.strip()),
}
_SSLVERIFY_OFF = re.compile(r"sslverify\s*=\s*(?:0|false|no)\b", re.I)


def insecure_command(cmd: shell.Command) -> str | None:
    """Why a command disables TLS or signature checks, or ``None``."""
    prog = cmd.program
    fam = shell.family(cmd)
    if prog == "curl" and cmd.has_flag("--insecure", "-k"):
        return "curl -k/--insecure skips TLS verification"
    if prog == "wget" and cmd.has_flag("--no-check-certificate"):
        return "wget --no-check-certificate skips TLS verification"
    if fam == "pip" and cmd.has_flag("--trusted-host"):
        return "pip --trusted-host skips TLS verification"
    if fam == "apt" and cmd.has_flag("--allow-unauthenticated", "--force-yes",
                                     "--allow-insecure-repositories"):
        return "apt installs packages without verifying their signatures"
    if fam == "rpm" and cmd.has_flag("--nogpgcheck"):
        return f"{prog} --nogpgcheck skips package signatures"
    if prog == "rpm" and cmd.has_flag("--nodigest", "--nosignature", "--noverify",
                                      "--nofiledigest"):
        return "rpm skips package digests or signatures"
    if fam == "apk" and cmd.has_flag("--allow-untrusted"):
        return "apk --allow-untrusted skips package signatures"
    joined = " ".join(cmd.argv).lower()
    if prog in ("npm", "yarn", "pnpm") and re.search(r"config set strict-ssl (false|0)", joined):
        return f"{prog} turns strict-ssl off"
    if prog == "git" and re.search(r"http\.sslverify[= ](false|0)", joined):
        return "git turns http.sslVerify off"
    for assignment in cmd.assignments:
        name, _, value = assignment.partition("=")
        if name in _INSECURE_ENV and _INSECURE_ENV[name](value):
            return f"{name}={value} disables TLS verification"
    return None


# Options naming an inline program or a module: the interpreter then reads its standard
# input as data (`curl API | python3 -c "import json..."`), not as the program to run.
_INLINE_PROGRAM = {"shell": ("c",), "python": ("c", "m"), "perl": ("e", "E"),
                   "ruby": ("e",), "node": ("e", "p", "-eval", "-print")}
_OPTION_VALUES = frozenset({"-o", "+o", "-W", "-X", "-r", "--require"})
_STDIN = ("-", "/dev/stdin", "/proc/self/fd/0")


def _interpreter(program: str) -> str | None:
    if program in shell.POSIX_SHELLS:
        return "shell"
    if re.fullmatch(r"python[0-9.]*", program):
        return "python"
    return program if program in ("perl", "ruby", "node") else None


def runs_stdin(cmd: shell.Command) -> bool:
    """Whether an interpreter runs the program it reads on standard input (``sh``,
    ``sh -s -- -y``, ``python3 -``), rather than an inline program or a script file."""
    kind = _interpreter(cmd.program)
    if kind is None:
        return False
    args = iter(cmd.args)
    for arg in args:
        if arg == "--" or arg in _STDIN or not arg.startswith(("-", "+")):
            return arg in _STDIN or (arg == "--" and kind == "shell") or (
                kind == "shell" and cmd.has_flag("-s"))
        if arg in _OPTION_VALUES:
            next(args, None)
        elif not arg.startswith("--") and any(o in arg[1:] for o in _INLINE_PROGRAM[kind]
                                              if len(o) == 1):
            return False
        elif arg[1:] in _INLINE_PROGRAM[kind]:
            return False
    return True


def piped_download(cmds: Sequence[shell.Command]) -> str | None:
    """A download whose output is piped into an interpreter that runs it, directly or
    through filters (``curl URL | gunzip | bash``)."""
    for i, here in enumerate(cmds):
        if not (here.piped and here.program in ("curl", "wget")):
            continue
        for after in cmds[i + 1:]:
            if runs_stdin(after):
                return f"{here.program} output is piped into {after.program}"
            if not after.piped:
                break
    return None


_INTERPRETER = rf"(?:{'|'.join(sorted(shell.POSIX_SHELLS))}|python[0-9.]*|perl|ruby|node)"
# A download handed to an interpreter without a file in between: `sh -c "$(curl URL)"`,
# `eval "$(wget -qO- URL)"`, `bash <(curl URL)`, `source <(curl URL)`.
_SUBSTITUTED_DOWNLOAD = re.compile(
    rf"(?:(?<![\w.-]){_INTERPRETER}(?:\s+-[-\w]+)*?\s+-\w*c\s+|(?<![\w.-])eval\s+)"
    r"[\"']?(?:\$\(|`)\s*(?P<a>curl|wget)\b"
    rf"|(?:(?<![\w.-])(?:{_INTERPRETER}|source)|(?<!\S)\.)\s+(?:-[-\w]+\s+)*"
    r"<\(\s*(?P<b>curl|wget)\b")


def substituted_download(script: str) -> str | None:
    """A download run by an interpreter through command or process substitution."""
    match = _SUBSTITUTED_DOWNLOAD.search(script)
    if match is None:
        return None
    tool = match.group("a") or match.group("b")
    return f"{tool} output is run through a shell substitution, unverified"


# apt told to skip TLS or signatures, on the command line, in apt.conf or in a sources entry.
_APT_UNVERIFIED = re.compile(
    r"Acquire::https?::(?:[^:\s]+::)?Verify-(?:Peer|Host)[\"'\s=]+(?:false|no|0)\b"
    r"|(?:AllowUnauthenticated|AllowInsecureRepositories|AllowDowngradeToInsecureRepositories)"
    r"[\"'\s=]+(?:true|yes|1)\b|\[[^\]\n]*\btrusted=yes\b[^\]\n]*\]", re.I)


def _config_reasons(text: str) -> list[str]:
    """Repository settings that turn verification off, wherever the text writes them."""
    reasons = []
    if _SSLVERIFY_OFF.search(text):
        reasons.append("a repository is configured with sslverify off")
    if _APT_UNVERIFIED.search(text):
        reasons.append("apt is configured to skip TLS or signature verification")
    return reasons


@check("dockerfile.no-insecure-downloads", title="Downloads verify TLS and signatures",
       severity="high", model="dockerfile",
       refs=tuple(f"CKV2_DOCKER_{n}" for n in range(2, 17)),
       remediation="Keep certificate and signature checks on; download, verify a checksum or "
                   "signature, then run.")
def no_insecure_downloads(df: Dockerfile) -> Iterator[Finding]:
    for _, inst in df.instructions():
        target = inst.trigger if inst.keyword == "ONBUILD" and inst.trigger else inst
        for reason in dict.fromkeys(_insecure_reasons(target)):
            yield Finding(f"{target.keyword}: {reason}", _at(df, target))


def _insecure_reasons(inst: Instruction) -> list[str]:
    if inst.keyword in ("ENV", "ARG"):
        pairs = env_pairs(inst) if inst.keyword == "ENV" else arg_pairs(inst)
        return [f"{name}={value} disables TLS verification" for name, value in pairs.items()
                if value is not None and name in _INSECURE_ENV and _INSECURE_ENV[name](value)]
    if inst.keyword in ("COPY", "ADD"):
        # A heredoc written into the image as a repository or apt configuration file.
        return [r for h in inst.heredocs for r in _config_reasons(h.body)]
    if inst.keyword != "RUN":
        return []
    cmds = shell.commands(inst.script)
    reasons = [r for r in map(insecure_command, cmds) if r]
    reasons += [r for r in (piped_download(cmds), substituted_download(inst.script)) if r]
    return reasons + _config_reasons(inst.text)


def _cache_mount(inst: Instruction, *targets: str) -> bool:
    for mount in inst.flag_values("mount"):
        opts = dict(p.partition("=")[::2] for p in mount.split(","))
        if opts.get("type") in ("cache", "tmpfs") and any(
                (opts.get("target") or opts.get("dst") or opts.get("destination") or "")
                .rstrip("/").startswith(t) for t in targets):
            return True
    return False


def _chain_sets(df: Dockerfile, stage: Stage, name: str) -> bool:
    return any(name in (env_pairs(i) if i.keyword == "ENV" else arg_pairs(i))
               for s in df.lineage(stage) for i in s.instructions if i.keyword in ("ENV", "ARG"))


def _apt_problem(inst: Instruction, cmds: Sequence[shell.Command]) -> str | None:
    if not any(shell.family(c) == "apt" and shell.is_index_update(c) for c in cmds):
        return None
    if shell.removes(cmds, "/var/lib/apt/lists") or _cache_mount(inst, "/var/lib/apt") or any(
            shell.family(c) == "apt" and shell.verb(c) in ("dist-clean", "distclean")
            for c in cmds):
        return None
    return "apt lists are not removed (rm -rf /var/lib/apt/lists/*)"


def _apk_problem(inst: Instruction, cmds: Sequence[shell.Command]) -> str | None:
    apk = [c for c in cmds if shell.family(c) == "apk"]
    if not apk or shell.removes(cmds, "/var/cache/apk") or _cache_mount(
            inst, "/var/cache/apk", "/etc/apk/cache"):
        return None
    if any(shell.is_install(c) and not c.has_flag("--no-cache") for c in apk):
        return "apk add without --no-cache"
    if any(shell.is_index_update(c) for c in apk):
        # `apk add --no-cache` reads the index without keeping it; `apk update` keeps it.
        return ("apk update keeps the package index in /var/cache/apk (drop it and use "
                "apk add --no-cache)")
    return None


# The home-relative spellings of pip's cache, as `rm` is given them.
_PIP_CACHES = ("/root/.cache", "~/.cache", "$HOME/.cache", "${HOME}/.cache")


def _pip_problem(inst: Instruction, cmds: Sequence[shell.Command], stage: Stage,
                 df: Dockerfile) -> str | None:
    if not any(shell.family(c) == "pip" and shell.is_install(c) and
               not c.has_flag("--no-cache-dir") for c in cmds):
        return None
    purged = any(shell.family(c) == "pip" and shell.pip_args(c)[:2] == ("cache", "purge")
                 for c in cmds)
    if purged or _cache_mount(inst, "/root/.cache") or shell.removes(cmds, *_PIP_CACHES) or \
            _chain_sets(df, stage, "PIP_NO_CACHE_DIR"):
        return None
    return "pip install without --no-cache-dir"


_RPM_CACHES = {"rpm": ("/var/cache/yum", "/var/cache/dnf", "/var/cache/tdnf"),
               "zypper": ("/var/cache/zypp",)}


def _rpm_problems(inst: Instruction, cmds: Sequence[shell.Command]) -> Iterator[str]:
    for fam, caches in _RPM_CACHES.items():
        used = [c for c in cmds if shell.family(c) == fam and
                (shell.is_install(c) or shell.is_index_update(c))]
        if not used:
            continue
        cleaned = any(shell.family(c) == fam and shell.verb(c) in ("clean", "cc")
                      for c in cmds)
        if not (cleaned or shell.removes(cmds, *caches) or _cache_mount(inst, *caches)):
            first = used[0]
            yield (f"{first.program} {shell.verb(first)} without "
                   f"'{first.program} clean all'")


def cache_problems(inst: Instruction, stage: Stage, df: Dockerfile) -> list[str]:
    """Package caches a RUN leaves in its layer."""
    cmds = shell.commands(inst.script)
    found = [_apt_problem(inst, cmds), _apk_problem(inst, cmds),
             _pip_problem(inst, cmds, stage, df), *_rpm_problems(inst, cmds)]
    return [p for p in found if p]


@check("dockerfile.package-cache-cleaned", title="Package caches are cleaned in the same RUN",
       severity="low", model="dockerfile", refs=("DL3009", "DL3019", "DL3042"),
       remediation="Clean in the same RUN: `rm -rf /var/lib/apt/lists/*`, `apk add "
                   "--no-cache`, `pip install --no-cache-dir`, `dnf clean all`, or use a "
                   "BuildKit cache mount.")
def package_cache_cleaned(df: Dockerfile) -> Iterator[Finding]:
    for stage in _final_chain(df):
        for inst in stage.instructions:
            if inst.keyword == "RUN":
                for problem in cache_problems(inst, stage, df):
                    yield Finding(f"RUN leaves a package cache: {problem}", _at(df, inst))


def _exposes_22(spec: str) -> bool:
    port, _, proto = spec.partition("/")
    if proto and proto.lower() != "tcp":
        return False
    low, _, high = port.partition("-")
    try:
        return int(low) <= 22 <= int(high or low)
    except ValueError:
        return False


@check("dockerfile.no-ssh-port", title="SSH port 22 is not exposed", severity="medium",
       model="dockerfile", refs=("CKV_DOCKER_1",),
       remediation="Remove `EXPOSE 22`; use `docker exec` or your orchestrator for access.")
def no_ssh_port(df: Dockerfile) -> Iterator[Finding]:
    for stage in _final_chain(df):
        for inst in stage.instructions:
            if inst.keyword != "EXPOSE":
                continue
            text = expand(inst.args, _stage_values(df, stage, inst.line)) or inst.args
            if any(_exposes_22(word) for word in text.split()):
                yield Finding("EXPOSE 22 publishes the SSH port", _at(df, inst))
