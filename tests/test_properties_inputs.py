"""The other files a user hands in: waiver files, container-structure-test YAML and Trivy or
Grype reports. Random text and valid files with random parts replaced are read or rejected
with one line of the documented error type (``ConfigError`` for waivers and reports,
``InputError`` for structure tests); structure tests that load run against a real image
archive to a pass, an ``AssertionError`` or a skip, never another exception."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import hyp
import pytest
import yaml
from archive_maker import M, docker_archive, layer
from hypothesis import given
from hypothesis import strategies as st

from pytest_ctrsec.errors import CannotEvaluate, ConfigError, InputError
from pytest_ctrsec.image_api import ImageHandle
from pytest_ctrsec.structure_test import load_structure_tests
from pytest_ctrsec.targets.image import open_image
from pytest_ctrsec.vulns.reports import load as load_report
from pytest_ctrsec.waivers import load_file

REPORTS = Path(__file__).parent / "fixtures" / "scan-reports"
REPORT_SEEDS = [json.loads(f.read_text()) for f in sorted(REPORTS.glob("*.json"))]
WAIVER_SEED = {"waivers": [
    {"check": "compose.no-privileged", "target": "compose:*#admin", "reason": "by design",
     "expires": "2027-03-31", "run": False},
    {"check": "k8s.*", "reason": "legacy"}]}
STRUCTURE_SEED = {
    "schemaVersion": "2.0.0",
    "globalEnvVars": [{"key": "A", "value": "1"}],
    "fileExistenceTests": [{"name": "passwd", "path": "/etc/passwd", "shouldExist": True,
                            "permissions": "-rw-r--r--", "uid": 0, "gid": 0,
                            "isExecutableBy": "any"}],
    "fileContentTests": [{"name": "root", "path": "/etc/passwd",
                          "expectedContents": ["^root:"], "excludedContents": ["x{3}"]}],
    "commandTests": [{"name": "echo", "command": "echo", "args": ["hi"],
                      "expectedOutput": ["hi"], "exitCode": 0}],
    "metadataTest": {"envVars": [{"key": "PATH", "value": "/bin", "isRegex": True}],
                     "labels": [{"key": "a", "value": "b"}], "exposedPorts": ["80"],
                     "unexposedPorts": ["22"], "volumes": ["/data"], "entrypoint": ["/bin/sh"],
                     "cmd": [], "workdir": "/", "user": "root",
                     "unboundEnvVars": ["SECRET", {"key": "TOKEN"}]},
}


def _write(tmp: Path, name: str, text: str | bytes) -> str:
    path = tmp / name
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    return str(path)


def _one_line(err: Exception, path: str) -> None:
    assert path in str(err) and "\n" not in str(err), str(err)


# -- waivers -------------------------------------------------------------------------------

def _waivers(path: str) -> None:
    try:
        waivers = load_file(path)
    except ConfigError as err:
        _one_line(err, path)
        return
    for w in waivers:
        assert w.check and w.reason and isinstance(w.target, str)
        w.matches("compose.no-privileged", "compose:x#admin")
        w.expired()


@hyp.examples(60)
@given(text=hyp.yaml_noise)
def test_waiver_files_of_random_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    _waivers(_write(tmp_path_factory.mktemp("w"), "waivers.yaml", text))


@hyp.examples(100)
@given(data=st.data())
def test_waiver_files_with_random_parts(tmp_path_factory: pytest.TempPathFactory,
                                        data: st.DataObject) -> None:
    doc = hyp.mutate(data, copy.deepcopy(WAIVER_SEED))
    _waivers(_write(tmp_path_factory.mktemp("w"), "waivers.yaml", yaml.safe_dump(doc)))


# -- container-structure-test files --------------------------------------------------------

@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> ImageHandle:
    raw = docker_archive([layer([M("etc", "dir"), M("etc/passwd", data=b"root:x:0:0::/:/bin/sh\n"),
                                 M("bin", "dir"), M("bin/sh", data=b"\x7fELF", mode=0o755)])])
    path = tmp_path_factory.mktemp("img") / "image.tar"
    path.write_bytes(raw)
    return ImageHandle(open_image(f"docker-archive:{path}"))


def _structure(path: str, image: ImageHandle) -> None:
    try:
        tests = load_structure_tests(path)
    except InputError as err:
        _one_line(err, path)
        return
    for test in tests:
        try:
            test.run(image)
        except (AssertionError, CannotEvaluate):
            pass


@hyp.examples(60)
@given(text=hyp.yaml_noise)
def test_structure_tests_of_random_text(tmp_path_factory: pytest.TempPathFactory,
                                        image: ImageHandle, text: str) -> None:
    _structure(_write(tmp_path_factory.mktemp("s"), "cst.yaml", text), image)


@hyp.examples(150)
@given(data=st.data())
def test_structure_tests_with_random_parts(tmp_path_factory: pytest.TempPathFactory,
                                           image: ImageHandle, data: st.DataObject) -> None:
    doc = hyp.mutate(data, copy.deepcopy(STRUCTURE_SEED))
    _structure(_write(tmp_path_factory.mktemp("s"), "cst.yaml", yaml.safe_dump(doc)), image)


# -- Trivy and Grype reports ---------------------------------------------------------------

def _report(path: str) -> None:
    try:
        report = load_report(path)
    except ConfigError as err:
        _one_line(err, path)
        return
    for v in report.vulnerabilities:
        assert isinstance(v.id, str) and isinstance(v.package.name, str)
        v.to_json()
    report.describes("x", "sha256:1", ("t",), ("r@sha256:2",))


@given(doc=hyp.plain_data)
def test_reports_of_random_json(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    _report(_write(tmp_path_factory.mktemp("r"), "report.json", json.dumps(doc)))


@hyp.examples(120)
@given(data=st.data())
def test_reports_with_random_parts(tmp_path_factory: pytest.TempPathFactory,
                                   data: st.DataObject) -> None:
    doc = hyp.mutate(data, copy.deepcopy(data.draw(st.sampled_from(REPORT_SEEDS))), times=4)
    _report(_write(tmp_path_factory.mktemp("r"), "report.json", json.dumps(doc)))


def test_trivy_fix_lists_of_one_advisory_merge(tmp_path: Path) -> None:
    """Trivy writes several fixed versions as one "a, b" string; one advisory found in two
    lock files of one package merges without comparing that string as a version."""
    vuln = {"VulnerabilityID": "CVE-2099-1", "PkgName": "left-pad", "InstalledVersion": "1.0.0",
            "Severity": "HIGH"}
    doc = {"ArtifactName": "app", "Results": [
        {"Target": f"{d}/package-lock.json", "Type": "npm",
         "Vulnerabilities": [{**vuln, "FixedVersion": fix}]}
        for d, fix in (("a", "1.2.3, 2.0.0"), ("b", "1.2.4"))]}
    report = load_report(_write(tmp_path, "trivy.json", json.dumps(doc)))
    assert [(v.id, v.package.name) for v in report.vulnerabilities] == [("CVE-2099-1", "left-pad")]
