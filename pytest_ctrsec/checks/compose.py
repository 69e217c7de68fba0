"""Compose-only rules over a whole project: secret and config files, and credentials written
anywhere in the Compose files, their ``env_file``s and ``.env``.

``secret-files-protected`` reads file metadata (``stat``) and ``.dockerignore`` files; it
never reads a secret's content.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ..catalog import check
from ..detect.secrets import SecretHit, scan_command, scan_env, scan_pair
from ..findings import Finding
from ..targets.compose.model import ComposeProject, SourceString

# Keys whose strings are command lines, scanned for credential flags too.
_COMMAND_KEYS = frozenset({"command", "entrypoint", "test"})
_INDEX = re.compile(r"\[[0-9]+\]$")
_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)=(.*)", re.DOTALL)
# A service's (or its build's) short-syntax `secrets:` item names a top-level secret.
_SECRET_NAME = re.compile(r"services\..+\.secrets\[[0-9]+\]")


def _build_contexts(project: ComposeProject) -> list[tuple[str, Path]]:
    """(service, local build context directory) for services that build."""
    out = []
    for svc in project.services:
        build = svc.config.get("build")
        context = build.get("context", ".") if isinstance(build, Mapping) else build
        if not isinstance(context, str) or "://" in context or context.startswith("git@"):
            continue
        path = Path(context)
        out.append((svc.name, path if path.is_absolute() else project.project_dir / path))
    return out


def _ignored(context: Path, relative: str) -> bool:
    """Whether ``.dockerignore`` in ``context`` keeps ``relative`` out of the build context:
    patterns in order, ``!`` re-includes, ``*`` stays within one path segment and ``**``
    spans several, and a pattern matching a directory covers what is below it."""
    try:
        lines = (context / ".dockerignore").read_text(errors="replace").splitlines()
    except OSError:
        return False
    parts = relative.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for line in lines:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        regex = _dockerignore_regex(pattern.lstrip("!").strip())
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not negate
    return ignored


@functools.lru_cache(maxsize=256)
def _dockerignore_regex(pattern: str) -> re.Pattern[str]:
    """A ``.dockerignore`` pattern (Go ``filepath.Match`` plus ``**``) as a regex."""
    text = posixpath.normpath(pattern.strip("/")).removeprefix("./")
    out, i = [], 0
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif text[i] == "*":
            out.append("[^/]*")
            i += 1
        elif text[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    return re.compile("".join(out))


def _file_problems(path: Path, contexts: list[tuple[str, Path]]) -> Iterator[str]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        yield "does not exist"
        return
    except OSError as err:
        yield f"cannot be read ({err.strerror})"
        return
    if mode & stat.S_IROTH:
        yield f"is world-readable (mode {stat.S_IMODE(mode):04o}; chmod o-r)"
    real = Path(os.path.realpath(path))
    for service, context in contexts:
        base = Path(os.path.realpath(context))
        if real != base and base in real.parents:
            if not _ignored(base, real.relative_to(base).as_posix()):
                yield (f"is inside the build context of service {service} ({context}), so it "
                       f"is sent to the builder and can be copied into the image; move it out "
                       f"or list it in .dockerignore")


@check("compose.secret-files-protected", title="Secret and config files protected",
       severity="medium", model="compose.project",
       remediation="Keep secret files outside build contexts, readable by their owner only "
                   "(chmod 600), and make sure each `file:` exists.")
def secret_files_protected(project: ComposeProject) -> Iterator[Finding]:
    contexts = _build_contexts(project)
    for kind, defs in (("secrets", project.secrets), ("configs", project.configs)):
        for name, spec in defs.items():
            file = spec.get("file") if isinstance(spec, Mapping) else None
            if not file:
                continue
            path = Path(str(file))
            if not path.is_absolute():
                path = project.project_dir / path
            where = project.top_locations.get(f"{kind}.{name}", project.location)
            for problem in _file_problems(path, contexts):
                yield Finding(f"{kind[:-1]} {name}: file {file} {problem}", where)


def _name_and_value(source: SourceString) -> tuple[str, str]:
    """The name a string is known by (last key component, or ``NAME`` of a ``NAME=value``
    list item) and its value."""
    key = source.key
    last = key.rsplit(".", 1)[-1] if "." in key else key
    if last[-1:] == "]" and _INDEX.search(last):
        match = _PAIR.fullmatch(source.value)
        if match:
            return match.group(1), match.group(2)
        return _INDEX.sub("", last), source.value
    return last, source.value


def _is_command(key: str) -> bool:
    if "command" not in key and "entrypoint" not in key and "test" not in key:
        return False  # most keys: no command key can be one of their parts
    parts = _INDEX.sub("", key).replace("[", ".").split(".")
    return bool(_COMMAND_KEYS.intersection(parts))


def _joined_commands(strings: Iterable[SourceString]) -> Iterator[SourceString]:
    """The strings, with each command written as a list joined into one command line (so
    ``["app", "--password", "x"]`` reads as a flag and its value)."""
    lists: dict[str, list[SourceString]] = {}
    for source in strings:
        if source.key[-1:] == "]" and _is_command(source.key) and _INDEX.search(source.key):
            lists.setdefault(_INDEX.sub("", source.key), []).append(source)
        else:
            yield source
    for key, items in lists.items():
        yield SourceString(key, " ".join(i.value for i in items), items[0].location)


def scan_source(source: SourceString) -> list[SecretHit]:
    """Credential hits in one string written in a project file."""
    if _is_command(source.key):
        return scan_command(source.value, source.key)
    if source.key[-1:] == "]" and _SECRET_NAME.fullmatch(source.key):
        return []  # the name of a secret, not its value
    name, value = _name_and_value(source)
    if _is_environment(source.key):
        return scan_env(name, value, "compose", key=source.key)
    return scan_pair(name, value, "compose", key=source.key)


def _is_environment(key: str) -> bool:
    """An ``environment:`` entry, or a line of an env file (keyed by its bare name)."""
    return "." not in key or ".environment" in key


@check("compose.no-hardcoded-secrets", title="No credentials written in Compose files",
       severity="high", model="compose.project",
       refs=("CL-0020", "CL-0021", "CIS 4.10"),
       remediation="Move credentials to Compose `secrets:` (files outside the repository) or "
                   "reference them as `${VAR}` supplied by the deployment environment.")
def no_hardcoded_secrets(project: ComposeProject) -> Iterator[Finding]:
    for source in _joined_commands(project.strings):
        for hit in scan_source(source):
            yield Finding(f"{hit.key} holds {hit.what} ({hit.evidence}); move it to a secret "
                          f"or a ${{VAR}} reference", source.location,
                          extra={"detector": hit.detector})
