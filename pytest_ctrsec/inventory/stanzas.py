"""Blank-line separated ``Key: value`` records: dpkg's status database (RFC 822 style, with
continuation lines) and apk's installed database (``X:value`` lines)."""

from __future__ import annotations

from collections.abc import Iterator


def deb822(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(first line number, fields)`` per stanza; continuation lines (starting with a blank)
    are appended to the previous field, field names compare as written. A field's lines are
    joined once at the end of its stanza, so a field of a million lines costs linear time."""
    fields: dict[str, list[str]] = {}
    start = 0
    last: list[str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if fields:
                yield start, _joined(fields)
            fields, last = {}, None
            continue
        if line[0] in " \t":
            if last is not None:
                last.append(line.strip())
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if not fields:
            start = number
        last = fields[key.strip()] = [value.strip()]
    if fields:
        yield start, _joined(fields)


def _joined(fields: dict[str, list[str]]) -> dict[str, str]:
    return {key: "\n".join(lines) for key, lines in fields.items()}


def apk_records(text: str) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """``(first line number, {letter: [values]})`` per package of an apk installed db."""
    fields: dict[str, list[str]] = {}
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if fields:
                yield start, fields
            fields = {}
            continue
        if len(line) < 2 or line[1] != ":":
            continue
        if not fields:
            start = number
        fields.setdefault(line[0], []).append(line[2:])
    if fields:
        yield start, fields
