"""Planning and running bundled checks: which test items exist and what each one covers.

pytest costs about 1.5 ms per test item, so one item per check per object is only affordable
for small corpora. A :class:`Unit` is what one item covers: one target, every target of one
source file (or namespace), or every target of the check. Whatever the grouping, the results
keep one :class:`Result` per check per target, for the JSON and SARIF reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .catalog import Check
from .findings import Finding, severity_rank
from .errors import ConfigError
from .targets import Target
from .waivers import Waiver, WaiverSet, from_annotations


@dataclass(frozen=True)
class Unit:
    """The targets one bundled test item judges with one check."""

    check: Check
    targets: tuple[Target, ...]
    label: str


class Result(NamedTuple):
    """One check on one target: the row of the JSON report. A named tuple: a large corpus
    makes one per check per target, and a frozen dataclass cost five times as much to
    make (immutable all the same)."""

    check: Check
    target: Target
    outcome: str  # passed, failed, skipped, waived, error
    severity: str
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    waiver: Waiver | None = None

    def to_json(self, nodeid: str = "") -> dict[str, Any]:
        return self.row(nodeid).to_json()

    def row(self, nodeid: str = "") -> Row:
        """This result as a report row (made once per check per target: kept lean)."""
        check, target, outcome = self.check, self.target, self.outcome
        findings: Sequence[dict[str, Any]] = [f.to_json() for f in self.findings] \
            if self.findings else ()
        if not findings and (outcome == "skipped" or outcome == "error"):
            findings = [{"message": self.reason, "location": None}]
        return _new_tuple(Row, (
            check.id, check.title, self.severity, check.refs, target.name,
            _TARGET_KINDS.get(target.model_type) or _target_kind(target), outcome, findings,
            nodeid, self.waiver.to_json() if self.waiver else None))


class Row(NamedTuple):
    """One result as a row of the JSON report (the contract's ``results`` entry). A named
    tuple, because a large run makes tens of thousands (a dict each took most of a run's
    memory), that reads like the row dict too: ``row["check"]``, ``row.get("waiver")``.
    :meth:`to_json` gives the dict, which is also what travels between xdist processes
    (:meth:`from_json` reads it back)."""

    check: str
    title: str
    severity: str
    refs: Sequence[str]
    target: str
    target_kind: str
    outcome: str  # passed, failed, skipped, waived, error
    findings: Sequence[dict[str, Any]]
    nodeid: str
    waiver: dict[str, Any] | None

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if key.__class__ is str:
            return tuple.__getitem__(self, _ROW_INDEX[key])
        return tuple.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        index = _ROW_INDEX.get(key)
        return default if index is None else tuple.__getitem__(self, index)

    def to_json(self) -> dict[str, Any]:
        row = dict(zip(ROW_KEYS, self))
        row["refs"] = list(self.refs)
        row["findings"] = list(self.findings)
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Row:
        return _new_tuple(cls, [row[key] for key in ROW_KEYS])


ROW_KEYS: tuple[str, ...] = Row._fields
_ROW_INDEX = {key: index for index, key in enumerate(ROW_KEYS)}
_new_tuple = tuple.__new__  # a named tuple made without its Python-level __new__ (hot paths)
_TARGET_KINDS: dict[str, str] = {}  # model type -> Target.kind, worked out once


def _target_kind(target: Target) -> str:
    kind = _TARGET_KINDS[target.model_type] = target.kind
    return kind


def plan(checks: Iterable[Check], targets: Mapping[str, Sequence[Target]], granularity: str,
         max_items: int) -> dict[str, list[Unit]]:
    """Units per check id. ``auto`` takes the finest grouping whose item count fits
    ``max_items``; a check with no target of its model type gets no unit (no item)."""
    bound = [(c, [t for t in targets.get(c.model, ()) if c.applies_to(t.model)])
             for c in checks]
    bound = [(c, ts) for c, ts in bound if ts]
    if granularity == "auto":
        granularity = "check"
        for candidate in ("object", "source"):
            if sum(_group_count(ts, candidate) for _, ts in bound) <= max_items:
                granularity = candidate
                break
    return {c.id: [Unit(c, group, label) for label, group in _group(ts, granularity).items()]
            for c, ts in bound}


def _group_count(targets: Sequence[Target], how: str) -> int:
    """``len(_group(targets, how))`` without building the groups (labels are made unique,
    so every target is its own object group)."""
    if how == "object":
        return len(targets)
    if how == "source":
        return len({t.source for t in targets})
    return 1


def _group(targets: Sequence[Target], how: str) -> dict[str, tuple[Target, ...]]:
    if how == "object":
        return _unique_labels([(t.label, (t,)) for t in targets])
    if how == "source":
        by_source: dict[str, list[Target]] = {}
        for t in targets:
            by_source.setdefault(t.source, []).append(t)
        return {src: tuple(ts) for src, ts in by_source.items()}
    kind = targets[0].kind
    return {f"{len(targets)} {kind} targets": tuple(targets)}


def _unique_labels(pairs: list[tuple[str, tuple[Target, ...]]]) -> dict[str, tuple[Target, ...]]:
    """Labels are test ids: make repeats unique rather than lose a target."""
    out: dict[str, tuple[Target, ...]] = {}
    for label, group in pairs:
        key, n = label, 1
        while key in out:
            n += 1
            key = f"{label}~{n}"
        out[key] = group
    return out


def run_unit(unit: Unit, options: Mapping[str, Any] | None = None,
             severity: str | None = None, waivers: WaiverSet | None = None,
             annotation_waivers: bool = True) -> list[Result]:
    """Evaluate the unit's check on each of its targets, applying waivers."""
    return [_run_one(unit.check, t, options, severity or unit.check.severity, waivers,
                     annotation_waivers) for t in unit.targets]


def _run_one(check: Check, target: Target, options: Mapping[str, Any] | None, default: str,
             waivers: WaiverSet | None, annotation_waivers: bool) -> Result:
    if not waivers and not (annotation_waivers and target.annotations):
        # The common case, kept cheap: a large corpus runs this tens of thousands of times.
        verdict = check.evaluate(target.model, options)
        findings = verdict.findings
        if findings and target.location is not None:
            findings = tuple(_anchored(f, target) for f in findings)
        return _new_tuple(Result, (check, target, verdict.outcome, verdict.severity(default)
                                   if findings else default, findings, verdict.reason, None))
    extra: tuple[Waiver, ...] = ()
    if waivers is not None and annotation_waivers and target.annotations:
        try:
            extra = from_annotations(target.annotations, target.name, str(target.location))
        except ConfigError as err:
            return Result(check, target, "error", default, (), str(err))
    skip = waivers.skips(check.id, target.name, extra) if waivers is not None else None
    if skip:
        return Result(check, target, "waived", default, (), f"not run: {skip.reason}", skip)
    verdict = check.evaluate(target.model, options)
    findings = tuple(_anchored(f, target) for f in verdict.findings)
    result = Result(check, target, verdict.outcome, verdict.severity(default), findings,
                    verdict.reason)
    if verdict.outcome != "failed" or waivers is None:
        return result
    if any(f.accepted for f in findings):
        result = _accepting(result, waivers, default)
        if result.outcome != "failed":
            return result
    waiver = waivers.find(check.id, target.name, extra)
    if waiver is None:
        return result
    outcome = "failed" if waiver.expired() else "waived"
    return Result(check, target, outcome, result.severity, findings, waiver.reason, waiver)


def _accepting(result: Result, waivers: WaiverSet, default: str) -> Result:
    """A failure whose findings are all accepted one by one (``<check>/<item>`` waivers) is
    waived by those waivers; else it fails (accepted findings are ``info``, so the rest set
    its severity)."""
    if any(not f.accepted for f in result.findings):
        return result
    sources = {f.accepted["source"] for f in result.findings if f.accepted}
    chosen = [w for w in waivers.waivers if w.source in sources]
    reason = "; ".join(dict.fromkeys(w.reason for w in chosen))
    return result._replace(outcome="waived", severity=default, reason=reason,
                           waiver=chosen[0] if chosen else None)


def _anchored(finding: Finding, target: Target) -> Finding:
    """A finding without a location takes its target's."""
    if finding.location is not None or target.location is None:
        return finding
    return Finding(finding.message, target.location, finding.severity, finding.extra)


def failure_message(results: Sequence[Result], limit: int = 25) -> str:
    """The terminal message of a failed item: what, where, how to fix, which standard."""
    failed = [r for r in results if r.outcome == "failed"]
    check = failed[0].check
    lines = [f"{check.id} ({failed[0].severity}): {check.title}"]
    shown = 0
    for r in sorted(failed, key=lambda r: -severity_rank(r.severity)):
        for f in r.findings:
            if shown == limit:
                break
            where = f" [{f.location}]" if f.location else ""
            lines.append(f"  - {r.target.name}: {f.message}{where}")
            shown += 1
    total = sum(len(r.findings) for r in failed)
    if total > shown:
        lines.append(f"  ... and {total - shown} more findings (see the JSON or SARIF report)")
    for w in sorted({r.waiver.source: r.waiver for r in failed if r.waiver}.values(),
                    key=lambda w: w.source):
        lines.append(f"  waiver expired on {w.expires}: {w.reason} ({w.source})")
    if check.remediation:
        lines.append(f"  fix: {check.remediation}")
    if check.refs:
        lines.append(f"  refs: {', '.join(check.refs)}")
    return "\n".join(lines)
