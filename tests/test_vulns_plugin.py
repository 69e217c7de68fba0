"""image.no-known-vulnerabilities through the plugin: --ctrsec-vulndb, accepting one advisory
in the waiver file, --ctrsec-sbom, and ctrsec_image.packages / .vulnerabilities."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from osv_fixtures import osv_dumps
from test_vulns_image import TAG, image_ref  # noqa: F401  (the engine-built Debian image)

CHECK = "image.no-known-vulnerabilities"


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return osv_dumps(tmp_path_factory.mktemp("osv"))


def _run(p: pytest.Pytester, *args: str) -> pytest.RunResult:
    return p.runpytest_subprocess("-p", "no:cacheprovider", f"--ctrsec-image={TAG}",
                                  f"--ctrsec-select={CHECK}", "--ctrsec-json=r.json", *args)


def _row(p: pytest.Pytester) -> dict[str, Any]:
    rows = json.loads(p.path.joinpath("r.json").read_text())["results"]
    return next(r for r in rows if r["check"] == CHECK)


def test_findings_from_the_offline_database(pytester: pytest.Pytester, image_ref: str,  # noqa: F811
                                            dumps: Path) -> None:
    result = _run(pytester, f"--ctrsec-vulndb={dumps}",
                  f"--ctrsec-vulndb-cache={pytester.path / 'cache'}")
    assert result.ret == 1
    row = _row(pytester)
    assert row["outcome"] == "failed"
    messages = " ".join(f["message"] for f in row["findings"])
    assert "DEBIAN-CVE-2099-1005" not in messages  # fixed below the installed version
    first = row["findings"][0]["message"]
    waiver = pytester.path / "w.yaml"
    ids = sorted({w for f in row["findings"] for w in f["message"].split()
                  if w.startswith(("DEBIAN-CVE-", "CVE-", "GHSA-"))})
    assert ids, first
    waiver.write_text("".join(
        f"- check: {CHECK}/{i}\n  reason: accepted in the test\n" for i in ids))
    accepted = _run(pytester, f"--ctrsec-vulndb={dumps}", f"--ctrsec-waivers={waiver}",
                    f"--ctrsec-vulndb-cache={pytester.path / 'cache'}")
    row = _row(pytester)
    # every advisory accepted: the result is waived, its advisories still listed
    assert accepted.ret == 0 and row["outcome"] == "waived", accepted.stdout.str()[-2000:]
    assert row["waiver"]["reason"] == "accepted in the test"
    assert all(f["accepted"]["source"].startswith(str(waiver)) for f in row["findings"])
    assert "matched no failure" not in accepted.stdout.str()
    # one advisory left open fails at its own severity; a waiver for no advisory is listed
    waiver.write_text("".join(f"- check: {CHECK}/{i}\n  reason: accepted in the test\n"
                              for i in ids[1:]) +
                      f"- check: {CHECK}/CVE-1999-0001\n  reason: nowhere\n")
    partly = _run(pytester, f"--ctrsec-vulndb={dumps}", f"--ctrsec-waivers={waiver}",
                  f"--ctrsec-vulndb-cache={pytester.path / 'cache'}")
    row = _row(pytester)
    assert partly.ret == 1 and row["outcome"] == "failed"
    still = [f for f in row["findings"] if not f.get("accepted")]
    assert still and all(ids[0] in f["message"] for f in still)
    out = partly.stdout.str()
    assert "matched no failure (1)" in out and "CVE-1999-0001" in out


def test_without_a_database_the_check_says_why(pytester: pytest.Pytester,
                                               image_ref: str) -> None:  # noqa: F811
    result = _run(pytester, "-rs")
    assert _row(pytester)["outcome"] == "skipped"
    assert "--ctrsec-vulndb" in result.stdout.str()


def test_sbom_and_user_fixtures(pytester: pytest.Pytester, image_ref: str,  # noqa: F811
                                dumps: Path) -> None:
    pytester.makepyfile(test_mine=textwrap.dedent('''
        def test_inventory(ctrsec_image):
            names = {p.name for p in ctrsec_image.packages.packages}
            assert "bsdutils" in names

        def test_vulnerabilities(ctrsec_image):
            assert ctrsec_image.vulnerabilities
    '''))
    result = _run(pytester, f"--ctrsec-vulndb={dumps}", "--ctrsec-sbom=sboms",
                  f"--ctrsec-vulndb-cache={pytester.path / 'cache'}", "-v")
    assert "test_mine.py::test_inventory PASSED" in result.stdout.str()
    assert "test_mine.py::test_vulnerabilities PASSED" in result.stdout.str()
    (sbom,) = list(pytester.path.joinpath("sboms").glob("*.json"))
    doc = json.loads(sbom.read_text())
    assert doc["bomFormat"] == "CycloneDX"
    assert any(c["name"] == "bsdutils" for c in doc["components"])
