"""Regular expressions in container-structure-test files are Go's (RE2): POSIX classes,
``\\z`` and ``(?<name>...)`` read as Go reads them, without a warning to the user."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from pytest_ctrsec.errors import SchemaError
from pytest_ctrsec.structure_test import go_regex, load_structure_tests


@pytest.mark.parametrize("pattern, text, found", [
    ("^[[:digit:]]+$", "2024", True),
    ("^[[:digit:]]+$", "20a4", False),
    ("^[[:alnum:]_-]+::", "app::", True),
    ("^[[:alnum:]_-]+::", "app:x:", False),
    ("^[[:alpha:]]+$", "catalogue", True),
    ("^[[:alpha:]]+$", "café", False),  # POSIX classes are ASCII in Go
    ("^[[:^digit:]]+$", "abc", True),
    ("^[[:^digit:]]+$", "a1c", False),
    ("^[^[:space:]]+$", "a b", False),
    ("^[^[:space:]]+$", "a-b", True),
    ("^[[:punct:]]+$", "!-@[`{~", True),
    ("^[[:xdigit:]]+$", "beefC0DE", True),
    ("^[[:upper:][:digit:]]+$", "ABC123", True),
    ("^[[:upper:][:digit:]]+$", "ABc", False),
    ("^[]a]+$", "]a]", True),  # a ']' first in a set is a literal
    ("^[[a]+$", "[a[", True),  # a '[' that opens no POSIX class is a literal
    ("^[a&&b]+$", "a&b", True),  # '&&' is no intersection in Go
    ("a\\z", "a\n", False),  # \z: the very end, not before a final newline
    ("a\\z", "a", True),
    ("^(?<major>[0-9]+)\\.", "12.4", True),
    ("\\[[:digit:]]", "[:]", True),  # an escaped '[' opens no set
    # as container-structure-test matches (regexp.Compile, no flags): ^ anchors the text
    ("^error", "ok\nerror: late", False),
    ("(?m)^error", "ok\nerror: late", True),
    ("^\\w+$", "café", False),  # \w, \d, \s are ASCII in Go
    ("^\\d+$", "\u0661\u0662", False),
])
def test_go_patterns_match_as_in_go(pattern: str, text: str, found: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = go_regex(pattern)
    assert bool(compiled.search(text)) is found


def test_named_groups_keep_their_names() -> None:
    match = go_regex("(?<major>[0-9]+)").search("v12")
    assert match is not None and match.group("major") == "12"


@pytest.mark.parametrize("pattern, message", [
    ("[[:nope:]]", "unknown POSIX class [:nope:]"),
    ("[a[:^digit:]]", "must stand alone"),
    ("[[:digit:]", "unterminated character set"),
    ("(", "missing )"),
])
def test_bad_patterns_raise(pattern: str, message: str) -> None:
    with pytest.raises(re.error, match=re.escape(message)):
        go_regex(pattern)


def test_structure_files_with_posix_classes_load_without_warnings(tmp_path: Path) -> None:
    path = tmp_path / "cst.yaml"
    path.write_text('schemaVersion: "2.0.0"\n'
                    "fileContentTests:\n"
                    "  - name: accounts\n"
                    "    path: /etc/passwd\n"
                    "    expectedContents: ['(?m)^app:x:[[:digit:]]+:']\n"
                    "metadataTest:\n"
                    "  envVars: [{key: PATH, value: '^[[:alnum:]/:]+$', isRegex: true}]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tests = load_structure_tests(path)
    assert [t.test_id for t in tests] == ["fileContentTests[accounts]", "metadataTest[metadata]"]


def test_an_unknown_posix_class_is_a_schema_error(tmp_path: Path) -> None:
    path = tmp_path / "cst.yaml"
    path.write_text('schemaVersion: "2.0.0"\n'
                    "fileContentTests:\n"
                    "  - {name: a, path: /x, expectedContents: ['[[:letters:]]']}\n")
    with pytest.raises(SchemaError, match=r"bad regular expression: unknown POSIX class"):
        load_structure_tests(path)
