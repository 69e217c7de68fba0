"""The check modules' declared target kinds against what they register: a run imports only
the modules of the kinds it has targets of, so a wrong declaration would drop checks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pytest_ctrsec import catalog


def test_each_module_declares_the_kinds_it_registers() -> None:
    registered: dict[int, set[str]] = {}
    for chk in catalog.registry().values():
        registered.setdefault(catalog.module_rank(chk), set()).add(chk.kind)
    for rank, (name, kinds) in enumerate(catalog._CHECK_MODULES):
        assert registered.get(rank, set()) == set(kinds), name
    assert len(catalog._CHECK_MODULES) not in registered  # no check outside the modules


def _in_fresh_process(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_registry_of_some_kinds_imports_only_their_modules() -> None:
    out = _in_fresh_process(
        "import sys\n"
        "from pytest_ctrsec.catalog import registry\n"
        "ids = registry({'compose'})\n"
        "print(sorted({c.kind for c in ids.values()}))\n"
        "print('pytest_ctrsec.checks.k8s' in sys.modules, 'pytest_ctrsec.checks.image' in sys.modules)\n"
        "print(len(ids) == len([i for i in registry() if i.startswith('compose.')]))\n")
    assert out.split("\n")[:3] == ["['compose']", "False False", "True"]


def test_the_catalogue_order_does_not_depend_on_which_kinds_came_first() -> None:
    code = ("from pytest_ctrsec.catalog import registry\n"
            "{first}"
            "print(list(registry()))\n")
    fresh = _in_fresh_process(code.format(first=""))
    image_first = _in_fresh_process(code.format(first="registry({'image', 'k8s'})\n"))
    assert fresh == image_first
    assert fresh.index("'compose.") < fresh.index("'image.") < fresh.index("'k8s.")


LEAN_CONFTEST = '''
import json, sys

def pytest_sessionfinish(session):
    with open("modules.json", "w") as fh:
        json.dump(sorted(sys.modules), fh)
'''


def test_a_compose_run_imports_no_other_kind_machinery(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(LEAN_CONFTEST)
    pytester.path.joinpath("compose.yaml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ctrsec-compose=.")
    assert "test_no_privileged" in result.stdout.str()  # the Compose checks ran
    loaded = set(json.loads(pytester.path.joinpath("modules.json").read_text()))
    assert "pytest_ctrsec.checks.compose" in loaded
    unwanted = {"pytest_ctrsec.checks.image", "pytest_ctrsec.checks.vulns", "pytest_ctrsec.sbom",
                "pytest_ctrsec.checks.k8s", "pytest_ctrsec.targets.kube", "docker"}
    assert not unwanted & loaded


def test_a_run_without_targets_imports_no_check(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(LEAN_CONFTEST)
    pytester.makepyfile(test_mine="def test_mine():\n    assert 1 + 1 == 2\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    loaded = json.loads(pytester.path.joinpath("modules.json").read_text())
    assert not [m for m in loaded if m.startswith("pytest_ctrsec.checks")]


def test_an_unknown_profile_is_an_error_even_without_targets(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ctrsec-profile=nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown profile 'nope'" in result.stderr.str()
