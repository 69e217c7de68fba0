"""Whether an OSV ``affected`` entry covers an installed version (the schema's evaluation).

Events of a range are sorted by version and walked: ``introduced`` sets vulnerable at or
above it, ``fixed`` clears it at or above, ``last_affected`` clears it above; ``limit``
events bound the range from above. ``"0"`` in any event stands for "before every version",
and at equal versions ``introduced`` sorts first, so ``introduced 0, fixed 0`` (a "not
affected" note) covers nothing. An exact hit in ``versions`` counts too. ``GIT`` ranges
name commits, not versions, and are skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..versions import Comparator, InvalidVersion

Event = tuple[str, str]  # (kind, version) with "0" kept as written
Range = tuple[str, tuple[Event, ...]]  # (type, events)
_RANGE_SEP, _EVENT_SEP, _KV_SEP = "\x1d", "\x1f", "\x1e"

_EVENT_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 1, "limit": 2}
_MIN, _MAX = "", "*"  # event versions "0" (before every version) and limit "*"


@dataclass(frozen=True)
class Verdict:
    """``fixed`` is the nearest fixed version above the installed one (``""``: no fix known),
    ``last_affected`` the ceiling of a range without a fix; ``error`` says why a record
    could not be judged (a version the comparator rejects)."""

    affected: bool
    fixed: str = ""
    last_affected: str = ""
    error: str = ""


NOT_AFFECTED = Verdict(False)


@dataclass(frozen=True)
class _Event:
    kind: str
    version: str  # "" stands for "0" (before every version), "*" for "after every version"


def _sort_key(cmp: Comparator) -> Any:
    def order(x: _Event, y: _Event) -> int:
        c = _cmp_event_versions(cmp, x.version, y.version)
        return c or (_EVENT_ORDER[x.kind] - _EVENT_ORDER[y.kind])
    return functools.cmp_to_key(order)


def _cmp_event_versions(cmp: Comparator, a: str, b: str) -> int:
    if a == b:
        return 0
    if a == _MIN or b == _MAX:
        return -1
    if a == _MAX or b == _MIN:
        return 1
    return cmp.compare(a, b)


def parse_ranges(raw: Sequence[Mapping[str, Any]]) -> tuple[Range, ...]:
    """An entry's ``ranges`` as plain tuples (unknown event kinds dropped)."""
    out = []
    for rng in raw:
        events = tuple((str(kind), str(value)) for event in rng.get("events") or ()
                       for kind, value in event.items() if kind in _EVENT_ORDER)
        out.append((str(rng.get("type", "")), events))
    return tuple(out)


def pack_ranges(ranges: Sequence[Range]) -> str:
    """The compact text form the index stores (no JSON to decode when matching)."""
    return _RANGE_SEP.join(
        _EVENT_SEP.join([kind, *(f"{k}{_KV_SEP}{v}" for k, v in events)])
        for kind, events in ranges)


@functools.lru_cache(maxsize=65536)
def unpack_ranges(text: str) -> tuple[Range, ...]:
    out: list[Range] = []
    for part in text.split(_RANGE_SEP) if text else ():
        kind, *events = part.split(_EVENT_SEP)
        out.append((kind, tuple(_event(e) for e in events)))
    return tuple(out)


def _event(text: str) -> Event:
    kind, _, value = text.partition(_KV_SEP)
    return kind, value


def _events(raw: Sequence[Event]) -> list[_Event]:
    return [_Event(kind, _MIN if value == "0" else value) for kind, value in raw]


def _simple(cmp: Comparator, version: str, events: Sequence[Event]) -> Verdict | None:
    """The shapes nearly every distribution record has: ``introduced 0`` alone (unfixed) or
    followed by one ``fixed``; one comparison instead of the general walk."""
    if not events or events[0] != ("introduced", "0"):
        return None
    if len(events) == 1:
        return Verdict(True)
    if len(events) == 2 and events[1][0] == "fixed":
        fixed = events[1][1]
        if fixed == "0":
            return NOT_AFFECTED
        return Verdict(True, fixed) if cmp.compare(version, fixed) < 0 else NOT_AFFECTED
    return None


def _in_range(cmp: Comparator, version: str, events: list[_Event]) -> Verdict:
    ordered = sorted((e for e in events if e.kind != "limit"), key=_sort_key(cmp))
    limits = [e.version for e in events if e.kind == "limit"]
    if limits and not any(_cmp_event_versions(cmp, version, lim) < 0 for lim in limits):
        return NOT_AFFECTED
    vulnerable = False
    for e in ordered:
        c = _cmp_event_versions(cmp, version, e.version)
        if e.kind == "introduced" and c >= 0:
            vulnerable = True
        elif e.kind == "fixed" and c >= 0 or e.kind == "last_affected" and c > 0:
            vulnerable = False
    if not vulnerable:
        return NOT_AFFECTED
    above = [e for e in ordered if _cmp_event_versions(cmp, version, e.version) < 0]
    fixed = next((e.version for e in above if e.kind == "fixed"), "")
    last = next((e.version for e in ordered if e.kind == "last_affected"
                 and _cmp_event_versions(cmp, version, e.version) <= 0), "")
    return Verdict(True, fixed, last)


def _listed(cmp: Comparator, version: str, versions: Sequence[Any]) -> bool:
    for v in versions:
        text = str(v)
        if text == version:
            return True
        try:
            if cmp.compare(version, text) == 0:
                return True
        except InvalidVersion:
            continue
    return False


def evaluate(entry: Mapping[str, Any], version: str, ecosystem_cmp: Comparator) -> Verdict:
    """The verdict of one ``affected`` entry (as in the OSV JSON) for an installed ``version``."""
    return evaluate_ranges(parse_ranges(entry.get("ranges") or ()),
                           tuple(str(v) for v in entry.get("versions") or ()), version,
                           ecosystem_cmp)


def evaluate_ranges(ranges: Sequence[Range], versions: Sequence[str], version: str,
                    ecosystem_cmp: Comparator) -> Verdict:
    """:func:`evaluate` on an entry already digested (as the index stores it)."""
    hits: list[Verdict] = []
    try:
        for kind, events in ranges:
            if kind not in ("ECOSYSTEM", "SEMVER"):
                continue
            # SEMVER ranges too are ordered as the package's ecosystem orders versions (as
            # osv-scanner does): a PyPI "4.2" is no semantic version, yet it is 4.2.0.
            verdict = _simple(ecosystem_cmp, version, events) or _in_range(
                ecosystem_cmp, version, _events(events))
            if verdict.affected:
                hits.append(verdict)
        if not hits and _listed(ecosystem_cmp, version, versions):
            hits.append(Verdict(True))
    except InvalidVersion as err:
        return Verdict(False, error=str(err))
    if not hits:
        return NOT_AFFECTED
    return _nearest_fix(hits, ecosystem_cmp)


def _nearest_fix(hits: list[Verdict], cmp: Comparator) -> Verdict:
    """Several matching ranges: report the lowest fix above the installed version."""
    fixes = [h.fixed for h in hits if h.fixed]
    if not fixes:
        return hits[0]
    best = min(fixes, key=functools.cmp_to_key(cmp.compare))
    return Verdict(True, best, "")
