"""A Dockerfile parser with BuildKit's rules: parser directives (``escape``), line
continuations, comments inside continuations, heredocs (``<<EOF``, ``<<-EOF``, quoted
delimiters), JSON (exec) and shell forms, ``--flag`` options, ``ONBUILD``, and stages with
aliases. Every instruction keeps the line it starts on."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...detect.shell import POSIX_SHELLS
from ...errors import NotFound, ParseError
from .variables import expand

if TYPE_CHECKING:
    from .. import Target

KNOWN = frozenset({"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
                   "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
                   "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
_DIRECTIVE = re.compile(r"#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"(?<!\S)<<(-?)(?:\"([^\"\s]+)\"|'([^'\s]+)'|([A-Za-z_][A-Za-z0-9_.-]*))")
_ASSIGNED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_QUOTED = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"")


@dataclass(frozen=True)
class Heredoc:
    """A here-document body; ``expand`` is false for a quoted delimiter."""

    name: str
    body: str
    expand: bool = True
    strip_tabs: bool = False


@dataclass(frozen=True)
class Instruction:
    """One instruction. ``args`` is the text after the keyword and the flags (continuations
    joined); ``exec_form`` the JSON array when the instruction is in exec form."""

    keyword: str
    args: str
    line: int
    end_line: int
    flags: tuple[tuple[str, str | None], ...] = ()
    exec_form: tuple[str, ...] | None = None
    heredocs: tuple[Heredoc, ...] = ()
    trigger: Instruction | None = None  # the wrapped instruction of ONBUILD

    def flag(self, name: str) -> str | None:
        """The last value of ``--name`` (``""`` for a bare flag), or ``None``."""
        found = None
        for key, value in self.flags:
            if key == name:
                found = "" if value is None else value
        return found

    def flag_values(self, name: str) -> list[str]:
        return [value or "" for key, value in self.flags if key == name]

    @property
    def script(self) -> str:
        """The shell text a RUN executes: its args, with the heredoc bodies that feed a shell
        appended (``RUN <<EOF`` and ``RUN bash <<EOF`` run the body; ``RUN cat <<EOF >
        file`` writes it); an exec form as a quoted command line."""
        if self.exec_form is not None:
            # Quoted so that ``["sh", "-c", "a && b"]`` keeps its script as one word.
            return shlex.join(self.exec_form)
        if not self.heredocs:
            return self.args
        markers = _heredocs(self.args)
        bodies = "\n".join(h.body for h, m in zip(self.heredocs, markers, strict=False)
                           if _feeds_shell(self.args, m))
        head = _HEREDOC.sub("", self.args).strip()
        return f"{head}\n{bodies}" if head and bodies else head or bodies

    @property
    def text(self) -> str:
        """The args and every heredoc body: all the text the instruction carries."""
        return "\n".join([self.args, *(h.body for h in self.heredocs)])


_SEGMENT_END = re.compile(r"&&|\|\||[;|&\n]")


def _feeds_shell(args: str, marker: re.Match[str]) -> bool:
    """Whether the heredoc at ``marker`` is the script of a shell: alone (BuildKit runs it
    with the default shell) or the input of ``sh``/``bash``... rather than of ``cat``."""
    before = _SEGMENT_END.split(args[:marker.start()])[-1]
    after = _SEGMENT_END.split(args[marker.end():])[0]
    words = [w for w in f"{before} {after}".split()
             if not re.match(r"\d*[<>]", w) and not _ASSIGNED.match(w)]
    return not words or words[0].rsplit("/", 1)[-1] in POSIX_SHELLS


@dataclass(frozen=True)
class Stage:
    """A build stage. ``base`` is the FROM image as written, ``base_resolved`` after global
    ARG substitution (``None`` when a variable has no value), ``base_stage`` the index of an
    earlier stage it builds on."""

    index: int
    base: str
    base_resolved: str | None
    alias: str | None
    line: int
    platform: str | None = None
    base_stage: int | None = None
    instructions: tuple[Instruction, ...] = ()

    @property
    def name(self) -> str:
        return self.alias or str(self.index)

    def last(self, keyword: str) -> Instruction | None:
        """This stage's last ``keyword`` instruction (upper case); ``None`` when it has none."""
        return next((i for i in reversed(self.instructions) if i.keyword == keyword), None)


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile. ``path`` is as given; ``global_args`` are the ARGs before the
    first FROM (``{name: default or None}``)."""

    path: str
    # Instructions and ARG defaults may hold literal secrets: kept out of the repr, which
    # pytest prints in failure reports.
    stages: tuple[Stage, ...] = field(repr=False)
    global_args: dict[str, str | None] = field(default_factory=dict, repr=False)
    directives: dict[str, str] = field(default_factory=dict)
    preamble: tuple[Instruction, ...] = field(default=(), repr=False)

    @property
    def final(self) -> Stage:
        """The last stage: what ``docker build`` produces without ``--target``."""
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        """The stage called ``name`` (its ``AS`` alias, or its index as text);
        :class:`~pytest_ctrsec.errors.NotFound` names the stages there are.

        >>> df = parse("FROM alpine:3.20 AS build\\nFROM scratch\\n", "Dockerfile")
        >>> df.stage("build").base
        'alpine:3.20'
        >>> df.stage("test")
        Traceback (most recent call last):
        pytest_ctrsec.errors.NotFound: Dockerfile: no stage 'test' (stages: build, 1)
        """
        __tracebackhide__ = True  # a failed lookup points at the user's test line
        for stage in self.stages:
            if stage.name == name or (stage.alias or "").lower() == name.lower():
                return stage
        names = ", ".join(s.name for s in self.stages) or "none"
        raise NotFound(f"{self.path}: no stage {name!r} (stages: {names})")

    def ctrsec_targets(self) -> list[Target]:
        """The Dockerfile as a check target (for ``assert_check`` in user tests)."""
        from . import dockerfile_target

        return [dockerfile_target(self)]

    def lineage(self, stage: Stage) -> list[Stage]:
        """``stage`` and the stages it builds on (``FROM builder``), nearest first."""
        out = [stage]
        while out[-1].base_stage is not None and len(out) <= len(self.stages):
            out.append(self.stages[out[-1].base_stage])
        return out

    def last(self, keyword: str, stage: Stage | str | None = None) -> Instruction | None:
        """The last ``keyword`` instruction in effect at the end of ``stage`` (the final
        stage by default; a name as for :meth:`stage`), looking through the stages it builds
        on (``FROM builder``), not into its base image; ``None`` when none sets it. Its
        ``args`` are as written (variables unexpanded) and ``line`` says where.

        >>> df = parse("FROM alpine:3.20 AS base\\nUSER app\\nFROM base\\nRUN id\\n", "Dockerfile")
        >>> df.last("USER").args, df.last("USER").line
        ('app', 2)
        >>> df.last("HEALTHCHECK") is None
        True
        """
        start = self.stage(stage) if isinstance(stage, str) else stage or self.final
        wanted = keyword.upper()
        for each in self.lineage(start):
            found = each.last(wanted)
            if found is not None:
                return found
        return None

    def instructions(self) -> list[tuple[Stage | None, Instruction]]:
        """Every instruction with its stage (``None`` before the first FROM)."""
        out: list[tuple[Stage | None, Instruction]] = [(None, i) for i in self.preamble]
        for stage in self.stages:
            out.extend((stage, i) for i in stage.instructions)
        return out


def parse(text: str, path: str) -> Dockerfile:
    """Parse Dockerfile ``text`` (``path`` names it in errors and findings)."""
    lines = _lines(text)
    directives, start = _directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise ParseError(f"invalid escape directive {escape!r} (only \\ or `)", path, 1)
    instructions = _instructions(lines, start, escape, path)
    return _stages(instructions, path, directives)


def _lines(text: str) -> list[str]:
    """Lines as BuildKit splits them: at ``\\n`` only, a ``\\r`` before it dropped
    (``str.splitlines`` would also split at form feeds, ``\\x1c`` and U+2028, which are
    ordinary characters of an instruction)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _directives(lines: list[str]) -> tuple[dict[str, str], int]:
    found: dict[str, str] = {}
    for number, line in enumerate(lines):
        match = _DIRECTIVE.fullmatch(line.strip())
        if not match or match.group(1).lower() in found:
            return found, number
        found[match.group(1).lower()] = match.group(2)
    return found, len(lines)


def _instructions(lines: list[str], start: int, escape: str, path: str) -> list[Instruction]:
    out: list[Instruction] = []
    i = start
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        first = i
        text, i = _logical_line(lines, i, escape)
        match = re.match(r"(\S+)\s*(.*)", text.strip(), re.S)
        keyword, rest = (match.group(1), match.group(2)) if match else (text.strip(), "")
        inst, i = _instruction(keyword, rest, lines, first, i, escape, path)
        out.append(inst)
    return out


def _logical_line(lines: list[str], i: int, escape: str) -> tuple[str, int]:
    """Join continuation lines (comment and blank lines inside are dropped)."""
    continued = re.compile(re.escape(escape) + r"[ \t]*$")
    parts: list[str] = []
    while i < len(lines):
        line = lines[i]
        i += 1
        if parts and (not line.strip() or line.lstrip().startswith("#")):
            continue
        match = continued.search(line)
        if match is None:
            parts.append(line)
            break
        parts.append(line[:match.start()])
    return "".join(parts), i


def _instruction(keyword: str, rest: str, lines: list[str], first: int, i: int, escape: str,
                 path: str) -> tuple[Instruction, int]:
    upper = keyword.upper()
    if upper not in KNOWN:
        raise ParseError(f"unknown instruction {keyword!r}", path, first + 1)
    trigger = None
    if upper == "ONBUILD" and not rest.strip():
        raise ParseError("ONBUILD needs an instruction to run later", path, first + 1)
    if upper == "ONBUILD":
        inner_kw, _, inner_rest = rest.partition(" ") if " " in rest else rest.partition("\t")
        if inner_kw.upper() in ("ONBUILD", "FROM", "MAINTAINER"):
            raise ParseError(f"ONBUILD cannot wrap {inner_kw.upper()}", path, first + 1)
        trigger, i = _instruction(inner_kw, inner_rest.strip(), lines, first, i, escape, path)
    flags: list[tuple[str, str | None]] = []
    if upper in _FLAGGED:
        rest = _take_flags(rest, flags)
    heredocs: list[Heredoc] = []
    if upper in _HEREDOC_KEYWORDS:
        for match in _heredocs(rest):
            name = match.group(2) or match.group(3) or match.group(4)
            body, i = _heredoc_body(lines, i, name, bool(match.group(1)), path, first)
            heredocs.append(Heredoc(name, body, match.group(4) is not None, bool(match.group(1))))
    _check_arity(upper, rest, heredocs, path, first + 1)
    exec_form = _exec_form(rest) if upper in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY",
                                               "ADD", "VOLUME", "HEALTHCHECK") else None
    return Instruction(upper, rest, first + 1, i, tuple(flags), exec_form, tuple(heredocs),
                       trigger), i


# Instructions BuildKit refuses without an argument (and ADD/COPY without a destination).
_NEEDS_ARGUMENT = frozenset({"USER", "EXPOSE", "HEALTHCHECK", "WORKDIR", "ENV", "ARG",
                             "LABEL", "VOLUME", "SHELL", "STOPSIGNAL", "ADD", "COPY"})


def _check_arity(keyword: str, rest: str, heredocs: list[Heredoc], path: str,
                 line: int) -> None:
    if keyword not in _NEEDS_ARGUMENT:
        return
    as_json = _exec_form(rest)
    words = list(as_json) if as_json is not None else rest.split()
    if keyword in ("ADD", "COPY") and len(words) < 2 and not (heredocs and words):
        raise ParseError(f"{keyword} needs a source and a destination", path, line)
    if not words:
        raise ParseError(f"{keyword} needs an argument", path, line)


def _take_flags(rest: str, flags: list[tuple[str, str | None]]) -> str:
    while rest.startswith("--"):
        word, _, remainder = rest.partition(" ")
        name, eq, value = word[2:].partition("=")
        flags.append((name.lower(), value if eq else None))
        rest = remainder.lstrip()
    return rest


def _heredocs(text: str) -> list[re.Match[str]]:
    """Heredoc markers outside quoted strings (``echo "<<EOF"`` is not one)."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    return [m for m in _HEREDOC.finditer(text)
            if not any(a < m.start() < b for a, b in quoted)]


def _heredoc_body(lines: list[str], i: int, name: str, strip_tabs: bool, path: str,
                  first: int) -> tuple[str, int]:
    body: list[str] = []
    while i < len(lines):
        line = lines[i]
        i += 1
        check = line.lstrip("\t") if strip_tabs else line
        if check == name:
            return "\n".join(body) + ("\n" if body else ""), i
        body.append(check)
    raise ParseError(f"heredoc <<{name} is never closed", path, first + 1)


def _exec_form(rest: str) -> tuple[str, ...] | None:
    text = rest.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None  # not valid JSON: BuildKit treats it as shell form
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _stages(instructions: list[Instruction], path: str,
            directives: dict[str, str]) -> Dockerfile:
    preamble: list[Instruction] = []
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    current: list[Instruction] = []
    for inst in instructions:
        if inst.keyword == "FROM":
            if stages:
                stages[-1] = _with_body(stages[-1], current)
            current = []
            stages.append(_stage(inst, len(stages), stages, global_args, path))
        elif not stages:
            if inst.keyword != "ARG":
                raise ParseError(f"{inst.keyword} before the first FROM (only ARG may come "
                                 "first)", path, inst.line)
            preamble.append(inst)
            global_args.update(arg_pairs(inst))
        else:
            current.append(inst)
    if not stages:
        raise ParseError("no FROM instruction", path, 1)
    stages[-1] = _with_body(stages[-1], current)
    return Dockerfile(path, tuple(stages), global_args, dict(directives), tuple(preamble))


def _with_body(stage: Stage, body: list[Instruction]) -> Stage:
    return Stage(stage.index, stage.base, stage.base_resolved, stage.alias, stage.line,
                 stage.platform, stage.base_stage, tuple(body))


def _stage(inst: Instruction, index: int, earlier: list[Stage],
           global_args: dict[str, str | None], path: str) -> Stage:
    words = inst.args.split()
    if not words:
        raise ParseError("FROM needs an image", path, inst.line)
    alias = None
    if len(words) >= 3 and words[1].lower() == "as":
        alias = words[2]
    elif len(words) != 1:
        raise ParseError(f"FROM {inst.args!r}: expected 'FROM image [AS name]'", path, inst.line)
    resolved = expand(words[0], global_args)
    base_stage = None
    if resolved is not None:
        for stage in earlier:
            if stage.alias and stage.alias.lower() == resolved.lower():
                base_stage = stage.index
    return Stage(index, words[0], resolved, alias, inst.line, inst.flag("platform"), base_stage)


def arg_pairs(inst: Instruction) -> dict[str, str | None]:
    """``ARG a=1 b`` as ``{"a": "1", "b": None}`` (quotes removed)."""
    out: dict[str, str | None] = {}
    for word in _split_words(inst.args):
        name, eq, value = _unquote(word).partition("=")
        out[name] = value if eq else None
    return out


def env_pairs(inst: Instruction) -> dict[str, str]:
    """``ENV a=1 b="x y"`` or the legacy ``ENV a value with spaces``."""
    words = _split_words(inst.args)
    if words and "=" not in words[0]:
        name, _, value = inst.args.strip().partition(" ")
        return {name: value.strip()}
    out: dict[str, str] = {}
    for word in words:
        name, _, value = _unquote(word).partition("=")
        out[name] = value
    return out


def _split_words(text: str) -> list[str]:
    """Whitespace-separated words, keeping quoted runs (and backslash escapes) together."""
    words: list[str] = []
    cur: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and quote != "'":
            cur.append(text[i:i + 2])
            i += 2
            continue
        if quote:
            if c == quote:
                quote = ""
            cur.append(c)
        elif c in "\"'":
            quote = c
            cur.append(c)
        elif c.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        words.append("".join(cur))
    return words


def _unquote(value: str) -> str:
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value) and quote != "'":
            out.append(value[i + 1])
            i += 2
            continue
        if quote and c == quote:
            quote = ""
        elif not quote and c in "\"'":
            quote = c
        else:
            out.append(c)
        i += 1
    return "".join(out)
