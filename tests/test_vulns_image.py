"""Acceptance on real images built by the engine: the planted dpkg database (binaries whose
source differs, an epoch on the binary only), Python and npm metadata, and a later layer that
deletes a vulnerable package, read through the streaming layer reader and matched against the
OSV fixtures zipped as osv.dev publishes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from image_helpers import save
from images import build_image
from inventory_helpers import EXPECTED_DEBIAN_APP, Link, debian_app_files, dist_info
from osv_fixtures import finding_rows, osv_dumps
from pytest_ctrsec.catalog import get
from pytest_ctrsec.checks.vulns import CHECK_ID
from pytest_ctrsec.inventory import packages_of
from pytest_ctrsec.sbom import write_sbom
from pytest_ctrsec.targets.image import open_image
from pytest_ctrsec.vulns import OsvSource, vulnerabilities_of
from pytest_ctrsec.vulns.database import OsvDatabase

TAG = "ctrsec-test/vulns-debian:1"
REMOVED = "usr/lib/python3/dist-packages/oldlib-0.1.dist-info/METADATA"


def _planted() -> dict[str, bytes]:
    files = {p: v for p, v in debian_app_files().items() if not isinstance(v, Link)}
    files[REMOVED] = dist_info("example-pkg", "0.1")  # vulnerable, deleted by a later layer
    return {p: v.encode() if isinstance(v, str) else v for p, v in files.items()}  # type: ignore[misc]


@pytest.fixture(scope="module")
def image_ref(docker_client: Any) -> str:
    build_image(docker_client, TAG, [
        'RUN ["/bin/busybox", "ln", "-s", "../usr/lib/os-release", "/etc/os-release"]',
        f'RUN ["/bin/busybox", "rm", "-r", "/{REMOVED.rsplit("/", 1)[0]}"]',
    ], files=_planted())
    return TAG


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> OsvSource:
    dumps = osv_dumps(tmp_path_factory.mktemp("osv"))
    return OsvSource(OsvDatabase.open(str(dumps), tmp_path_factory.mktemp("cache")), "fixtures")


def test_engine_image_gives_exactly_the_expected_findings(image_ref: str, source: OsvSource) -> None:
    image = open_image(image_ref)
    inv = packages_of(image)
    assert inv.os is not None and (inv.os.id, inv.os.version_id) == ("debian", "12")
    assert not [p for p in inv.packages if p.path.endswith("oldlib-0.1.dist-info/METADATA")]
    bsd = inv.find("bsdutils")[0]
    assert (bsd.version, bsd.source_name, bsd.source_version) == \
        ("1:2.38.1-5+deb12u3", "util-linux", "2.38.1-5+deb12u3")
    verdict = get(CHECK_ID).evaluate(image, {"source": source})
    assert verdict.outcome == "failed"
    assert finding_rows(verdict) == EXPECTED_DEBIAN_APP
    # Fixed below the installed version, fixed "0", withdrawn, other release, binary name:
    ids = {r[1] for r in finding_rows(verdict)}
    assert ids.isdisjoint({"DEBIAN-CVE-2099-1005", "DEBIAN-CVE-2099-1006", "DEBIAN-CVE-2099-1007",
                           "DEBIAN-CVE-2099-1009", "DEBIAN-CVE-2099-1011", "GHSA-2099-cccc-0003"})


def test_docker_archive_of_the_same_image_matches_the_same(image_ref: str, source: OsvSource,
                                                           docker_client: Any, tmp_path: Path) -> None:
    archive = save(docker_client, image_ref, tmp_path / "image.tar")
    image = open_image(f"docker-archive:{archive}")
    assert finding_rows(get(CHECK_ID).evaluate(image, {"source": source})) == EXPECTED_DEBIAN_APP
    found = vulnerabilities_of(image, source)
    assert {v.package.name for v in found} >= {"libc6", "libc-bin"}  # negligible, still listed


def test_sbom_of_the_engine_image(image_ref: str, tmp_path: Path) -> None:
    image = open_image(image_ref)
    path = write_sbom(image, tmp_path)
    doc = json.loads(path.read_text())
    names = {c["name"] for c in doc["components"] if c["type"] == "library"}
    assert {"bsdutils", "libssl3", "Requests", "lodash", "example_pkg"} <= names
    assert "libgone1" not in names
    assert len(names) == len(packages_of(image).packages)


ALPINE_TAG = "ctrsec-test/vulns-alpine:1"


@pytest.fixture(scope="module")
def alpine_ref(docker_client: Any) -> str:
    from inventory_helpers import ALPINE_INSTALLED

    build_image(docker_client, ALPINE_TAG, files={
        "lib/apk/db/installed": ALPINE_INSTALLED.encode(),
        "etc/alpine-release": b"3.19.1\n",
        "etc/os-release": b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'})
    return ALPINE_TAG


def test_engine_alpine_image_matches_by_origin(alpine_ref: str, source: OsvSource) -> None:
    verdict = get(CHECK_ID).evaluate(open_image(alpine_ref), {"source": source})
    assert finding_rows(verdict) == {
        ("busybox", "ALPINE-CVE-2099-4001", "high", "1.36.1-r16"),
        ("ssl_client", "ALPINE-CVE-2099-4001", "high", "1.36.1-r16"),
        ("libexample", "ALPINE-CVE-2099-4002", "high", "2.1_git20240101-r0")}


@pytest.mark.parametrize("report", ["trivy-alpine.json", "grype-alpine.json"])
def test_scan_reports_attach_to_the_real_image_by_id(alpine_ref: str, report: str,
                                                     tmp_path: Path) -> None:
    """The fixture reports carry a placeholder image id and another tag: written with the
    real image's id, they apply to it; as they are, they do not."""
    from pytest_ctrsec.vulns import ReportSource
    from pytest_ctrsec.vulns.reports import load

    image = open_image(alpine_ref)
    text = (Path(__file__).parent / "fixtures" / "scan-reports" / report).read_text()
    text = text.replace(ALPINE_TAG, "registry.example/other:2")
    stale = tmp_path / "stale.json"
    stale.write_text(text)
    assert get(CHECK_ID).evaluate(image, {"source": ReportSource([load(str(stale))])}).outcome \
        == "skipped"
    real = tmp_path / "real.json"
    real.write_text(text.replace("sha256:" + "5" * 64, image.digest))
    verdict = get(CHECK_ID).evaluate(image, {"source": ReportSource([load(str(real))])})
    assert {(r[0], r[1]) for r in finding_rows(verdict)} >= {
        ("busybox", "CVE-2099-4001"), ("ssl_client", "CVE-2099-4001")}
