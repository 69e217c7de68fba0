"""``.env`` and ``env_file`` files, read with Compose's dotenv syntax.

``KEY=value``, ``KEY: value``, ``export KEY=value``, ``# comments`` (a `` #`` ends an unquoted
value), single quotes (literal), double quotes (escapes ``\\n``, ``\\t``..., then variables),
multi-line quoted values, a bare ``KEY`` (inherits from the lookup when set) and ``${VAR}``
expansion in unquoted and double-quoted values from the lookup first, then from the keys
above in the same file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ...errors import InterpolationError, ParseError
from .template import TemplateError, substitute
from .yamlread import read_text

Lookup = Callable[[str], "str | None"]

_EXPORT = re.compile(r"export[ \t]+")
_KEY_CHARS = re.compile(r"[A-Za-z0-9_.\-\[\]]")
_ESCAPES = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-7]{0,3})")
_ESCAPE_MAP = {
    "a": "\a", "b": "\b", "c": "c", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    '"': '"', "\\": "\\",
}  # fmt: skip


@dataclass(frozen=True)
class EnvEntry:
    """One variable of an env file: its value after expansion, as written, and its line."""

    key: str
    value: str
    written: str
    line: int


def _unescape(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        seq = match.group()[1:]
        if seq == "$":
            return "$$"  # a literal $ for the substitution that follows
        if seq[0] == "0":
            return chr(int(seq[1:] or "0", 8))
        return _ESCAPE_MAP[seq]

    return _ESCAPES.sub(repl, text)


class _Parser:
    def __init__(self, text: str, path: str, lookup: Lookup) -> None:
        self.text = text
        self.path = path
        self.lookup = lookup
        self.values: dict[str, str] = {}
        self.entries: list[EnvEntry] = []
        self.pos = 0

    def line_at(self, index: int) -> int:
        return self.text.count("\n", 0, index) + 1

    def error(self, message: str, index: int) -> ParseError:
        return ParseError(message, self.path, self.line_at(index))

    def expand(self, value: str, index: int) -> str:
        def look(name: str) -> str | None:
            found = self.lookup(name)
            return found if found is not None else self.values.get(name)

        try:
            return substitute(value, look)
        except TemplateError as err:
            raise InterpolationError(str(err), self.path, self.line_at(index)) from None

    def run(self) -> list[EnvEntry]:
        text = self.text
        while True:
            start = self.skip_blank_and_comments()
            if start >= len(text):
                return self.entries
            self.statement(start)

    def skip_blank_and_comments(self) -> int:
        text = self.text
        i = self.pos
        while i < len(text):
            if text[i].isspace():
                i += 1
            elif text[i] == "#":
                nl = text.find("\n", i)
                i = len(text) if nl < 0 else nl
            else:
                break
        self.pos = i
        return i

    def statement(self, start: int) -> None:
        text = self.text
        export = _EXPORT.match(text, start)
        i = export.end() if export else start
        key_start = i
        while i < len(text) and text[i] not in "=:\n":
            if not (_KEY_CHARS.match(text[i]) or text[i] in " \t"):
                first_line = text[key_start:].split("\n", 1)[0]
                raise self.error(f"unexpected character {text[i]!r} in variable name {first_line!r}", i)
            i += 1
        key = text[key_start:i].strip()
        if " " in key or "\t" in key:
            raise self.error(f"variable name {key!r} cannot contain a space", key_start)
        if not key:
            raise self.error("a line with a value but no variable name", key_start)
        if i >= len(text) or text[i] == "\n":
            inherited = self.lookup(key)
            if inherited is not None:
                self.add(key, inherited, "", key_start)
            self.pos = i
            return
        i += 1
        while i < len(text) and text[i] in " \t":
            i += 1
        self.value(key, key_start, i)

    def value(self, key: str, key_start: int, i: int) -> None:
        text = self.text
        quote = text[i] if i < len(text) and text[i] in "'\"" else ""
        if not quote:
            nl = text.find("\n", i)
            end = len(text) if nl < 0 else nl
            written = text[i:end].split(" #", 1)[0].rstrip()
            self.add(key, self.expand(written, key_start), written, key_start)
            self.pos = end
            return
        j = i + 1
        chars: list[str] = []
        while j < len(text):
            char = text[j]
            if char == "\\" and j + 1 < len(text):
                chars.append(text[j : j + 2] if text[j + 1] != quote else quote)
                j += 2
                continue
            if char == quote:
                written = "".join(chars)
                value = written
                if quote == '"':
                    value = self.expand(_unescape(written), key_start)
                self.add(key, value, written, key_start)
                self.pos = j + 1
                return
            chars.append(char)
            j += 1
        raise self.error(f"unterminated quoted value for {key}", i)

    def add(self, key: str, value: str, written: str, index: int) -> None:
        self.values[key] = value
        self.entries.append(EnvEntry(key, value, written, self.line_at(index)))


def parse_env(text: str, path: str, lookup: Lookup | None = None) -> list[EnvEntry]:
    """The entries of an env file's text, in order (a key may repeat: the last one wins)."""
    return _Parser(text, path, lookup or (lambda _name: None)).run()


def read_env_file(path: str, real_path: str | None = None, lookup: Lookup | None = None) -> list[EnvEntry]:
    """Read an env file; a missing one is an :class:`InputError` naming it."""
    return parse_env(read_text(path, real_path), path, lookup)


def as_mapping(entries: list[EnvEntry]) -> dict[str, str]:
    return {entry.key: entry.value for entry in entries}
