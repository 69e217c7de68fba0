"""The plugin core, end to end through pytest itself (pytester, in a subprocess so the fake
target kind below never leaks into the real registry)."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

import pytest

FAKE_CONFTEST = textwrap.dedent('''
    import sys, types
    from pytest_ctrsec import session, catalog
    from pytest_ctrsec.errors import CannotEvaluate, ParseError
    from pytest_ctrsec.findings import Finding, Location
    from pytest_ctrsec.targets import Target

    def load_targets(opts):
        out = []
        for path in opts.compose:
            if path.endswith("broken.yaml"):
                raise ParseError("mapping values are not allowed here", path, 7)
            for i, mode in enumerate(open(path).read().split()):
                out.append(Target("compose.service", f"compose:{path}#s{i}", f"{path}#s{i}",
                                  path, Location(path, i + 1), mode))
        return out

    mod = types.ModuleType("fake_loader")
    mod.load_targets = load_targets
    sys.modules["fake_loader"] = mod
    session.LOADERS["compose"] = ("fake_loader", lambda o: bool(o.compose))
    # Only the fake check: the real catalogue is tested elsewhere.
    catalog._loaded = True
    catalog._REGISTRY.clear()

    @catalog.check("compose.fake-rule", title="mode is good", severity="high",
                   model="compose.service", refs=["CIS 9.9", "X-1"], remediation="make it good")
    def fake_rule(mode):
        if mode == "crash":
            raise RuntimeError("a bug in the check")
        if mode == "unknown":
            raise CannotEvaluate("mode not known")
        if mode == "bad":
            yield Finding("mode is bad")
''')


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(FAKE_CONFTEST)
    pytester.path.joinpath("a.yaml").write_text("good bad unknown\n")
    pytester.path.joinpath("b.yaml").write_text("good good\n")
    pytester.makepyfile(test_user="def test_mine():\n    assert 1 + 1 == 2\n")
    return pytester


def run(p: pytest.Pytester, *args: str) -> pytest.RunResult:
    return p.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_bundled_checks_are_not_collected_without_a_target(project: pytest.Pytester) -> None:
    result = run(project, "--collect-only", "-q")
    assert "test_user.py::test_mine" in result.stdout.str()
    assert "ctrsec/" not in result.stdout.str()


def test_one_item_per_check_per_target_with_readable_ids(project: pytest.Pytester) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", "-v")
    out = result.stdout.str()
    assert "ctrsec/test_compose.py::test_fake_rule[a.yaml#s0] PASSED" in out
    assert "ctrsec/test_compose.py::test_fake_rule[a.yaml#s1] FAILED" in out
    assert "ctrsec/test_compose.py::test_fake_rule[a.yaml#s2] SKIPPED" in out
    assert "mode is bad [a.yaml:2]" in out and "fix: make it good" in out
    assert "Traceback" not in out
    result.assert_outcomes(passed=2, failed=1, skipped=1)


def test_no_bundled_turns_them_off(project: pytest.Pytester) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-no-bundled")
    result.assert_outcomes(passed=1)


def test_json_report_follows_the_contract(project: pytest.Pytester) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-json=out/r.json")
    assert result.ret == 1
    doc = json.loads(project.path.joinpath("out/r.json").read_text())
    assert doc["tool"] == "pytest-ctrsec" and doc["version"]
    assert doc["summary"] == {"passed": 1, "failed": 1, "skipped": 1, "waived": 0, "error": 0}
    failed = next(r for r in doc["results"] if r["outcome"] == "failed")
    assert failed == {
        "check": "compose.fake-rule", "title": "mode is good", "severity": "high",
        "refs": ["CIS 9.9", "X-1"], "target": "compose:a.yaml#s1", "target_kind": "compose",
        "outcome": "failed",
        "findings": [{"message": "mode is bad", "location": {"path": "a.yaml", "line": 2}}],
        "nodeid": "ctrsec/test_compose.py::test_fake_rule[a.yaml#s1]", "waiver": None,
    }
    skipped = next(r for r in doc["results"] if r["outcome"] == "skipped")
    assert skipped["findings"] == [{"message": "mode not known", "location": None}]


@pytest.mark.parametrize("how, items", [("object", 5), ("source", 2), ("check", 1)])
def test_granularity_changes_items_not_results(project: pytest.Pytester, how: str,
                                               items: int) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-compose=b.yaml",
                 f"--ctrsec-granularity={how}", "--ctrsec-json=r.json")
    outcomes = result.parseoutcomes()
    assert sum(outcomes.get(k, 0) for k in ("passed", "failed", "skipped")) == items + 1
    rows = json.loads(project.path.joinpath("r.json").read_text())["results"]
    assert len(rows) == 5 and {r["target"] for r in rows} == {
        "compose:a.yaml#s0", "compose:a.yaml#s1", "compose:a.yaml#s2",
        "compose:b.yaml#s0", "compose:b.yaml#s1"}


def test_auto_granularity_groups_when_over_the_item_budget(project: pytest.Pytester) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-compose=b.yaml",
                 "--ctrsec-max-items=2", "--collect-only", "-q")
    out = result.stdout.str()
    assert "test_fake_rule[a.yaml]" in out and "test_fake_rule[b.yaml]" in out


def test_junit_carries_check_metadata(project: pytest.Pytester) -> None:
    run(project, "--ctrsec-compose=b.yaml", "--junitxml=j.xml")
    tree = ET.parse(project.path / "j.xml")
    case = next(c for c in tree.iter("testcase") if c.get("name", "").startswith("test_fake"))
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["ctrsec.id"] == "compose.fake-rule"
    assert props["ctrsec.severity"] == "high"
    assert props["ctrsec.refs"] == "CIS 9.9, X-1"
    assert props["ctrsec.target"] == "compose:b.yaml#s0"


def test_junit_severity_follows_the_override(project: pytest.Pytester) -> None:
    project.path.joinpath("w.yaml").write_text(WAIVERS.format(expires="null"))
    run(project, "--ctrsec-compose=a.yaml", "--ctrsec-severity=compose.fake-rule=medium",
        "--ctrsec-waivers=w.yaml", "--junitxml=j.xml")
    cases = {c.get("name"): c for c in ET.parse(project.path / "j.xml").iter("testcase")}
    waived = cases["test_fake_rule[a.yaml#s1]"]
    props = {p.get("name"): p.get("value") for p in waived.iter("property")}
    assert props["ctrsec.severity"] == "medium"
    # a JUnit consumer sees a waived failure as skipped, with the waiver's reason
    skipped = waived.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "compose.fake-rule: waived: accepted until the rewrite"


def test_terminal_summary_counts_failures_by_severity(project: pytest.Pytester) -> None:
    out = run(project, "--ctrsec-compose=a.yaml").stdout.str()
    assert "ctrsec summary" in out
    assert "HIGH (1):" in out and "compose.fake-rule  compose:a.yaml#s1" in out


def test_markers_and_keywords_select_checks(project: pytest.Pytester) -> None:
    by_marker = run(project, "--ctrsec-compose=b.yaml", "-m", "ctrsec_compose", "--strict-markers")
    by_marker.assert_outcomes(passed=2)
    by_kw = run(project, "--ctrsec-compose=b.yaml", "-k", "fake_rule and s1")
    by_kw.assert_outcomes(passed=1)


def test_select_and_ignore_by_reference(project: pytest.Pytester) -> None:
    run(project, "--ctrsec-compose=b.yaml", "--ctrsec-select=CIS 9.*").assert_outcomes(passed=3)
    run(project, "--ctrsec-compose=b.yaml", "--ctrsec-ignore=X-*").assert_outcomes(passed=1)


def test_ini_twin_gives_the_target(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nctrsec_compose = b.yaml\nctrsec_json = r.json\n")
    result = run(project)
    result.assert_outcomes(passed=3)
    # named as on the command line (a waiver's target glob, a test id), not made absolute
    assert "test_fake_rule[b.yaml#s0] PASSED" in run(project, "-v").stdout.str()
    rows = json.loads(project.path.joinpath("r.json").read_text())["results"]
    assert {r["target"] for r in rows} == {"compose:b.yaml#s0", "compose:b.yaml#s1"}


@pytest.mark.parametrize("args, message", [
    (["--ctrsec-fail-on=urgent"], "--ctrsec-fail-on: 'urgent' is not one of critical, high"),
    (["--ctrsec-granularity=some"], "--ctrsec-granularity: 'some' is not one of auto"),
    (["--ctrsec-max-items=0"], "--ctrsec-max-items: must be at least 1"),
    (["--ctrsec-compose="], "--ctrsec-compose: empty value (an unset variable?)"),
    (["--ctrsec-compose=b.yaml", "--ctrsec-sarif="], "--ctrsec-sarif: empty value"),
    (["--ctrsec-compose=broken.yaml"], "broken.yaml:7: mapping values are not allowed here"),
    (["--ctrsec-compose=b.yaml", "--ctrsec-select=compose.fake-rul"],
     "--ctrsec-select: 'compose.fake-rul' matches no check id or reference (did you mean "
     "compose.fake-rule?)"),
    (["--ctrsec-ignore=CIS 1.*"], "--ctrsec-ignore: 'CIS 1.*' matches no check id or reference"),
    (["--ctrsec-severity=compose.fake=low"], "--ctrsec-severity: 'compose.fake' matches no check"),
    (["--ctrsec-check-option=compose.fake-rul:x=1"],
     "--ctrsec-check-option: unknown check id 'compose.fake-rul' (did you mean compose.fake-rule?)"),
    (["--ctrsec-check-option=compose.fake-rule:x=1"],
     "--ctrsec-check-option: compose.fake-rule has no option 'x'; its options: none"),
])
def test_bad_input_is_one_line_and_a_usage_error(project: pytest.Pytester, args: list[str],
                                                 message: str) -> None:
    project.path.joinpath("broken.yaml").write_text("x: y: z\n")
    result = run(project, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"ERROR: {message}" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_help_needs_no_engine(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == 0
    assert "--ctrsec-compose=FILE" in result.stdout.str()


@pytest.mark.parametrize("threshold, code", [("critical", 0), ("high", 1), ("info", 1)])
def test_fail_on_sets_the_exit_code_but_reports_everything(
        project: pytest.Pytester, threshold: str, code: int) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", f"--ctrsec-fail-on={threshold}",
                 "--ctrsec-json=r.json")
    assert result.ret == code
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    doc = json.loads(project.path.joinpath("r.json").read_text())
    assert doc["summary"]["failed"] == 1


def test_a_check_that_crashes_is_an_error_in_the_reports(project: pytest.Pytester) -> None:
    project.path.joinpath("c.yaml").write_text("good crash\n")
    result = run(project, "--ctrsec-compose=c.yaml", "--ctrsec-fail-on=critical",
                 "--ctrsec-json=r.json", "--ctrsec-sarif=r.sarif")
    assert result.ret == 1  # a bug is never below the threshold
    doc = json.loads(project.path.joinpath("r.json").read_text())
    assert doc["summary"] == {"passed": 1, "failed": 0, "skipped": 0, "waived": 0, "error": 1}
    row = next(r for r in doc["results"] if r["outcome"] == "error")
    assert row["target"] == "compose:c.yaml#s1"
    assert row["findings"][0]["message"] == "RuntimeError: a bug in the check"
    notes = json.loads(project.path.joinpath("r.sarif").read_text())["runs"][0]["invocations"]
    assert notes[0]["executionSuccessful"] is False


def test_fail_on_never_passes_a_run_stopped_early(project: pytest.Pytester) -> None:
    """-x stops at a failure below the threshold: the checks after it never ran."""
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-fail-on=critical", "-x")
    result.assert_outcomes(passed=2, failed=1)  # a.yaml#s2 never ran
    assert result.ret == 1


def test_ini_report_paths_are_relative_to_the_ini_file(project: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    project.makeini("[pytest]\nctrsec_compose = b.yaml\nctrsec_json = out/r.json\n"
                    "ctrsec_sarif = out/r.sarif\n")
    sub = project.mkdir("sub")
    monkeypatch.chdir(sub)
    run(project).assert_outcomes(passed=2)
    assert project.path.joinpath("out", "r.json").is_file()
    assert project.path.joinpath("out", "r.sarif").is_file()
    assert not sub.joinpath("out").exists()


def test_ini_paths_inside_image_references_are_relative_to_the_ini_file() -> None:
    from pathlib import Path

    from pytest_ctrsec.options import resolve

    ini = {"image": ["app:1.4", "docker-archive:build/app.tar", "oci:/abs/layout:v1",
                     "oci:layout:v2"], "k8s": ["-", "deploy"]}
    opts = resolve({}, ini, Path("/repo"))
    assert opts.image == ("app:1.4", "docker-archive:/repo/build/app.tar", "oci:/abs/layout:v1",
                          "oci:/repo/layout:v2")
    assert opts.k8s == ("-", "/repo/deploy")
    # the command line is relative to where pytest runs, as always
    assert resolve({"image": ["oci:layout"]}, {}, Path("/repo")).image == ("oci:layout",)


def test_a_report_that_cannot_be_written_is_one_line_and_fails_the_run(
        project: pytest.Pytester) -> None:
    project.path.joinpath("afile").write_text("")
    result = run(project, "--ctrsec-compose=b.yaml", "--ctrsec-json=afile/r.json",
                 "--ctrsec-sarif=out/r.sarif")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # everything passed, but no report
    out = result.stdout.str() + result.stderr.str()
    assert "ERROR: --ctrsec-json: afile/r.json: File exists" in out
    assert "Traceback" not in out
    assert project.path.joinpath("out", "r.sarif").is_file()  # the other one is written
    assert "JSON report:" not in out and "SARIF report: out/r.sarif" in out


def test_collect_only_writes_no_reports(project: pytest.Pytester) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", "--collect-only", "--ctrsec-json=r.json",
                 "--ctrsec-sarif=r.sarif")
    assert result.ret == 0
    assert not project.path.joinpath("r.json").exists()
    assert not project.path.joinpath("r.sarif").exists()


def test_fail_on_never_hides_a_failing_user_test(project: pytest.Pytester) -> None:
    project.makepyfile(test_user="def test_mine():\n    assert 1 + 1 == 3\n")
    result = run(project, "--ctrsec-compose=b.yaml", "--ctrsec-fail-on=critical")
    assert result.ret == 1


WAIVERS = textwrap.dedent('''
    waivers:
      - check: compose.fake-*
        target: "compose:a.yaml#s1"
        reason: accepted until the rewrite
        expires: {expires}
      - check: compose.other
        reason: nothing has this id
''')


@pytest.mark.parametrize("expires", ["2999-12-31", "null"])
def test_a_waived_failure_is_reported_as_waived(project: pytest.Pytester, expires: str) -> None:
    project.path.joinpath("w.yaml").write_text(WAIVERS.format(expires=expires))
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-waivers=w.yaml",
                 "--ctrsec-json=r.json", "-rx")
    assert result.ret == 0
    result.assert_outcomes(passed=2, skipped=1, xfailed=1)
    assert "waived: accepted until the rewrite" in result.stdout.str()
    row = next(r for r in json.loads(project.path.joinpath("r.json").read_text())["results"]
               if r["target"] == "compose:a.yaml#s1")
    assert row["outcome"] == "waived"
    assert row["waiver"]["reason"] == "accepted until the rewrite"
    assert row["waiver"]["source"] == "w.yaml:3" and row["waiver"]["expired"] is False
    assert row["findings"][0]["message"] == "mode is bad"
    assert "w.yaml:7: compose.other on *" in result.stdout.str()  # matched nothing


def test_waivers_of_checks_that_did_not_run_are_not_called_stale() -> None:
    """A waiver file shared by CI jobs, or a run narrowed with --ctrsec-select: a waiver is
    listed as matching nothing only when its check ran, or when it names no check at all."""
    from pytest_ctrsec.report.log import ResultLog, waiver_lines
    from pytest_ctrsec.waivers import Waiver

    log = ResultLog()
    log.add([{"check": "compose.cpu-limited", "title": "t", "severity": "low", "refs": [],
              "target": "compose:c.yaml#web", "target_kind": "compose", "outcome": "passed",
              "findings": [], "nodeid": "", "waiver": None}])
    waivers = (Waiver("k8s.pss-*", "r", source="w.yaml:1"),
               Waiver("compose.cpu-*", "r", source="w.yaml:4"),
               Waiver("compose.cpu-limted", "r", source="w.yaml:7"))
    lines = waiver_lines(log, waivers)
    assert lines[0].startswith("waivers that matched no failure (2)")
    assert [line.split(":")[1] for line in lines[1:]] == ["4", "7"]


def test_an_expired_waiver_fails_and_says_so(project: pytest.Pytester) -> None:
    project.path.joinpath("w.yaml").write_text(WAIVERS.format(expires="2020-01-31"))
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-waivers=w.yaml",
                 "--ctrsec-json=r.json")
    assert result.ret == 1
    assert "waiver expired on 2020-01-31: accepted until the rewrite (w.yaml:3)" in \
        result.stdout.str()
    row = next(r for r in json.loads(project.path.joinpath("r.json").read_text())["results"]
               if r["target"] == "compose:a.yaml#s1")
    assert row["outcome"] == "failed" and row["waiver"]["expired"] is True


def test_strict_ignores_waivers(project: pytest.Pytester) -> None:
    project.path.joinpath("w.yaml").write_text(WAIVERS.format(expires="null"))
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-waivers=w.yaml",
                 "--ctrsec-strict")
    result.assert_outcomes(passed=2, failed=1, skipped=1)


def test_run_false_does_not_run_the_check(project: pytest.Pytester) -> None:
    project.path.joinpath("w.yaml").write_text(
        "- check: compose.fake-rule\n  target: '*#s2'\n  reason: judged by hand\n  run: false\n")
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-waivers=w.yaml",
                 "--ctrsec-json=r.json", "--ctrsec-sarif=r.sarif", "-rx")
    assert "compose.fake-rule: waived: not run: judged by hand" in result.stdout.str()
    rows = json.loads(project.path.joinpath("r.json").read_text())["results"]
    row = next(r for r in rows if r["target"] == "compose:a.yaml#s2")
    assert row["outcome"] == "waived"
    assert row["findings"] == []  # the check never ran, so "unknown" did not skip it
    result.assert_outcomes(passed=2, failed=1, xfailed=1)
    # nothing says s2 would fail: no (suppressed) alert for it, only s1's failure
    sarif = json.loads(project.path.joinpath("r.sarif").read_text())
    assert [r["properties"]["target"] for r in sarif["runs"][0]["results"]] == \
        ["compose:a.yaml#s1"]


@pytest.mark.parametrize("content, message", [
    ("- check: compose.fake-rule\n", "w.yaml:1: waiver for compose.fake-rule has no reason"),
    ("- check: x\n  reason: r\n  expires: soon\n", "w.yaml:1: expires must be a date"),
    ("- check: x\n  reason: r\n  owner: me\n", "w.yaml:1: unknown waiver key(s) owner"),
    ("- check: x\n  reason: 42\n", "w.yaml:1: waiver for x: reason must be text; quote it"),
    ("- check: x\n  reason: r\n  expires: 2027-01-31T10:00:00\n",
     "w.yaml:1: expires must be a date YYYY-MM-DD, got '2027-01-31T10:00:00'"),
    ("waivers: [\n", "w.yaml:2: invalid YAML"),
])
def test_a_bad_waiver_file_is_a_usage_error(project: pytest.Pytester, content: str,
                                            message: str) -> None:
    project.path.joinpath("w.yaml").write_text(content)
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-waivers=w.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_severity_override_changes_reports_and_gate(project: pytest.Pytester) -> None:
    result = run(project, "--ctrsec-compose=a.yaml", "--ctrsec-severity=compose.fake-*=low",
                 "--ctrsec-fail-on=medium", "--ctrsec-json=r.json", "--ctrsec-sarif=r.sarif")
    assert result.ret == 0
    rows = json.loads(project.path.joinpath("r.json").read_text())["results"]
    assert {r["severity"] for r in rows} == {"low"}
    # code scanning ranks alerts by the rule's security-severity: the override holds there too
    sarif_run = json.loads(project.path.joinpath("r.sarif").read_text())["runs"][0]
    (rule,) = sarif_run["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "2.0"
    assert rule["defaultConfiguration"]["level"] == "note"
    assert {r["level"] for r in sarif_run["results"]} == {"note"}


def test_user_defined_profile_selects_by_reference(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nctrsec_define_profile =\n    mine=X-*\n    none=CIS 1.*\n")
    run(project, "--ctrsec-compose=b.yaml", "--ctrsec-profile=mine").assert_outcomes(passed=3)
    run(project, "--ctrsec-compose=b.yaml", "--ctrsec-profile=none").assert_outcomes(passed=1)
    bad = run(project, "--ctrsec-compose=b.yaml", "--ctrsec-profile=nope")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown profile 'nope'; known: default, all, cis-docker" in bad.stderr.str()


def _sarif_validator() -> object:
    jsonschema = pytest.importorskip("jsonschema")
    from shared import shared_path

    schema = json.loads(shared_path("schemas", "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_sarif_validates_and_anchors_every_result(project: pytest.Pytester) -> None:
    project.path.joinpath("w.yaml").write_text(WAIVERS.format(expires="null"))
    project.path.joinpath("c.yaml").write_text("bad\n")
    run(project, "--ctrsec-compose=a.yaml", "--ctrsec-compose=c.yaml", "--ctrsec-waivers=w.yaml",
        "--ctrsec-sarif=out/r.sarif")
    doc = json.loads(project.path.joinpath("out/r.sarif").read_text())
    errors = list(_sarif_validator().iter_errors(doc))  # type: ignore[attr-defined]
    assert errors == []
    (sarif_run,) = doc["runs"]
    assert sarif_run["automationDetails"]["id"] == "ctrsec/compose/"
    rule = sarif_run["tool"]["driver"]["rules"][0]
    assert rule["id"] == "compose.fake-rule"
    assert rule["properties"]["security-severity"] == "8.0"
    assert rule["help"]["text"].startswith("make it good")
    results = sarif_run["results"]
    assert len(results) == 2  # a.yaml#s1 (waived) and c.yaml#s0 (failed)
    for res in results:
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    waived = next(r for r in results if "suppressions" in r)
    assert waived["suppressions"][0]["justification"] == "accepted until the rewrite"
    assert waived["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.yaml"
    assert waived["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_sarif_anchor_for_a_target_without_a_file() -> None:
    from pytest_ctrsec.report.sarif import document

    row = {"check": "image.user-not-root", "title": "t", "severity": "high", "refs": [],
           "target": "image:registry.example/app:1.4", "target_kind": "image",
           "outcome": "failed", "findings": [{"message": "runs as root", "location": None}],
           "nodeid": "", "waiver": None}
    doc = document([row])
    assert list(_sarif_validator().iter_errors(doc)) == []  # type: ignore[attr-defined]
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "ctrsec-targets/image/registry.example/app_1.4",
                                        "uriBaseId": "%SRCROOT%"},
                   "region": {"startLine": 1}}


def test_sarif_names_a_check_that_could_not_judge_its_target() -> None:
    """An error has no result: said in the invocation, else the run would look clean."""
    from pytest_ctrsec.report.sarif import document

    row = {"check": "k8s.pss-privileged", "title": "t", "severity": "high", "refs": [],
           "target": "k8s:a.yaml#ns/Pod/web", "target_kind": "k8s", "outcome": "error",
           "findings": [{"message": "annotation has no reason", "location": None}],
           "nodeid": "", "waiver": None}
    doc = document([row, {**row, "outcome": "passed", "findings": [], "target": "k8s:x#y"}])
    assert list(_sarif_validator().iter_errors(doc)) == []  # type: ignore[attr-defined]
    (sarif_run,) = doc["runs"]
    assert sarif_run["results"] == []
    (invocation,) = sarif_run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == \
        ["k8s.pss-privileged on k8s:a.yaml#ns/Pod/web: annotation has no reason"]


def _sarif_locations(p: pytest.Pytester, *args: str) -> list[tuple[str, str]]:
    run(p, *args, "--ctrsec-sarif=" + str(p.path / "r.sarif"))
    doc = json.loads(p.path.joinpath("r.sarif").read_text())
    return [(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             res["partialFingerprints"]["ctrsecFinding/v1"]) for res in doc["runs"][0]["results"]]


def test_sarif_uris_are_relative_to_the_repository_root(project: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Code scanning resolves a URI from the repository root: the same file gives the same
    URI and fingerprint from the root, from a subfolder and as an absolute path."""
    project.makeini("[pytest]\n")
    project.path.joinpath(".git").mkdir()
    sub = project.mkdir("deploy")
    sub.joinpath("a.yaml").write_text("bad\n")
    from_root = _sarif_locations(project, "--ctrsec-compose=deploy/a.yaml")
    absolute = _sarif_locations(project, f"--ctrsec-compose={sub / 'a.yaml'}")
    monkeypatch.chdir(sub)
    from_sub = _sarif_locations(project, "--ctrsec-compose=a.yaml")
    assert from_root == absolute == from_sub
    assert [uri for uri, _ in from_root] == ["deploy/a.yaml"]


def test_sarif_fingerprint_ignores_line_numbers() -> None:
    """An alert keeps its fingerprint when the file around it moves."""
    from pytest_ctrsec.report.sarif import document

    def fingerprint(line: int) -> str:
        row = {"check": "image.no-empty-passwords", "title": "t", "severity": "high",
               "refs": [], "target": "dockerfile:Dockerfile", "target_kind": "dockerfile",
               "outcome": "failed", "nodeid": "", "waiver": None,
               "findings": [{"message": f"account x has an empty password (/etc/shadow line "
                                        f"{line})", "location": {"path": "Dockerfile",
                                                                  "line": line}}]}
        res = document([row])["runs"][0]["results"][0]
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == line
        return res["partialFingerprints"]["ctrsecFinding/v1"]

    assert fingerprint(3) == fingerprint(12)


def test_sarif_suppresses_every_waived_result() -> None:
    from pytest_ctrsec.report.sarif import document

    row = {"check": "image.no-known-vulnerabilities", "title": "t", "severity": "high",
           "refs": [], "target": "image:app:1", "target_kind": "image", "outcome": "waived",
           "findings": [{"message": "CVE-1 in libx", "location": None}], "nodeid": "",
           "waiver": None}
    (res,) = document([row])["runs"][0]["results"]
    assert res["suppressions"][0]["status"] == "accepted"


def test_sarif_fingerprints_are_unique_within_a_run() -> None:
    """One message on several lines must stay several alerts."""
    from pytest_ctrsec.report.sarif import document

    findings = [{"message": "RUN calls sudo", "location": {"path": "Dockerfile", "line": n}}
                for n in (3, 5)]
    row = {"check": "dockerfile.no-sudo", "title": "t", "severity": "high", "refs": [],
           "target": "dockerfile:Dockerfile", "target_kind": "dockerfile", "outcome": "failed",
           "findings": findings, "nodeid": "", "waiver": None}
    first, second = (r["partialFingerprints"]["ctrsecFinding/v1"]
                     for r in document([row])["runs"][0]["results"])
    assert second == first + ":2"


def test_xdist_writes_the_same_reports_as_a_serial_run(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    common = ["--ctrsec-compose=a.yaml", "--ctrsec-compose=b.yaml", "-p", "no:benchmark"]
    run(project, *common, "--ctrsec-json=serial.json", "--ctrsec-sarif=serial.sarif")
    parallel = run(project, *common, "-n", "2", "--ctrsec-json=par.json",
                   "--ctrsec-sarif=par.sarif")
    assert "2 workers" in parallel.stdout.str()
    read = lambda name: json.loads(project.path.joinpath(name).read_text())  # noqa: E731
    assert read("par.json") == read("serial.json")
    assert read("par.sarif") == read("serial.sarif")
    assert len(read("par.json")["results"]) == 5


def test_load_factories_take_one_path_or_several(pytester: pytest.Pytester) -> None:
    """``ctrsec_load_compose("compose.yaml")`` read the letters of the name as files."""
    pytester.path.joinpath("compose.yaml").write_text("services:\n  web:\n    image: a:1\n")
    pytester.path.joinpath("pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: c, image: a:1}\n")
    pytester.makepyfile(test_own='''
        from pathlib import Path

        def test_one(ctrsec_load_compose, ctrsec_load_k8s):
            assert [s.name for s in ctrsec_load_compose("compose.yaml").services] == ["web"]
            assert [s.name for s in ctrsec_load_compose(Path("compose.yaml")).services] == \\
                ["web"]
            assert [s.name for s in ctrsec_load_compose(["compose.yaml"]).services] == ["web"]
            assert len(list(ctrsec_load_k8s("pod.yaml").workloads())) == 1
    ''')
    run(pytester).assert_outcomes(passed=1)


def test_ci_examples_use_real_options() -> None:
    """The CI examples only use options the plugin has, and their waiver file loads."""
    import re

    from pytest_ctrsec.options import flag, option_fields
    from pytest_ctrsec.waivers import load_file
    from shared import REPO_ROOT

    known = {flag(f.name) for f in option_fields()}
    ci = REPO_ROOT / "example_suites" / "ci"
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        used = set(re.findall(r"--ctrsec-[a-z-]+", (ci / name).read_text()))
        assert used and used <= known, f"{name}: unknown {used - known}"
    assert len(load_file(str(ci / "ctrsec-waivers.yaml"))) == 2
