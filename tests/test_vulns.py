"""Offline vulnerability matching: OSV range evaluation, the indexed database and its cache,
source-package matching, severity, Trivy/Grype imports and the image.no-known-vulnerabilities
rule with its options and accepted advisories."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from inventory_helpers import (ALPINE_INSTALLED, EXPECTED_DEBIAN_APP, debian_app_files, fs_from,
                               image_from)
from osv_fixtures import OSV_DIR, finding_rows, osv_dumps
from pytest_ctrsec.catalog import Verdict, get
from pytest_ctrsec.checks import vulns as vuln_check  # registers the check
from pytest_ctrsec.errors import ConfigError
from pytest_ctrsec.inventory import inventory
from pytest_ctrsec.versions import comparator
from pytest_ctrsec.vulns import OsvSource, ReportSource, ScanResult, source_for
from pytest_ctrsec.vulns.database import OsvDatabase
from pytest_ctrsec.vulns.matcher import match
from pytest_ctrsec.vulns.osv import evaluate
from pytest_ctrsec.vulns.reports import load as load_report
from pytest_ctrsec.vulns.severity import from_cvss, of_record
from pytest_ctrsec.waivers import Waiver

REPORTS = Path(__file__).parent / "fixtures" / "scan-reports"
I0 = {"introduced": "0"}


def _entry(*events: dict[str, str], kind: str = "ECOSYSTEM", versions: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"ranges": [{"type": kind, "events": list(events)}], "versions": list(versions)}


@pytest.mark.parametrize(("entry", "version", "eco", "affected", "fixed"), [
    (_entry(I0, {"fixed": "2.38.1-5+deb12u4"}), "2.38.1-5+deb12u3", "Debian:12", True, "2.38.1-5+deb12u4"),
    (_entry(I0, {"fixed": "2.38.1-5+deb12u4"}), "2.38.1-5+deb12u4", "Debian:12", False, ""),
    (_entry(I0, {"fixed": "2.38.1-5+deb12u4"}), "1:2.38.1-5+deb12u3", "Debian:12", False, ""),
    (_entry(I0, {"fixed": "0"}), "1.3.1-r0", "Alpine:v3.19", False, ""),
    (_entry(I0), "1.3.1-r0", "Alpine:v3.19", True, ""),
    (_entry(I0, {"fixed": "2.1_git20240101-r0"}), "2.1-r0", "Alpine:v3.19", True, "2.1_git20240101-r0"),
    (_entry({"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.3"}), "1.7", "PyPI", False, ""),
    (_entry({"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.3"}), "2.1", "PyPI", True, "2.3"),
    (_entry({"fixed": "2.3"}, {"introduced": "2.0"}, {"fixed": "1.5"}, {"introduced": "1.0"}), "1.2", "PyPI", True, "1.5"),
    (_entry(I0, {"last_affected": "1.4.2"}), "1.4.2", "PyPI", True, ""),
    (_entry(I0, {"last_affected": "1.4.2"}), "1.5.0", "PyPI", False, ""),
    (_entry(I0, {"limit": "2.0"}), "2.1", "PyPI", False, ""),
    (_entry(I0, {"limit": "2.0"}), "1.9", "PyPI", True, ""),
    (_entry(I0, {"fixed": "4.17.21"}, kind="SEMVER"), "4.17.21-beta.1", "npm", True, "4.17.21"),
    # a SEMVER range on a PyPI package: "4.2" is 4.2.0 to PEP 440 (it was an error)
    (_entry({"introduced": "4.2.0"}, {"fixed": "4.2.1"}, kind="SEMVER"), "4.2", "PyPI", True, "4.2.1"),
    (_entry({"introduced": "4.2.0"}, {"fixed": "4.2.1"}, kind="SEMVER"), "4.2.1.post1", "PyPI", False, ""),
    (_entry({"introduced": "a1b2c3"}, kind="GIT"), "1.0", "PyPI", False, ""),
    (_entry(versions=("2.3.0", "2.31.0")), "2.31.0", "PyPI", True, ""),
    (_entry(versions=("2.3.0", "2.31.0")), "2.31.0.0", "PyPI", True, ""),
    (_entry(versions=("2.3.0",)), "2.31.0", "PyPI", False, ""),
])
def test_osv_range_evaluation(entry: dict[str, Any], version: str, eco: str, affected: bool,
                              fixed: str) -> None:
    cmp = comparator(eco)
    assert cmp is not None
    verdict = evaluate(entry, version, cmp)
    assert (verdict.affected, verdict.fixed) == (affected, fixed)


def test_a_version_the_comparator_rejects_is_an_error_not_a_pass() -> None:
    cmp = comparator("Alpine:v3.19")
    assert cmp is not None
    verdict = evaluate(_entry(I0, {"fixed": "1.x_bad"}), "1.3.1-r0", cmp)
    assert not verdict.affected and "1.x_bad" in verdict.error


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return osv_dumps(tmp_path_factory.mktemp("osv"))


@pytest.fixture(scope="module")
def db(dumps: Path, tmp_path_factory: pytest.TempPathFactory) -> OsvDatabase:
    return OsvDatabase.open(str(dumps), tmp_path_factory.mktemp("cache"))


def _found(result: ScanResult, unknown: str = "high") -> set[tuple[str, str, str, str | None]]:
    return {(v.package.name, v.id, unknown if v.severity == "unknown" else v.severity,
             v.fixed_version or None) for v in result.vulnerabilities}


def test_debian_python_npm_matching_is_exact(db: OsvDatabase) -> None:
    result = match(inventory(fs_from(debian_app_files())), db)
    negligible = {("libc6", "DEBIAN-CVE-2099-1002", "negligible", None),
                  ("libc-bin", "DEBIAN-CVE-2099-1002", "negligible", None)}
    assert _found(result) == EXPECTED_DEBIAN_APP | negligible
    assert result.unscanned == ()


def test_records_naming_each_other_become_one_finding(db: OsvDatabase) -> None:
    result = match(inventory(fs_from(debian_app_files())), db)
    bash = [v for v in result.vulnerabilities if v.package.name == "bash"]
    assert len(bash) == 1
    assert bash[0].aliases == ("CVE-2099-1004", "DSA-9991-1")
    assert (bash[0].compared_name, bash[0].compared_version) == ("bash", "5.2.15-2")
    bsd = next(v for v in result.vulnerabilities if v.package.name == "bsdutils")
    assert (bsd.compared_name, bsd.compared_version) == ("util-linux", "2.38.1-5+deb12u3")


def test_alpine_matching_uses_the_origin(db: OsvDatabase) -> None:
    fs = fs_from({"lib/apk/db/installed": ALPINE_INSTALLED,
                  "etc/os-release": 'ID=alpine\nVERSION_ID=3.19.1\n'})
    assert _found(match(inventory(fs), db)) == {
        ("busybox", "ALPINE-CVE-2099-4001", "high", "1.36.1-r16"),
        ("ssl_client", "ALPINE-CVE-2099-4001", "high", "1.36.1-r16"),
        ("libexample", "ALPINE-CVE-2099-4002", "high", "2.1_git20240101-r0"),
    }


def test_other_releases_are_not_applied(db: OsvDatabase) -> None:
    fs = fs_from({"lib/apk/db/installed": ALPINE_INSTALLED,
                  "etc/os-release": 'ID=alpine\nVERSION_ID=3.18.6\n'})
    result = match(inventory(fs), db)
    # 3.18's fix (r7) is below the installed r15; 3.19's fix (r16) is not for 3.18.
    assert result.vulnerabilities == () and result.unscanned == ()


def test_an_ecosystem_missing_from_the_database_is_reported(dumps: Path, tmp_path: Path) -> None:
    only_pypi = OsvDatabase.open(str(dumps / "PyPI"), tmp_path)
    result = match(inventory(fs_from(debian_app_files())), only_pypi)
    assert {v.package.name for v in result.vulnerabilities} == {"Requests", "example_pkg"}
    assert any("no Debian:12 records: 13 packages (base-files, bash," in u for u in result.unscanned)
    assert any("no npm records" in u for u in result.unscanned)


def test_the_index_is_built_once_and_keyed_by_content(dumps: Path, tmp_path: Path) -> None:
    first = OsvDatabase.open(str(dumps), tmp_path)
    assert len(first.report.built) == 4 and first.report.reused == ()
    assert dict(first.report.built)[str(dumps / "Debian:12" / "all.zip")] == 11
    again = OsvDatabase.open(str(dumps), tmp_path)
    assert again.report.built == () and len(again.report.reused) == 4
    moved = tmp_path / "elsewhere"
    shutil.copytree(dumps / "npm", moved / "npm")
    assert OsvDatabase.open(str(moved), tmp_path).report.built == ()  # same content, same index
    with zipfile.ZipFile(moved / "npm" / "all.zip", "a") as zf:
        zf.writestr("GHSA-2099-eeee-0005.json", json.dumps(
            {"id": "GHSA-2099-eeee-0005", "modified": "2099-03-01T00:00:00Z", "affected": []}))
    changed = OsvDatabase.open(str(moved), tmp_path)
    assert [n for _, n in changed.report.built] == [2]


def test_loose_json_records_and_newest_copy_wins(tmp_path: Path) -> None:
    base = json.loads((OSV_DIR / "debian-12" / "DEBIAN-CVE-2099-1001.json").read_text())
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "old.json").write_text(json.dumps(base))
    newer = {**base, "modified": "2099-06-01T00:00:00Z",
             "affected": [{**base["affected"][0], "ranges": [{"type": "ECOSYSTEM", "events": [
                 I0, {"fixed": "3.0.17-1~deb12u2"}]}]}]}
    with zipfile.ZipFile(tmp_path / "Debian.zip", "w") as zf:
        zf.writestr("DEBIAN-CVE-2099-1001.json", json.dumps(newer))
    db = OsvDatabase.open(str(tmp_path), tmp_path / "cache")
    hits = db.query("Debian:12", "openssl")
    assert [h.ranges for h in hits] == [
        (("ECOSYSTEM", (("introduced", "0"), ("fixed", "3.0.17-1~deb12u2"))),)]
    result = match(inventory(fs_from(debian_app_files())), db)
    assert not any(v.package.name == "openssl" for v in result.vulnerabilities)


def test_a_withdrawn_newest_copy_hides_the_older_one(tmp_path: Path) -> None:
    base = json.loads((OSV_DIR / "pypi" / "GHSA-2099-bbbb-0002.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps(base))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text(json.dumps(
        {**base, "modified": "2099-09-01T00:00:00Z", "withdrawn": "2099-09-01T00:00:00Z"}))
    db = OsvDatabase.open(str(tmp_path), tmp_path / "cache")
    assert db.query("PyPI", "example-pkg") == []


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing", "no such file or directory"),
    (lambda p: (p / "x.txt").write_text("x") and p / "x.txt", "expected a directory, a .zip or a .json"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no OSV dumps"),
    (lambda p: (p / "bad.json").write_text("{nope") and p / "bad.json", "not JSON"),
    (lambda p: (p / "noid.json").write_text('{"affected": []}') and p / "noid.json", "not an OSV record"),
    (lambda p: (p / "bad.zip").write_bytes(b"PK not really") and p / "bad.zip", "not a readable zip"),
])
def test_bad_databases_are_one_line_errors(tmp_path: Path, make: Any, message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ConfigError, match=message) as err:
        OsvDatabase.open(str(path), tmp_path / "cache")
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_severity_sources() -> None:
    v3 = from_cvss("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert v3 is not None and (v3.level, v3.score) == ("critical", 9.8)
    v4 = from_cvss("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    assert v4 is not None and v4.level == "critical"
    assert from_cvss("CVSS_V3", "CVSS:3.1/garbage") is None
    debian = of_record({}, {"ecosystem_specific": {"urgency": "unimportant"}})
    assert (debian.level, debian.source) == ("negligible", "Debian urgency unimportant")
    both = of_record({"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}]},
                     {"ecosystem_specific": {"urgency": "high"}})
    assert both.level == "low"  # the vector wins over the urgency
    assert of_record({"database_specific": {"severity": "MODERATE"}}, {}).level == "medium"
    assert of_record({}, {"ecosystem_specific": {"urgency": "not yet assigned"}}).level == "unknown"


# -- imported reports -------------------------------------------------------------------------

def _alpine_image(ref: str = "ctrsec-test/vulns-alpine:1", digest: str = "sha256:" + "5" * 64,
                  tags: tuple[str, ...] = ()) -> Any:
    return image_from(fs_from({}), ref, digest, tags)


@pytest.mark.parametrize("name", ["trivy-alpine.json", "grype-alpine.json"])
def test_scan_reports_import(name: str) -> None:
    report = load_report(str(REPORTS / name))
    rows = {(v.package.name, v.id, v.severity, v.fix_state, v.fixed_version or None)
            for v in report.vulnerabilities}
    assert ("busybox", "CVE-2099-4001", "high", "fixed", "1.36.1-r16") in rows
    assert ("ssl_client", "CVE-2099-4001", "high", "fixed", "1.36.1-r16") in rows
    requests = [v for v in report.vulnerabilities if v.package.name == "requests"]
    assert len(requests) == 1 and set(requests[0].ids) == {"CVE-2099-2001", "GHSA-2099-aaaa-0001"}
    assert requests[0].package.type == "pypi"
    zlib = {v.id: (v.severity, v.fix_state) for v in report.vulnerabilities if v.package.name == "zlib"}
    assert zlib["CVE-2099-4005"][1] == "not-fixed"


def test_trivy_states_and_grype_negligible() -> None:
    trivy = load_report(str(REPORTS / "trivy-alpine.json"))
    assert {v.id: v.fix_state for v in trivy.vulnerabilities if v.package.name == "zlib"} == \
        {"CVE-2099-4005": "not-fixed", "CVE-2099-4006": "wont-fix"}
    grype = load_report(str(REPORTS / "grype-alpine.json"))
    assert {v.id: v.severity for v in grype.vulnerabilities if v.package.name == "zlib"} == \
        {"CVE-2099-4005": "negligible"}
    ssl = next(v for v in grype.vulnerabilities if v.package.name == "ssl_client")
    assert ssl.compared_name == "busybox"


@pytest.mark.parametrize(("image", "describes"), [
    (_alpine_image(), True),
    (_alpine_image(ref="other:1"), True),  # same image id
    (_alpine_image(ref="other:1", digest="sha256:" + "9" * 64, tags=("ctrsec-test/vulns-alpine:1",)), True),
    (_alpine_image(ref="other:1", digest="sha256:" + "9" * 64), False),
])
def test_reports_apply_only_to_the_image_they_name(image: Any, describes: bool) -> None:
    source = ReportSource([load_report(str(REPORTS / "trivy-alpine.json"))])
    result = source.scan(image)
    assert bool(result.vulnerabilities) == describes
    assert bool(result.unscanned) != describes


@pytest.mark.parametrize(("content", "message"), [
    ("{nope", "not JSON"), ('{"foo": 1}', "neither a Trivy"), ])
def test_bad_reports_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_report(str(path))


# -- the check ---------------------------------------------------------------------------------

CHECK = vuln_check.CHECK_ID


def _run(source: Any, image: Any = None, **options: Any) -> Verdict:
    image = image if image is not None else image_from(fs_from(debian_app_files()), "app:1")
    return get(CHECK).evaluate(image, {"source": source, **options})


@pytest.fixture(scope="module")
def osv_source(db: OsvDatabase) -> OsvSource:
    return OsvSource(db, "fixtures")


def test_check_defaults_give_exactly_the_expected_findings(osv_source: OsvSource) -> None:
    verdict = _run(osv_source)
    assert verdict.outcome == "failed"
    assert finding_rows(verdict) == EXPECTED_DEBIAN_APP
    sev = {f.extra["vulnerability"]["package"]: f.severity  # type: ignore[index]
           for f in verdict.findings}
    assert sev["openssl"] == "high" and sev["bsdutils"] == "low" and sev["libhalf1"] == "high"
    bsd = next(f.message for f in verdict.findings if f.message.startswith("bsdutils"))
    assert bsd == ("bsdutils 1:2.38.1-5+deb12u3 (source util-linux 2.38.1-5+deb12u3): "
                   "DEBIAN-CVE-2099-1003 (CVE-2099-1003), low, fixed in 2.38.1-5+deb12u4")
    # a PyPI name is compared normalised (requests), but it has no source package to name
    requests = next(f.message for f in verdict.findings if f.message.startswith("Requests"))
    assert requests.startswith("Requests 2.31.0: ")


def test_check_threshold_only_fixed_and_unknown(osv_source: OsvSource) -> None:
    high = finding_rows(_run(osv_source, min_severity="high"))
    assert {r[0] for r in high} == {"openssl", "libssl3", "libhalf1", "example_pkg", "lodash"}
    fixed = finding_rows(_run(osv_source, only_fixed=True))
    assert fixed == {r for r in EXPECTED_DEBIAN_APP if r[3] is not None}
    low_unknown = finding_rows(_run(osv_source, min_severity="medium", unknown_severity="low"))
    assert {r[0] for r in low_unknown} == {"openssl", "libssl3", "bash", "Requests", "lodash"}
    everything = finding_rows(_run(osv_source, min_severity="negligible"))
    assert {("libc6", "DEBIAN-CVE-2099-1002", "negligible", None)} < everything
    try:  # a bad option is one line, as an error result (or raised, by older runners)
        bad = _run(osv_source, min_severity="severe")
        message = bad.reason if bad.outcome == "error" else ""
    except ConfigError as err:
        message = str(err)
    assert message.startswith(f"{CHECK}: severity threshold 'severe' is not one of")


def test_accepted_advisories(osv_source: OsvSource) -> None:
    live = Waiver(f"{CHECK}/CVE-2099-1001", "not reachable", "image:app:*",
                  dt.date.today() + dt.timedelta(days=30), source="waivers.yaml:3")
    expired = Waiver(f"{CHECK}/GHSA-2099-dddd-*", "old acceptance", "image:*",
                     dt.date(2020, 1, 1), source="waivers.yaml:9")
    elsewhere = Waiver(f"{CHECK}/DEBIAN-CVE-2099-1003", "other image", "image:other:*",
                       source="waivers.yaml:15")
    verdict = _run(osv_source, accepted=(live, expired, elsewhere))
    open_ = {f.extra["vulnerability"]["package"] for f in verdict.findings if not f.accepted}
    accepted = [f for f in verdict.findings if f.accepted]
    assert "openssl" not in open_ and "libssl3" not in open_ and "bsdutils" in open_
    # accepted advisories stay visible, marked, as info findings naming their waiver
    assert {f.extra["vulnerability"]["package"] for f in accepted} >= {"openssl"}
    assert all(f.severity == "info" and f.accepted["source"] == "waivers.yaml:3"
               and f.message.endswith("accepted: not reachable (waivers.yaml:3)")
               for f in accepted)
    lodash = next(f for f in verdict.findings if f.message.startswith("lodash"))
    assert lodash.message.endswith("its acceptance expired on 2020-01-01 (waivers.yaml:9)")
    assert lodash.accepted is None and lodash.extra["accepted"]["expired"] is True
    whole = Waiver(f"{CHECK}/*", "accept everything", "image:app:1")
    assert all(f.accepted for f in _run(osv_source, accepted=(whole,)).findings)


def test_check_without_data_or_coverage_skips(dumps: Path, tmp_path: Path) -> None:
    assert _run(None).outcome == "skipped"
    scratch = image_from(fs_from({"bin/app": b"\x7fELF"}), "scratch-app:1")
    verdict = _run(OsvSource(OsvDatabase.open(str(dumps), tmp_path), "x"), scratch)
    assert verdict.outcome == "skipped" and "no package database" in verdict.reason
    pypi_only = OsvSource(OsvDatabase.open(str(dumps / "PyPI"), tmp_path), "x")
    clean = image_from(fs_from({"var/lib/dpkg/status": debian_app_files()["var/lib/dpkg/status"],
                                "etc/os-release": "ID=debian\nVERSION_ID=12\n"}), "debian:x")
    skipped = _run(pypi_only, clean)
    assert skipped.outcome == "skipped" and "no Debian:12 records" in skipped.reason
    partial = _run(pypi_only)
    assert partial.outcome == "failed"
    assert partial.findings[-1].severity == "info" and "not checked" in partial.findings[-1].message


def test_check_from_a_scan_report() -> None:
    source = source_for(reports=(str(REPORTS / "grype-alpine.json"),))
    verdict = _run(source, _alpine_image())
    assert {(r[0], r[1], r[2]) for r in finding_rows(verdict)} == {
        ("busybox", "CVE-2099-4001", "high"), ("ssl_client", "CVE-2099-4001", "high"),
        ("requests", "GHSA-2099-aaaa-0001", "medium")}
    assert _run(source, _alpine_image(ref="x:1", digest="sha256:" + "9" * 64)).outcome == "skipped"


def test_runtime_options_open_the_source_once_and_pick_advisory_waivers(dumps: Path,
                                                                      tmp_path: Path) -> None:
    class Opts:
        vulndb, vulndb_cache, scan_report = str(dumps), str(tmp_path), ()

    waivers = [Waiver(f"{CHECK}/CVE-2099-1001", "r"), Waiver(CHECK, "whole check"),
               Waiver("image.no-sudo", "r")]
    first = vuln_check.runtime_options(Opts(), waivers)
    assert first["accepted"] == (waivers[0],)
    assert isinstance(first["source"], OsvSource)
    assert vuln_check.runtime_options(Opts(), waivers)["source"] is first["source"]

    class NoData:
        vulndb, vulndb_cache, scan_report = None, None, ()

    assert vuln_check.runtime_options(NoData())["source"] is None


def test_a_record_version_the_comparator_rejects_is_reported(tmp_path: Path) -> None:
    bad = {"id": "ALPINE-CVE-2099-4999", "modified": "2099-01-02T00:00:00Z",
           "affected": [{"package": {"ecosystem": "Alpine:v3.19", "name": "busybox"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [
                             {"introduced": "0"}, {"fixed": "1.x_bad"}]}]}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    db = OsvDatabase.open(str(tmp_path / "bad.json"), tmp_path / "cache")
    fs = fs_from({"lib/apk/db/installed": ALPINE_INSTALLED,
                  "etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n"})
    result = match(inventory(fs), db)
    assert result.vulnerabilities == ()
    assert any(u.startswith("ALPINE-CVE-2099-4999: '1.x_bad' is not an apk version; not applied "
                            "to busybox 1.36.1-r15") for u in result.unscanned)


def test_check_passes_an_image_whose_advisories_are_all_fixed_or_void(osv_source: OsvSource) -> None:
    """gzip is fixed below its version, zlib's record says fixed 0, tzdata's is withdrawn,
    base-files' is for another release, and bsdutils is only named by binary."""
    from inventory_helpers import BOOKWORM_OS_RELEASE, stanza

    status = "\n".join([stanza("gzip", "1.12-1"), stanza("zlib1g", "1:1.2.13.dfsg-1", source="zlib"),
                        stanza("tzdata", "2025b-0+deb12u1", arch="all"), stanza("base-files", "12.4"),
                        stanza("bsdutils", "1:2.38.1-5+deb12u4", source="util-linux")])
    image = image_from(fs_from({"var/lib/dpkg/status": status, "etc/os-release": BOOKWORM_OS_RELEASE}),
                       "clean:1")
    verdict = _run(osv_source, image, min_severity="negligible")
    assert (verdict.outcome, verdict.findings) == ("passed", ())


@pytest.mark.parametrize(("os_release", "ecosystem"), [
    ({"id": "debian", "version_id": "12"}, "Debian:12"),
    ({"id": "debian", "codename": "sid"}, "Debian:sid"),
    ({"id": "ubuntu", "version_id": "22.04", "version": "22.04.4 LTS (Jammy Jellyfish)"},
     "Ubuntu:22.04:LTS"),
    ({"id": "ubuntu", "version_id": "23.10", "version": "23.10 (Mantic Minotaur)"}, "Ubuntu:23.10"),
    ({"id": "alpine", "version_id": "3.19.1"}, "Alpine:v3.19"),
    ({"id": "rocky", "version_id": "9.3"}, "Rocky Linux:9"),
    ({"id": "almalinux", "version_id": "8.9"}, "AlmaLinux:8"),
    ({"id": "wolfi", "version_id": "20230201"}, "Wolfi"),
    ({"id": "rhel", "version_id": "9.3"}, None),
    ({"id": "alpine", "version_id": "edge"}, None),
])
def test_os_ecosystems(os_release: dict[str, Any], ecosystem: str | None) -> None:
    from pytest_ctrsec.inventory import OsInfo
    from pytest_ctrsec.vulns.ecosystems import os_ecosystem

    assert os_ecosystem(OsInfo(**os_release)) == ecosystem


def test_rpm_matching_uses_the_source_rpm_with_the_binary_epoch(tmp_path: Path) -> None:
    from pytest_ctrsec.inventory import Inventory, OsInfo, Package

    record = {"id": "RLSA-2099:0001", "modified": "2099-01-02T00:00:00Z", "aliases": ["CVE-2099-5001"],
              "affected": [{"package": {"ecosystem": "Rocky Linux:9", "name": "util-demo"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [
                                {"introduced": "0"}, {"fixed": "1:2.38.1-6.el9"}]}]}]}
    (tmp_path / "r.json").write_text(json.dumps(record))
    db = OsvDatabase.open(str(tmp_path / "r.json"), tmp_path / "cache")
    packages = (Package("rpm", "bsd-demo", "1:2.38.1-5.el9", "util-demo", "1:2.38.1-5.el9", "x86_64"),
                Package("rpm", "util-demo", "1:2.38.1-6.el9", "util-demo", "1:2.38.1-6.el9", "x86_64"))
    result = match(Inventory(OsInfo("rocky", "9.3"), packages), db)
    assert [(v.package.name, v.fixed_version) for v in result.vulnerabilities] == \
        [("bsd-demo", "1:2.38.1-6.el9")]
    other = match(Inventory(OsInfo("rhel", "9.3"), packages), db)
    assert other.vulnerabilities == ()
    assert other.unscanned == ("no OSV ecosystem for rpm packages of rhel 9.3: 2 packages "
                               "(bsd-demo, util-demo)",)
