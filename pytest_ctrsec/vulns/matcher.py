"""Match an inventory against the offline OSV database."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..inventory.model import Inventory, Package
from ..versions import comparator
from .database import OsvDatabase
from .ecosystems import lookup
from .index import Hit
from .model import FIXED, NOT_FIXED, ScanResult, Vulnerability
from .osv import evaluate
from .severity import of_record, rank


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
        hits = db.query(eco, name)
        for pkg, version in members:
            found.extend(_judge(pkg, eco, name, version, hits, unscanned))
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


def _judge(pkg: Package, eco: str, name: str, version: str, hits: Sequence[Hit],
           problems: list[str]) -> list[Vulnerability]:
    cmp = comparator(eco)
    if cmp is None:
        problems.append(f"{pkg.name}: no version ordering for {eco}")
        return []
    if not cmp.valid(version):
        problems.append(f"{pkg.name} {version}: not a valid {eco} version; not checked")
        return []
    by_record: dict[str, list[Vulnerability]] = {}
    for hit in hits:
        verdict = evaluate(hit.entry, version, cmp)
        if verdict.error:
            problems.append(f"{hit.record.get('id')}: {verdict.error}; not applied to {pkg.name}")
        if not verdict.affected:
            continue
        sev = of_record(hit.record, hit.entry)
        by_record.setdefault(str(hit.record["id"]), []).append(Vulnerability(
            id=str(hit.record["id"]), package=pkg, aliases=_aliases(hit.record), ecosystem=eco,
            compared_name=name, compared_version=version, fixed_version=verdict.fixed,
            fix_state=FIXED if verdict.fixed else NOT_FIXED, severity=sev.level,
            severity_source=sev.source, score=sev.score,
            summary=str(hit.record.get("summary", "")), last_affected=verdict.last_affected))
    return merge_aliases([vs[0] for vs in by_record.values()])


def _aliases(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Aliases and upstream ids (a DEBIAN-CVE record's CVE is in ``upstream``), CVEs first."""
    ids = [str(x) for key in ("aliases", "upstream") for x in record.get(key) or ()]
    unique = [i for i in dict.fromkeys(ids) if i != record.get("id")]
    return tuple(sorted(unique, key=lambda i: (not i.startswith("CVE-"), i)))


def merge_aliases(vulns: Iterable[Vulnerability]) -> list[Vulnerability]:
    """One vulnerability per advisory for a package: records that name each other (a DSA and
    the DEBIAN-CVE of its CVE, a PYSEC and its GHSA) become one, keeping the nearest fix and
    the highest severity."""
    merged: list[Vulnerability] = []
    for v in vulns:
        twin = next((m for m in merged if set(m.ids) & set(v.ids)), None)
        if twin is None:
            merged.append(v)
            continue
        merged.remove(twin)
        merged.append(_combine(twin, v))
    return merged


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
        return cmp.compare(x.fixed_version, y.fixed_version)

    return min(candidates, key=functools.cmp_to_key(order))
