"""Issue 2's bad-input cases through the real plugin: one line naming the file (and line)
and the problem, a non-zero exit, no traceback."""

from __future__ import annotations

import pytest

CASES = {
    "missing file": ({}, "nothere.yaml", "nothere.yaml"),
    "invalid YAML": ({"c.yaml": "services:\n  web:\n    image: [x\n"}, "c.yaml", "c.yaml:4"),
    "schema violation": ({"c.yaml": "services:\n  web:\n    image: x\n    imag: y\n"},
                         "c.yaml", "c.yaml:4"),
    "unset required variable": (
        {"c.yaml": "services:\n  web:\n    image: \"app:${TAG:?set TAG first}\"\n"},
        "c.yaml", "c.yaml:3"),
    "extends cycle": (
        {"c.yaml": "services:\n  a:\n    image: x\n    extends: b\n"
                   "  b:\n    image: x\n    extends: a\n"}, "c.yaml", "c.yaml:"),
}
WORDS = {"missing file": "no such file", "invalid YAML": "YAML",
         "schema violation": "unknown key 'imag'", "unset required variable": "set TAG first",
         "extends cycle": "circular reference"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_compose_input_is_one_clear_line(pytester: pytest.Pytester,
                                             monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    files, option, where = CASES[case]
    for name, text in files.items():
        pytester.path.joinpath(name).write_text(text)
    monkeypatch.delenv("TAG", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ctrsec-compose={option}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    lines = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"ERROR: {where}"), lines[0]
    assert WORDS[case].lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in err + result.stdout.str()
