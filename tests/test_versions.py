"""Each version comparator against its ecosystem's own tool, on generated pairs (at least
2,000 judged pairs each, 0 disagreements), plus the orderings advisories depend on."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from oracles import dpkg_confirms, node_semver, pip_order, rpm_order
from pytest_ctrsec.versions import COMPARATORS, InvalidVersion, comparator, compare
from pytest_ctrsec.versions import alpine, debian, pypi, rpm, semver
from version_corpus import debian_pairs, npm_pairs, pypi_pairs, rpm_pairs

APK_PAIRS = Path(__file__).parent / "fixtures" / "versions" / "apk-pairs.tsv"
MIN_JUDGED = 2000
OPS = {-1: "lt", 0: "eq", 1: "gt"}
SIGN = {"<": -1, "=": 0, ">": 1}


def _disagreements(rows: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    return [r for r in rows if r[2] != r[3]]


def test_corpora_cover_the_tricky_shapes() -> None:
    deb = " ".join(a + " " + b for a, b in debian_pairs(2500))
    assert all(t in deb for t in (":", "~", "+", "-", "a"))
    rp = " ".join(a + " " + b for a, b in rpm_pairs(2500))
    assert all(t in rp for t in (":", "~", "^", "-"))
    apk = APK_PAIRS.read_text()
    assert all(t in apk for t in ("_rc", "_git", "_p", "-r", "~"))
    assert any(c.isalpha() for c in apk)


def test_debian_agrees_with_dpkg() -> None:
    claims = []
    for a, b in debian_pairs(2500):
        try:
            claims.append((a, OPS[debian.compare(a, b)], b))
        except InvalidVersion:
            claims.append((a, "lt", b))  # dpkg must reject it too (exit 2)
    codes = dpkg_confirms(claims)
    judged = [(a, op, b, code) for (a, op, b), code in zip(claims, codes)]
    rejected_by_us = {(a, b) for a, b in debian_pairs(2500)
                      if not (debian.valid(a) and debian.valid(b))}
    wrong = [(a, op, b, code) for a, op, b, code in judged
             if (code == 2) != ((a, b) in rejected_by_us) or code == 1]
    assert sum(1 for *_, code in judged if code == 0) >= MIN_JUDGED
    assert wrong == []


def test_debian_equality_is_dpkg_equality() -> None:
    assert debian.compare("1.0-1", "1.0-01") == 0
    assert debian.compare("1.0", "1.0-0") == 0
    assert debian.compare("0.0.9-0", "0.00.9-0") == 0
    assert debian.compare("1:2.38.1-5+deb12u3", "2.38.1-5+deb12u4") == 1  # the epoch trap
    assert debian.compare("3.0.17-1~deb12u2", "3.0.17-1") == -1
    assert debian.compare("1:2.3:4-1", "1:2.3:4-2") == -1


def _apk_rows() -> list[list[str]]:
    with APK_PAIRS.open(encoding="utf-8") as fh:
        return [r for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]


def test_alpine_validity_agrees_with_apk_tools() -> None:
    rows = _apk_rows()
    ours = [f"{int(alpine.valid(a))}{int(alpine.valid(b))}" for a, b, *_ in rows]
    assert [r[2] for r in rows] == ours


def test_alpine_agrees_with_apk_tools() -> None:
    rows = [r for r in _apk_rows() if r[2] == "11"]
    judged = [(a, b, SIGN[op], alpine.compare(a, b)) for a, b, _, op, *_ in rows]
    assert len(judged) >= MIN_JUDGED
    assert _disagreements(judged) == []


def test_alpine_agrees_with_apk_214_where_its_rules_apply() -> None:
    """apk 2.14 (Alpine up to 3.22) knows no ``~hash`` and reads leading zeros differently;
    no real Alpine version has either."""
    def plain(v: str) -> bool:
        return "~" not in v and not any(p[:1] == "0" and p[1:2].isdigit()
                                         for p in v.replace("-", ".").split("."))

    rows = [r for r in _apk_rows() if r[2] == r[4] == "11" and plain(r[0]) and plain(r[1])]
    judged = [(r[0], r[1], SIGN[r[5]], alpine.compare(r[0], r[1])) for r in rows]
    assert len(judged) >= 1000
    assert _disagreements(judged) == []


def test_alpine_orderings() -> None:
    assert alpine.compare("1.0", "1.0-r0") == -1
    assert alpine.compare("2.1-r0", "2.1_git20240101-r0") == -1
    assert alpine.compare("1.0_rc1", "1.0") == -1 < alpine.compare("1.0_p1", "1.0")
    assert alpine.compare("4.4.0_git20230520-r1", "4.4.0-r1") == 1
    with pytest.raises(InvalidVersion):
        alpine.compare("1.0_foo", "1.0")


def test_rpm_agrees_with_librpm() -> None:
    pairs = rpm_pairs(2500)
    judged = [(a, b, o, rpm.compare(a, b)) for (a, b), o in zip(pairs, rpm_order(pairs))]
    assert len(judged) >= MIN_JUDGED
    assert _disagreements(judged) == []


def test_rpm_tilde_and_caret() -> None:
    assert rpm.compare("1.0~rc1-1", "1.0-1") == -1
    assert rpm.compare("1.0^git1-1", "1.0-1") == 1
    assert rpm.compare("1.0^git1-1", "1.0.1-1") == -1
    assert rpm.compare("1:1.0-1", "2.0-1") == 1
    assert rpm.compare("0:2.28-225.el9", "2.28-225.el9") == 0


def _judge(pairs: list[tuple[str, str]], oracle: list[tuple[bool, bool, int | None]],
           cmp: object, valid: object) -> tuple[list[tuple[str, str, int, int]], list[str]]:
    judged, validity = [], []
    for (a, b), (va, vb, order) in zip(pairs, oracle):
        if (va, vb) != (valid(a), valid(b)):  # type: ignore[operator]
            validity.append(f"{a!r} {b!r}")
        elif order is not None:
            judged.append((a, b, order, cmp(a, b)))  # type: ignore[operator]
    return judged, validity


def test_pypi_agrees_with_pip() -> None:
    pairs = pypi_pairs(2500)
    judged, validity = _judge(pairs, pip_order(pairs), pypi.compare, pypi.valid)
    assert validity == []
    assert len(judged) >= MIN_JUDGED
    assert _disagreements(judged) == []


def test_npm_agrees_with_node_semver() -> None:
    pairs = npm_pairs(3000)
    judged, validity = _judge(pairs, node_semver(pairs), semver.compare, semver.valid)
    assert validity == []
    assert len(judged) >= MIN_JUDGED
    assert _disagreements(judged) == []


@pytest.mark.parametrize(("ecosystem", "name"), [
    ("Debian:12", "deb"), ("Ubuntu:22.04:LTS", "deb"), ("Alpine:v3.19", "apk"),
    ("Rocky Linux:9", "rpm"), ("PyPI", "pypi"), ("npm", "semver")])
def test_ecosystem_dispatch(ecosystem: str, name: str) -> None:
    found = comparator(ecosystem)
    assert found is COMPARATORS[name]


def test_unknown_ecosystem_is_an_error() -> None:
    assert comparator("Hackage") is None
    with pytest.raises(InvalidVersion, match="Hackage"):
        compare("Hackage", "1", "2")
