"""OSV records: random documents and the fixture records with random parts replaced are
indexed or rejected with one ``ConfigError`` line naming the dump and the record, and any
index that was built matches an inventory without raising; the range evaluation agrees with
the plain meaning of non-overlapping ``[introduced, fixed)`` and ``[introduced,
last_affected]`` ranges whatever order the events are written in."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import hyp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_ctrsec.errors import ConfigError
from pytest_ctrsec.inventory.model import Inventory, OsInfo, Package
from pytest_ctrsec.versions import COMPARATORS
from pytest_ctrsec.vulns.database import OsvDatabase
from pytest_ctrsec.vulns.matcher import match
from pytest_ctrsec.vulns.osv import evaluate

FIXTURES = Path(__file__).parent / "fixtures" / "osv"
SEEDS = [json.loads(f.read_text()) for f in sorted(FIXTURES.rglob("*.json"))]
_NAMES = sorted({a["package"]["name"] for r in SEEDS for a in r.get("affected", [])
                 if isinstance(a.get("package"), dict)})[:6]
_INVENTORY = Inventory(OsInfo("debian", "12"), tuple(
    Package("deb", n, v, n, v) for n in _NAMES for v in ("1.0-1", "3.0.17-1~deb12u2", "0:9")))


def _open(tmp: Path, records: list[Any]) -> OsvDatabase | ConfigError:
    folder = tmp / "osv"
    folder.mkdir()
    for i, record in enumerate(records):
        (folder / f"r{i}.json").write_text(json.dumps(record))
    try:
        return OsvDatabase.open(str(folder), tmp / "cache")
    except ConfigError as err:
        assert str(err).startswith("--ctrsec-vulndb: ") and "\n" not in str(err), str(err)
        return err


def _match_all(db: OsvDatabase) -> None:
    try:
        result = match(_INVENTORY, db)
        for vuln in result.vulnerabilities:
            assert vuln.package in _INVENTORY.packages
            assert vuln.fixed_version == "" or isinstance(vuln.fixed_version, str)
        assert all(isinstance(u, str) and "\n" not in u for u in result.unscanned)
    finally:
        db.close()


@given(records=st.lists(hyp.plain_data, min_size=1, max_size=3))
def test_random_documents_are_indexed_or_rejected(tmp_path_factory: pytest.TempPathFactory,
                                                  records: list[Any]) -> None:
    db = _open(tmp_path_factory.mktemp("v"), records)
    if isinstance(db, OsvDatabase):
        _match_all(db)


@hyp.examples(120)
@given(data=st.data())
def test_fixture_records_with_random_parts_are_indexed_or_rejected(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    records = [hyp.mutate(data, copy.deepcopy(data.draw(st.sampled_from(SEEDS))))
               for _ in range(data.draw(st.integers(1, 3)))]
    db = _open(tmp_path_factory.mktemp("v"), records)
    if isinstance(db, OsvDatabase):
        _match_all(db)


# -- range evaluation against the plain meaning ----------------------------------------------

@st.composite
def _ranges(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[tuple[int, int, str]], int]:
    """Events of non-overlapping ranges over versions ``1.<n>`` (shuffled), the ranges as
    ``(low, high, how)`` and an installed version number."""
    points = sorted(draw(st.sets(st.integers(1, 60), min_size=1, max_size=8)))
    events: list[dict[str, str]] = []
    ranges: list[tuple[int, int, str]] = []
    i = 0
    while i < len(points):
        low = points[i]
        how = draw(st.sampled_from(["fixed", "last_affected", "open"]))
        if how == "open" or i + 1 == len(points):
            events.append({"introduced": f"1.{low}"})
            ranges.append((low, 10**9, "open"))
            break
        high = points[i + 1]
        events += [{"introduced": f"1.{low}"}, {how: f"1.{high}"}]
        ranges.append((low, high, how))
        i += 2
    return draw(st.permutations(events)), ranges, draw(st.integers(0, 62))


@hyp.examples(200)
@given(case=_ranges())
def test_range_evaluation_matches_the_ranges(
        case: tuple[list[dict[str, str]], list[tuple[int, int, str]], int]) -> None:
    events, ranges, installed = case
    entry = {"ranges": [{"type": "ECOSYSTEM", "events": events}]}
    verdict = evaluate(entry, f"1.{installed}", COMPARATORS["deb"])
    inside = [(lo, hi, how) for lo, hi, how in ranges
              if lo <= installed and (installed < hi if how != "last_affected" else installed <= hi)]
    assert verdict.affected == bool(inside) and not verdict.error
    if inside and inside[0][2] == "fixed":
        assert verdict.fixed == f"1.{inside[0][1]}"


@st.composite
def _zips(draw: st.DrawFn) -> bytes:
    """An osv.dev style dump with bytes flipped or cut (or none at all)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", draw(st.sampled_from([zipfile.ZIP_STORED,
                                                         zipfile.ZIP_DEFLATED]))) as zf:
        for i, record in enumerate(draw(st.lists(st.sampled_from(SEEDS), max_size=3))):
            zf.writestr(f"r{i}.json", json.dumps(record))
    raw = bytearray(buf.getvalue())
    for _ in range(draw(st.integers(0, 3))):
        if not raw:
            break
        pos = draw(st.integers(0, len(raw) - 1))
        if draw(st.booleans()):
            raw[pos] ^= 1 << draw(st.integers(0, 7))
        else:
            del raw[pos:]
    return bytes(raw)


@hyp.examples(100)
@given(raw=_zips())
def test_damaged_dumps_are_indexed_or_rejected(tmp_path_factory: pytest.TempPathFactory,
                                               raw: bytes) -> None:
    tmp = tmp_path_factory.mktemp("z")
    (tmp / "Debian:12").mkdir()
    (tmp / "Debian:12" / "all.zip").write_bytes(raw)
    try:
        db = OsvDatabase.open(str(tmp), tmp / "cache")
    except ConfigError as err:
        assert "all.zip" in str(err) and "\n" not in str(err), str(err)
        return
    _match_all(db)
