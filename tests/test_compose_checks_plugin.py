"""The bundled compose.* checks end to end: pytest with --ctrsec-compose on a real project."""

from __future__ import annotations

import json
import textwrap

import pytest

COMPOSE = textwrap.dedent("""\
    services:
      web:
        image: example.invalid/ctrsec-absent:1.0
        privileged: true
        ports:
          - "127.0.0.1:8080:80"
        environment:
          DB_PASSWORD: hunter2hunter2
      worker:
        image: example.invalid/ctrsec-absent:1.0
        user: "1000"
        profiles: [batch]
""")
OVERRIDE = textwrap.dedent("""\
    services:
      web:
        privileged: false
""")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.path.joinpath("compose.yaml").write_text(COMPOSE)
    pytester.path.joinpath("override.yaml").write_text(OVERRIDE)
    return pytester


def results(p: pytest.Pytester, *args: str) -> list[dict[str, object]]:
    p.runpytest_subprocess("-p", "no:cacheprovider", "--ctrsec-json=r.json", *args)
    return json.loads(p.path.joinpath("r.json").read_text())["results"]


def by(rows: list[dict[str, object]], check: str, target: str) -> dict[str, object]:
    return next(r for r in rows if r["check"] == check and r["target"] == target)


def test_results_name_the_service_and_the_line(project: pytest.Pytester) -> None:
    rows = results(project, "--ctrsec-compose=compose.yaml")
    targets = {r["target"] for r in rows}
    assert targets == {"compose:compose.yaml#web", "compose:compose.yaml"}  # worker: profile
    privileged = by(rows, "compose.no-privileged", "compose:compose.yaml#web")
    assert privileged["outcome"] == "failed" and privileged["severity"] == "critical"
    assert privileged["findings"][0]["location"] == {"path": "compose.yaml", "line": 4}
    secret = by(rows, "compose.no-secrets-in-env", "compose:compose.yaml#web")
    assert secret["findings"][0]["location"]["line"] == 8
    assert "hunter2hunter2" not in json.dumps(rows)
    user = by(rows, "compose.user-not-root", "compose:compose.yaml#web")
    assert user["outcome"] == "skipped"
    assert "not in the local engine" in user["findings"][0]["message"]
    assert by(rows, "compose.ports-bound-to-interface",
              "compose:compose.yaml#web")["outcome"] == "passed"


def test_files_merge_in_order_and_profiles_activate(project: pytest.Pytester) -> None:
    rows = results(project, "--ctrsec-compose=compose.yaml", "--ctrsec-compose=override.yaml",
                   "--ctrsec-compose-profile=batch")
    assert by(rows, "compose.no-privileged", "compose:compose.yaml#web")["outcome"] == "passed"
    worker = by(rows, "compose.user-not-root", "compose:compose.yaml#worker")
    assert worker["outcome"] == "passed"


def test_broken_compose_file_is_one_clear_line(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("compose.yaml").write_text("services:\n  web: [unclosed\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--ctrsec-compose=compose.yaml")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret != 0
    assert "compose.yaml:" in out and "Traceback" not in out
