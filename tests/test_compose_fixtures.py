"""Every compose.* check on its fixtures, through the real loader, adapter and check.

``tests/fixtures/compose/<slug>/`` holds ``pass*.yaml``, ``fail*.yaml`` and ``skip*.yaml``:
the file name says the expected outcome, ``# FINDING`` marks each line a finding must point
at, and header comments give what cannot be written on a line:
``# expect-at: <file>:<line>`` (a finding in another file) and ``# chmod: <path> <mode>``
(git keeps no read bits, so modes are set on a copy).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.targets.compose import project_targets
from pytest_ctrsec.targets.compose.loader import load_project

FIXTURES = Path(__file__).parent / "fixtures" / "compose"
OUTCOMES = {"pass": "passed", "fail": "failed", "skip": "skipped"}
# What the deployment environment supplies: a value that looks like a credential, to show
# that rules judge what is written in the file, not what interpolation produced.
ENVIRON = {"DB_PASSWORD": "resolved-from-environment-1"}
CASES = sorted(p for p in FIXTURES.glob("*/*.yaml") if p.stem.split("-")[0] in OUTCOMES)


def compose_ids() -> list[str]:
    return sorted(i for i in registry() if i.startswith("compose."))


def expected_lines(path: Path) -> set[tuple[str, int]]:
    """(file name, line) of every ``# FINDING`` and ``# expect-at:`` in a fixture."""
    out = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.rstrip().endswith("# FINDING"):
            out.add((path.name, number))
        at = re.match(r"#\s*expect-at:\s*(\S+):(\d+)", line)
        if at:
            out.add((at.group(1), int(at.group(2))))
    return out


def copy_with_modes(case: Path, tmp: Path) -> Path:
    folder = tmp / case.parent.name
    shutil.copytree(case.parent, folder)
    for line in case.read_text().splitlines():
        mode = re.match(r"#\s*chmod:\s*(\S+)\s+([0-7]{3,4})", line)
        if mode:
            (folder / mode.group(1)).chmod(int(mode.group(2), 8))
    return folder / case.name


def verdicts(case: Path, tmp: Path) -> list[Verdict]:
    path = copy_with_modes(case, tmp)
    project = load_project([str(path)], environ=ENVIRON)
    check = registry()[f"compose.{case.parent.name}"]
    # No engine here: image facts stay unknown, so inherited settings are "cannot evaluate".
    targets = project_targets(project, str(path), image_lookup=None)
    return [check.evaluate(t.model) for t in targets if t.model_type == check.model]


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case: Path, tmp_path: Path) -> None:
    results = verdicts(case, tmp_path)
    want = OUTCOMES[case.stem.split("-")[0]]
    outcomes = [v.outcome for v in results]
    if want == "failed":
        assert "failed" in outcomes
    else:
        assert outcomes and set(outcomes) == {want}, [v.reason for v in results]
    got = {(Path(f.location.path).name, f.location.line)
           for v in results for f in v.findings if f.location}
    assert got == expected_lines(case)
    for v in results:
        if v.outcome == "skipped":
            assert v.reason


def test_every_compose_check_has_passing_and_failing_fixtures() -> None:
    kinds: dict[str, set[str]] = {}
    for case in CASES:
        kinds.setdefault(f"compose.{case.parent.name}", set()).add(case.stem.split("-")[0])
    for check_id in compose_ids():
        assert {"pass", "fail"} <= kinds.get(check_id, set()), check_id
    assert set(kinds) <= set(compose_ids())  # no fixture folder for an unknown id


def test_findings_never_show_the_secret(tmp_path: Path) -> None:
    secrets = ("hunter2hunter2", "s3cretpw", "s3cr3tpass", "changeme", "abcdef0123456789",
               "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY")
    for case in CASES:
        if case.parent.name in ("no-secrets-in-env", "no-hardcoded-secrets"):
            for verdict in verdicts(case, tmp_path / case.stem):
                for finding in verdict.findings:
                    assert not any(s in finding.message for s in secrets), finding.message
