"""container-structure-test YAML (schemaVersion 2.0.0) as pytest tests.

:func:`load_structure_tests` turns a file into :class:`StructureTest` objects; each one's
``run(image)`` takes an :class:`~pytest_ctrsec.image_api.ImageHandle` and raises
``AssertionError`` with a readable message when the image does not match, or
:class:`~pytest_ctrsec.errors.CannotEvaluate` when it cannot be judged here (command tests
without ``--ctrsec-allow-run``, features this runner does not offer). File and metadata
tests read the analysed image, like the tool's ``tar`` driver; command tests start a
throwaway container, like its ``docker`` driver.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CannotEvaluate, InputError, SchemaError
from .image_api import ImageHandle
from .limits import MiB, TooLarge, read_capped

if TYPE_CHECKING:
    from .targets.kube.yamldocs import YamlDoc

KINDS = ("fileExistenceTests", "fileContentTests", "metadataTest", "commandTests",
         "licenseTests")
MAX_BYTES = 16 * MiB
TOP_LEVEL = frozenset({"schemaVersion", "globalEnvVars", "containerRunOptions", *KINDS})


@dataclass(frozen=True)
class StructureTest:
    """One test of the YAML: ``name`` as written, ``kind`` its section, ``line`` where it is."""

    name: str
    kind: str
    path: str
    line: int
    run: Callable[[ImageHandle], None]
    reads: tuple[str, ...] = ()  # files whose content the test reads

    @property
    def needs_run(self) -> bool:
        """Whether the test starts a container (``commandTests``)."""
        return self.kind == "commandTests"

    @property
    def test_id(self) -> str:
        return f"{self.kind}[{self.name}]"


def load_structure_tests(path: str | Path) -> list[StructureTest]:
    """Read one container-structure-test file (YAML or JSON), with the event reader of the
    manifests: any nesting depth, alias bombs and bytes that are not UTF-8 give one
    :class:`ParseError` line."""
    from .targets.kube.yamldocs import read_documents

    name = str(path)
    try:
        raw = read_capped(name, MAX_BYTES)
    except OSError as err:
        raise InputError(f"cannot read structure test file: {err.strerror}", name) from None
    except TooLarge as err:
        raise InputError(f"structure test file {err}", name) from None
    docs = list(read_documents(raw, name))
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise SchemaError("expected one mapping with schemaVersion and tests", name,
                          docs[1].line if len(docs) > 1 else 1)
    return _tests(docs[0], name)


def prefetch(tests: Sequence[StructureTest], image: ImageHandle) -> None:
    """Read every file the tests will read in one pass over the image (call before running
    them: from the engine each pass streams the whole image)."""
    image.prefetch(p for t in tests for p in t.reads)


def _tests(yaml_doc: YamlDoc, path: str) -> list[StructureTest]:
    from .targets.kube.yamldocs import key_line

    doc: dict[Any, Any] = yaml_doc.data
    top = yaml_doc.line
    version = str(doc.get("schemaVersion", ""))
    if version != "2.0.0":
        raise SchemaError(f"schemaVersion must be \"2.0.0\", not {version[:40] or 'missing'!r}",
                          path, top)
    unknown = sorted(str(k) for k in doc if k not in TOP_LEVEL)
    if unknown:
        raise SchemaError(f"unknown key {unknown[0][:40]!r} (expected one of "
                          f"{', '.join(sorted(TOP_LEVEL))})", path, top)
    global_env = _env_list(doc.get("globalEnvVars") or [], path)
    out: list[StructureTest] = []
    for kind in ("fileExistenceTests", "fileContentTests", "commandTests", "licenseTests"):
        items = doc.get(kind) or []
        if not isinstance(items, list):
            raise SchemaError(f"{kind} must be a list", path, key_line(yaml_doc, (kind,)))
        for i, item in enumerate(items):
            out.append(_one(kind, item, path, global_env, key_line(yaml_doc, (kind, i))))
    meta = doc.get("metadataTest")
    if meta:
        line = key_line(yaml_doc, ("metadataTest",))
        if not isinstance(meta, dict):
            raise SchemaError("metadataTest must be a mapping", path, line)
        try:
            runner = _metadata(meta)
        except _BAD_FIELD as err:
            raise SchemaError(f"metadataTest: {_why(err)}", path, line) from None
        out.append(StructureTest("metadata", "metadataTest", path, line, runner))
    return out


def _one(kind: str, item: Any, path: str, global_env: dict[str, str],
         line: int) -> StructureTest:
    if not isinstance(item, dict):
        raise SchemaError(f"{kind}: each test must be a mapping", path, line)
    name = item.get("name") or ("license" if kind == "licenseTests" else None)
    if not name:
        raise SchemaError(f"{kind}: a test has no name", path, line)
    builders: dict[str, Callable[[dict[str, Any]], Callable[[ImageHandle], None]]] = {
        "fileExistenceTests": _file_existence, "fileContentTests": _file_content,
        "commandTests": lambda t: _command(t, global_env), "licenseTests": _unsupported,
    }
    try:
        runner = builders[kind](item)
    except _BAD_FIELD as err:
        raise SchemaError(f"{kind} {str(name)[:80]!r}: {_why(err)}", path, line) from None
    reads = (str(item["path"]),) if kind == "fileContentTests" else ()
    return StructureTest(str(name), kind, path, line, runner, reads)


# What building a test from a field of the wrong shape raises (checked when the file is
# loaded, so that running a test only judges the image).
_BAD_FIELD = (KeyError, TypeError, ValueError, re.error)


def _why(err: Exception) -> str:
    if isinstance(err, KeyError):
        return f"missing required field {err.args[0]!r}"
    if isinstance(err, re.error):
        return f"bad regular expression: {err}"
    return str(err)


def _regexes(values: Any) -> list[re.Pattern[str]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise TypeError("expected a list of regular expressions")
    return [go_regex(str(v)) for v in values]


# Go's regexp (what container-structure-test compiles with) reads POSIX classes inside
# brackets, ASCII only; Python would read "[[:digit:]]" as a set of '[', ':', 'd', ...
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": r"\x00-\x7f", "blank": r"\t ",
    "cntrl": r"\x00-\x1f\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": r"!-/:-@\[-`{-~", "space": r"\t\n\v\f\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_POSIX = re.compile(r"\[:(\^?)([a-z]+):\]")


def go_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile a regular expression written for Go's regexp as container-structure-test does
    (``regexp.Compile``, no flags: ``^`` and ``$`` anchor the whole text unless the pattern
    says ``(?m)``; ``\\d``, ``\\w``, ``\\s`` are ASCII): POSIX classes (``[[:alpha:]]``),
    ``\\z`` and ``(?<name>...)`` become Python's; a bad one raises :class:`re.error`."""
    with warnings.catch_warnings():
        # Python warns that '[[', '--', '&&', '||' and '~~' in a set may mean something else
        # one day; today they are literals, as in Go, which the file was written for.
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(_from_go(pattern), flags | re.ASCII)


def _from_go(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append("\\Z" if pattern[i + 1:i + 2] == "z" else pattern[i:i + 2])
            i += 2
        elif c == "[":
            i = _go_class(pattern, i, out)
        elif pattern.startswith("(?<", i) and pattern[i + 3:i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _go_class(pattern: str, start: int, out: list[str]) -> int:
    """Append the bracket expression at ``start`` in Python's syntax; return where it ends."""
    negated = pattern.startswith("^", start + 1)
    i = start + 1 + negated
    parts: list[str] = []
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and i > start + 1 + negated:  # a ']' first in the set is a literal
            out.append(_joined_class(parts, negated))
            return i + 1
        posix = _POSIX.match(pattern, i)
        if posix:
            parts.append(posix.group(0))
            i = posix.end()
        elif c == "\\":
            parts.append(pattern[i:i + 2])
            i += 2
        else:
            parts.append("\\[" if c == "[" else c)
            i += 1
    raise re.error(f"unterminated character set at position {start}")


def _joined_class(parts: list[str], negated: bool) -> str:
    items: list[str] = []
    for part in parts:
        posix = _POSIX.fullmatch(part)
        if posix is None:
            items.append(part)
            continue
        ranges = _POSIX_CLASSES.get(posix.group(2))
        if ranges is None:
            raise re.error(f"unknown POSIX class {part}")
        if posix.group(1):
            if len(parts) > 1:  # Python's sets cannot subtract
                raise re.error(f"negated POSIX class {part} must stand alone in its set")
            negated = not negated
        items.append(ranges)
    return ("[^" if negated else "[") + "".join(items) + "]"


def _file_existence(t: dict[str, Any]) -> Callable[[ImageHandle], None]:
    path = str(t["path"])
    should = bool(t.get("shouldExist", True))
    perms = t.get("permissions")
    uid, gid = (None if t.get(k) is None else int(t[k]) for k in ("uid", "gid"))
    who = t.get("isExecutableBy")
    if who is not None and who not in ("owner", "group", "other", "any"):
        raise TypeError(f"isExecutableBy {who!r} is not owner, group, other or any")

    def run(image: ImageHandle) -> None:
        f = image.file(path)
        if not should:
            assert not f.exists, f"{path} exists but should not ({f.mode_string})"
            return
        assert f.exists, f"{path} does not exist"
        if perms is not None:
            assert f.mode_string == perms, f"{path} has permissions {f.mode_string}, " \
                                           f"expected {perms}"
        if uid is not None:
            assert f.uid == uid, f"{path} is owned by uid {f.uid}, expected {uid}"
        if gid is not None:
            assert f.gid == gid, f"{path} has gid {f.gid}, expected {gid}"
        if who is not None:
            assert f.is_executable_by(who), f"{path} ({f.mode_string}) is not executable " \
                                            f"by {who}"

    return run


def _file_content(t: dict[str, Any]) -> Callable[[ImageHandle], None]:
    path = str(t["path"])
    expected, excluded = _regexes(t.get("expectedContents")), _regexes(t.get("excludedContents"))

    def run(image: ImageHandle) -> None:
        f = image.file(path)
        assert f.exists, f"{path} does not exist"
        text = f.text
        for rx in expected:
            assert rx.search(text), f"{path} does not contain /{rx.pattern}/"
        for rx in excluded:
            assert not rx.search(text), f"{path} contains excluded /{rx.pattern}/"

    return run


def _env_list(items: Any, path: str) -> dict[str, str]:
    if not isinstance(items, list):
        raise SchemaError("envVars must be a list of {key, value}", path)
    out = {}
    for item in items:
        if not isinstance(item, dict) or "key" not in item:
            raise SchemaError("envVars must be a list of {key, value}", path)
        out[str(item["key"])] = str(item.get("value", ""))
    return out


def _command(t: dict[str, Any], global_env: dict[str, str]) -> Callable[[ImageHandle], None]:
    argv = [str(t["command"]), *(str(a) for a in t.get("args") or [])]
    env = {**global_env, **_env_list(t.get("envVars") or [], "")}
    checks = {k: _regexes(t.get(k)) for k in ("expectedOutput", "excludedOutput",
                                              "expectedError", "excludedError")}
    exit_code = None if t.get("exitCode") is None else int(t["exitCode"])
    unsupported = [k for k in ("setup", "teardown") if t.get(k)]

    def run(image: ImageHandle) -> None:
        if unsupported:
            raise CannotEvaluate(f"{' and '.join(unsupported)} commands are not supported")
        result = image.run(argv, env=env)
        shown = " ".join(argv)
        for rx in checks["expectedOutput"]:
            assert rx.search(result.stdout), f"{shown}: stdout lacks /{rx.pattern}/:\n" \
                                             f"{result.stdout}"
        for rx in checks["excludedOutput"]:
            assert not rx.search(result.stdout), f"{shown}: stdout has /{rx.pattern}/"
        for rx in checks["expectedError"]:
            assert rx.search(result.stderr), f"{shown}: stderr lacks /{rx.pattern}/:\n" \
                                             f"{result.stderr}"
        for rx in checks["excludedError"]:
            assert not rx.search(result.stderr), f"{shown}: stderr has /{rx.pattern}/"
        if exit_code is not None:
            assert result.exit_code == exit_code, \
                f"{shown} exited {result.exit_code}, expected {exit_code}"

    return run


def _unsupported(t: dict[str, Any]) -> Callable[[ImageHandle], None]:
    def run(image: ImageHandle) -> None:
        raise CannotEvaluate("licenseTests are not supported by pytest-ctrsec")

    return run


def _ports(values: Any) -> set[str]:
    return {str(v).split("/")[0] for v in _list(values)}


def _list(value: Any) -> list[Any]:
    """A list field (absent: empty); anything else is a shape error."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _matchers(items: Any) -> list[tuple[str, str, re.Pattern[str] | None]]:
    """``{key, value, isRegex}`` items as ``(key, value, compiled regex or None)``."""
    out = []
    for item in _list(items):
        key, value = str(item["key"]), str(item.get("value", ""))
        out.append((key, value, go_regex(value) if item.get("isRegex") else None))
    return out


def _metadata(t: dict[str, Any]) -> Callable[[ImageHandle], None]:
    env_vars, labels = _matchers(t.get("envVars")), _matchers(t.get("labels"))
    unbound = [str(i["key"] if isinstance(i, Mapping) else i)
               for i in _list(t.get("unboundEnvVars"))]
    exact = {k: [str(x) for x in _list(t[k])] for k in ("entrypoint", "cmd")
             if t.get(k) is not None}
    exposed, unexposed = _ports(t.get("exposedPorts")), _ports(t.get("unexposedPorts"))
    volumes, unmounted = _list(t.get("volumes")), _list(t.get("unmountedVolumes"))

    def run(image: ImageHandle) -> None:
        conf = image.config
        env = conf.env_map
        for key, value, rx in env_vars:
            assert key in env, f"env {key} is not set"
            if rx is not None:
                assert rx.search(env[key]), f"env {key}={env[key]!r} !~ /{value}/"
            else:
                assert env[key] == value, f"env {key}={env[key]!r}, expected {value!r}"
        for key in unbound:
            assert key not in env, f"env {key} is set but should not be"
        for key, value, rx in labels:
            assert key in conf.labels, f"label {key} is not set"
            ok = rx.search(conf.labels[key]) if rx is not None else conf.labels[key] == value
            assert ok, f"label {key}={conf.labels[key]!r}, expected {value!r}"
        for key, want in exact.items():
            actual = list(getattr(conf, key) or ())
            assert actual == want, f"{key} is {actual}, expected {want}"
        ports = _ports(list(conf.exposed_ports))
        for port in exposed:
            assert port in ports, f"port {port} is not exposed (exposed: {sorted(ports)})"
        for port in unexposed:
            assert port not in ports, f"port {port} is exposed"
        for volume in volumes:
            assert volume in conf.volumes, f"volume {volume} is not declared"
        for volume in unmounted:
            assert volume not in conf.volumes, f"volume {volume} is declared"
        if "workdir" in t:
            assert conf.working_dir == t["workdir"], \
                f"workdir is {conf.working_dir!r}, expected {t['workdir']!r}"
        if "user" in t:
            assert conf.user == t["user"], f"user is {conf.user!r}, expected {t['user']!r}"

    return run
