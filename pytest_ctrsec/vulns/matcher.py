"""Match an inventory against the offline OSV database."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence

from ..inventory.model import Inventory, Package
from ..versions import Comparator, InvalidVersion, comparator
from .database import OsvDatabase
from .ecosystems import lookup
from .index import Hit
from .model import FIXED, NOT_FIXED, ScanResult, Vulnerability
from .osv import NOT_AFFECTED, Verdict, evaluate_ranges
from .severity import rank


def match(inv: Inventory, db: OsvDatabase) -> ScanResult:
    """Every (package, advisory) the database says affects the installed version."""
    unscanned = [f"{p} (inventory)" for p in inv.problems]
    groups: dict[tuple[str, str], list[tuple[Package, str]]] = defaultdict(list)
    skipped: dict[str, list[str]] = defaultdict(list)
    for pkg in inv.packages:
        key = lookup(pkg, inv.os)
        if key is None:
            skipped[_no_ecosystem(pkg, inv)].append(pkg.name)
        elif not db.has(key[0]):
            skipped[f"the vulnerability database has no {key[0]} records"].append(pkg.name)
        else:
            groups[(key[0], key[1])].append((pkg, key[2]))
    found: list[Vulnerability] = []
    for (eco, name), members in groups.items():
        found.extend(_judge_group(eco, name, members, db.query(eco, name), unscanned))
    unscanned += [f"{why}: {_names(names)}" for why, names in skipped.items()]
    scanned = sum(len(m) for m in groups.values())
    return ScanResult(tuple(sorted(found, key=_order)), tuple(unscanned), scanned, "osv")


def _no_ecosystem(pkg: Package, inv: Inventory) -> str:
    os_name = f"{inv.os.id} {inv.os.version_id}".strip() if inv.os else "an unknown OS"
    return f"no OSV ecosystem for {pkg.type} packages of {os_name}"


def _names(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(sorted(set(names))[:limit])
    more = len(set(names)) - limit
    return f"{len(names)} packages ({shown}{f', and {more} more' if more > 0 else ''})"


def _order(v: Vulnerability) -> tuple[int, str, str]:
    return (-rank(v.severity), v.package.name, v.id)


def _judge_group(eco: str, name: str, members: Sequence[tuple[Package, str]],
                 hits: Sequence[Hit], problems: list[str]) -> list[Vulnerability]:
    """The binaries of one source package usually share its version: judge each distinct
    version once."""
    cmp = comparator(eco)
    if cmp is None:
        problems.append(f"{name}: no version ordering for {eco}")
        return []
    judged: dict[str, list[tuple[Hit, Verdict]]] = {}
    out: list[Vulnerability] = []
    for pkg, version in members:
        if not cmp.valid(version):
            problems.append(f"{pkg.name} {version}: not a valid {eco} version; not checked")
            continue
        if version not in judged:
            judged[version] = _affecting(hits, version, cmp, name, problems)
        out.extend(merge_aliases(_vulnerability(pkg, eco, name, version, hit, verdict)
                                 for hit, verdict in judged[version]))
    return out


def _affecting(hits: Sequence[Hit], version: str, cmp: Comparator, name: str,
               problems: list[str]) -> list[tuple[Hit, Verdict]]:
    out = []
    seen: set[str] = set()
    for hit in hits:
        verdict = _simple_verdict(hit.fixed_simple, version, cmp)
        if verdict is None:
            verdict = evaluate_ranges(hit.ranges, hit.versions, version, cmp)
        if verdict.error:
            problems.append(f"{hit.id}: {verdict.error}; not applied to {name} {version}")
        if verdict.affected and hit.id not in seen:
            seen.add(hit.id)  # a record with two entries for one package counts once
            out.append((hit, verdict))
    return out


_UNFIXED = Verdict(True)


def _simple_verdict(fixed: str | None, version: str, cmp: Comparator) -> Verdict | None:
    """The one-comparison verdict of an ``introduced 0[, fixed X]`` entry (``None`` for other
    shapes); ``fixed 0`` means not affected."""
    if fixed is None:
        return None
    if not fixed:
        return _UNFIXED
    if fixed == "0":
        return NOT_AFFECTED
    try:
        return Verdict(True, fixed) if cmp.compare(version, fixed) < 0 else NOT_AFFECTED
    except InvalidVersion as err:
        return Verdict(False, error=str(err))


def _vulnerability(pkg: Package, eco: str, name: str, version: str, hit: Hit,
                   verdict: Verdict) -> Vulnerability:
    return Vulnerability(
        id=hit.id, package=pkg, aliases=hit.aliases, ecosystem=eco, compared_name=name,
        compared_version=version, fixed_version=verdict.fixed,
        fix_state=FIXED if verdict.fixed else NOT_FIXED, severity=hit.severity.level,
        severity_source=hit.severity.source, score=hit.severity.score, summary=hit.summary,
        last_affected=verdict.last_affected)


def merge_aliases(vulns: Iterable[Vulnerability]) -> list[Vulnerability]:
    """One vulnerability per advisory for a package: records that name each other (a DSA and
    the DEBIAN-CVE of its CVE, a PYSEC and its GHSA) become one, keeping the nearest fix and
    the highest severity. Linear in the number of records (an id -> slot index)."""
    slots: list[Vulnerability | None] = []
    where: dict[str, int] = {}
    for v in vulns:
        hits = sorted({where[i] for i in v.ids if i in where})
        if not hits:
            slots.append(v)
            home = len(slots) - 1
        else:
            home, current = hits[0], v
            for slot in hits:
                twin = slots[slot]
                assert twin is not None
                current = _combine(twin, current)
                slots[slot] = None
            slots[home] = current
        merged = slots[home]
        assert merged is not None
        for i in merged.ids:
            where[i] = home
    return [v for v in slots if v is not None]


def merge_per_package(vulns: Iterable[Vulnerability]) -> tuple[Vulnerability, ...]:
    """:func:`merge_aliases` within each installed package (scanners and several sources
    list one row per location or per record)."""
    by_pkg: dict[tuple[str, str, str], list[Vulnerability]] = {}
    for v in vulns:
        by_pkg.setdefault((v.package.type, v.package.name, v.package.version), []).append(v)
    return tuple(m for group in by_pkg.values() for m in merge_aliases(group))


def _combine(a: Vulnerability, b: Vulnerability) -> Vulnerability:
    first, second = sorted((a, b), key=lambda v: v.id)
    ids = [i for i in dict.fromkeys((*first.ids, *second.ids)) if i != first.id]
    worse = max((a, b), key=lambda v: (rank(v.severity), v.score is not None))
    fixes = [v for v in (a, b) if v.fixed_version]
    fix = fixes[0] if len(fixes) == 1 else (_lowest_fix(fixes) if fixes else first)
    return Vulnerability(
        id=first.id, package=first.package, ecosystem=first.ecosystem,
        aliases=tuple(sorted(ids, key=lambda i: (not i.startswith("CVE-"), i))),
        compared_name=first.compared_name, compared_version=first.compared_version,
        fixed_version=fix.fixed_version, fix_state=fix.fix_state, severity=worse.severity,
        severity_source=worse.severity_source, score=worse.score,
        summary=first.summary or second.summary, last_affected=fix.last_affected,
        origin=first.origin)


def _lowest_fix(candidates: list[Vulnerability]) -> Vulnerability:
    cmp = comparator(candidates[0].ecosystem)
    if cmp is None:
        return candidates[0]
    def order(x: Vulnerability, y: Vulnerability) -> int:
        try:
            return cmp.compare(x.fixed_version, y.fixed_version)
        except InvalidVersion:  # e.g. Trivy's "1.2.3, 2.0.0" lists: keep the earlier one
            return 0

    return min(candidates, key=functools.cmp_to_key(order))
