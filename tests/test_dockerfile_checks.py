"""Every dockerfile.* check against its pass and fail fixtures
(``tests/fixtures/dockerfile/<slug>/{pass,fail,skip}*.Dockerfile``; a fail fixture's
``# expect-lines:`` comment lists the lines the findings must point at; a skip fixture is
one the check cannot judge, such as an unresolvable variable)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.targets.dockerfile import load_dockerfile

FIXTURES = Path(__file__).parent / "fixtures" / "dockerfile"
CASES = sorted(FIXTURES.glob("*/*.Dockerfile"))


def _ids() -> list[str]:
    return [c for c in registry() if c.startswith("dockerfile.")]


def test_every_dockerfile_check_has_a_pass_and_a_fail_fixture() -> None:
    for check_id in _ids():
        folder = FIXTURES / check_id.split(".", 1)[1]
        names = [p.name for p in folder.glob("*.Dockerfile")]
        assert any(n.startswith("pass") for n in names), check_id
        assert any(n.startswith("fail") for n in names), check_id


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_fixture_verdict(path: Path) -> None:
    chk = registry()[f"dockerfile.{path.parent.name}"]
    verdict = chk.evaluate(load_dockerfile(path))
    if path.name.startswith("pass"):
        assert verdict.outcome == "passed", [f.message for f in verdict.findings]
        return
    if path.name.startswith("skip"):
        assert verdict.outcome == "skipped", verdict
        assert "cannot be resolved" in verdict.reason or "has no value" in verdict.reason
        return
    assert verdict.outcome == "failed"
    expected = re.search(r"# expect-lines: ([\d,]+)", path.read_text())
    assert expected, f"{path} lacks an expect-lines comment"
    lines = sorted({f.location.line for f in verdict.findings})
    assert lines == sorted(int(x) for x in expected.group(1).split(","))
    assert all(f.location.path == str(path) for f in verdict.findings)


def test_example_suite_dockerfile_passes_every_check() -> None:
    path = Path(__file__).parents[1] / "example_suites" / "image" / "Dockerfile"
    model = load_dockerfile(path)
    for check_id in _ids():
        verdict = registry()[check_id].evaluate(model)
        assert verdict.outcome == "passed", (check_id, verdict)
