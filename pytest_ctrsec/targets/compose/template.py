"""Compose variable substitution in one string: ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``, ``${VAR+alt}``, nested
``${A:-${B}}`` and ``$$`` for a literal ``$``.

Errors are raised as :class:`TemplateError` (no file or line here: the caller knows them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

Lookup = Callable[[str], "str | None"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class TemplateError(Exception):
    """A bad ``${...}`` or a required variable without a value."""


class MissingRequired(TemplateError):
    """``${VAR:?message}`` / ``${VAR?message}`` with ``VAR`` unset (or empty for ``:?``)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        text = f"required variable {name} is missing a value"
        super().__init__(f"{text}: {reason}" if reason else text)


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` that closes the ``${`` whose body starts at ``start``, or -1."""
    depth = 1
    i = start
    end = len(text)
    while i < end:
        char = text[i]
        if char == "}":
            depth -= 1
            if depth == 0:
                return i
        elif char == "{":
            depth += 1
        i += 1
    return -1


def _braced(body: str, lookup: Lookup, whole: str) -> str:
    match = _NAME.match(body)
    if match is None:
        raise TemplateError(f"invalid interpolation format in {whole!r} (use $$ for a literal $)")
    name = match.group()
    rest = body[match.end() :]
    if not rest:
        return lookup(name) or ""
    operator = next((op for op in _OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise TemplateError(f"invalid interpolation format in {whole!r} (use $$ for a literal $)")
    word = rest[len(operator) :]
    value = lookup(name)
    empty_counts = operator.startswith(":")
    missing = value is None or (empty_counts and value == "")
    kind = operator[-1]
    if kind == "-":
        return substitute(word, lookup) if missing else value or ""
    if kind == "+":
        return "" if missing else substitute(word, lookup)
    if missing:
        raise MissingRequired(name, substitute(word, lookup))
    return value or ""


def substitute(text: str, lookup: Lookup) -> str:
    """``text`` with every variable replaced; an unset plain variable becomes ``""``."""
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    end = len(text)
    while i < end:
        dollar = text.find("$", i)
        if dollar < 0:
            out.append(text[i:])
            break
        out.append(text[i:dollar])
        nxt = text[dollar + 1 : dollar + 2]
        if nxt == "$":
            out.append("$")
            i = dollar + 2
        elif nxt == "{":
            close = _closing_brace(text, dollar + 2)
            if close < 0:
                raise TemplateError(f"invalid interpolation format in {text!r}: unclosed '${{'")
            out.append(_braced(text[dollar + 2 : close], lookup, text))
            i = close + 1
        else:
            match = _NAME.match(text, dollar + 1)
            if match is None:
                out.append("$")  # a lone $ (e.g. "$1", "cost: 5$") stays as written
                i = dollar + 1
            else:
                out.append(lookup(match.group()) or "")
                i = match.end()
    return "".join(out)


def references(text: str) -> list[str]:
    """The variable names ``text`` refers to (for reports), nested defaults included."""
    names: list[str] = []
    i = 0
    while True:
        dollar = text.find("$", i)
        if dollar < 0 or dollar + 1 >= len(text):
            return names
        nxt = text[dollar + 1]
        if nxt == "$":
            i = dollar + 2
            continue
        start = dollar + 2 if nxt == "{" else dollar + 1
        match = _NAME.match(text, start)
        if match:
            names.append(match.group())
            i = match.end()
        else:
            i = dollar + 1
