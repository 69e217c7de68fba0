"""The result log: every check result of the run, gathered on the controller from test
reports (so it works the same under xdist), and written out once at the end."""

from __future__ import annotations

import json
from collections import Counter
from operator import itemgetter
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..findings import SEVERITIES, severity_rank
from ..waivers import Waiver, unmatched

OUTCOMES = ("passed", "failed", "skipped", "waived", "error")
# The keys of a result row, in the order runner.Result.to_json writes them.
ROW_KEYS = ("check", "title", "severity", "refs", "target", "target_kind", "outcome",
            "findings", "nodeid", "waiver")
_ROW_ORDER = itemgetter("check", "target", "nodeid")


class ResultLog:
    """Result rows (the JSON contract's ``results``) in the order they arrived."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.rows.extend(rows)

    def sorted_rows(self) -> list[dict[str, Any]]:
        """Rows in a stable order, so serial and parallel runs write the same document."""
        return sorted(self.rows, key=_ROW_ORDER)

    def summary(self) -> dict[str, int]:
        counts = Counter(r["outcome"] for r in self.rows)
        return {o: counts.get(o, 0) for o in OUTCOMES}

    def failed_by_severity(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {s: [] for s in SEVERITIES}
        for row in self.rows:
            if row["outcome"] in ("failed", "error"):
                out[row["severity"]].append(row)
        return out

    def document(self) -> dict[str, Any]:
        return {"tool": "pytest-ctrsec", "version": __version__,
                "results": self.sorted_rows(), "summary": self.summary()}

    def write_json(self, path: str) -> None:
        """One result per line: readable and diffable, and written by the C encoder (an
        indented dump goes through the pure-Python one, ten times slower on big runs)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = self.document()
        rows = ",\n    ".join(map(RowEncoder(), doc["results"]))
        with target.open("w", encoding="utf-8") as fh:
            fh.write(f'{{"tool": "pytest-ctrsec", "version": {json.dumps(doc["version"])},\n')
            fh.write(f' "results": [\n    {rows}\n ],\n' if rows else ' "results": [],\n')
            fh.write(f' "summary": {json.dumps(doc["summary"])}}}\n')


class RowEncoder:
    """``json.dumps(row, ensure_ascii=False)`` for result rows, faster: a large run repeats
    each check's id, title and refs, each target's name and each item's node id thousands of
    times, so their JSON is made once and reused. A row with other keys is dumped whole."""

    def __init__(self) -> None:
        # rows are trees of plain values: no cycles to look for
        self.dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
        self.heads: dict[tuple[str, str, str], tuple[Any, str]] = {}
        self.strings: dict[str, str] = {}

    def __call__(self, row: dict[str, Any]) -> str:
        if len(row) != len(ROW_KEYS) or tuple(row) != ROW_KEYS:
            return self.dumps(row)
        check, title, severity, refs = row["check"], row["title"], row["severity"], row["refs"]
        head = self.heads.get((check, title, severity))
        if head is None or head[0] != refs:
            head = self.heads[(check, title, severity)] = (refs, self.dumps(
                {"check": check, "title": title, "severity": severity, "refs": refs})[:-1])
        known = self.strings.get
        target, kind, outcome, nodeid = (row["target"], row["target_kind"], row["outcome"],
                                         row["nodeid"])
        findings, waiver = row["findings"], row["waiver"]
        return (f'{head[1]}, "target": {known(target) or self.string(target)}, '
                f'"target_kind": {known(kind) or self.string(kind)}, '
                f'"outcome": {known(outcome) or self.string(outcome)}, '
                f'"findings": {self.dumps(findings) if findings else "[]"}, '
                f'"nodeid": {known(nodeid) or self.string(nodeid)}, '
                f'"waiver": {"null" if waiver is None else self.dumps(waiver)}}}')

    def string(self, value: Any) -> str:
        """JSON of a value that repeats (strings are remembered)."""
        if value.__class__ is not str:
            return self.dumps(value)
        text = self.strings.get(value)
        if text is None:
            text = self.strings[value] = self.dumps(value)
        return text


def below_threshold(rows: list[dict[str, Any]], threshold: str) -> bool:
    """True when a failed item's check results are all failures below ``threshold``
    (an item without check results, or with an error, is never below it)."""
    failed = [r for r in rows if r["outcome"] in ("failed", "error")]
    if not failed or any(r["outcome"] == "error" for r in failed):
        return False
    return all(severity_rank(r["severity"]) < severity_rank(threshold) for r in failed)


def waiver_lines(log: ResultLog, waivers: Sequence[Waiver]) -> list[str]:
    """Expired waivers that still matched a failure, and waivers that matched nothing."""
    used = {row["waiver"]["source"]: row["waiver"] for row in log.rows if row.get("waiver")}
    lines = []
    expired = sorted(s for s, w in used.items() if w["expired"])
    if expired:
        lines.append(f"expired waivers ({len(expired)}), their failures count again:")
        lines += [f"  {source}: expired {used[source]['expires']}" for source in expired]
    # Waivers of single advisories ("<check>/<advisory>") are applied inside their check.
    stale = [w for w in unmatched(waivers, used) if "/" not in w.check]
    if stale:
        lines.append(f"waivers that matched no failure ({len(stale)}), remove them or fix the pattern:")
        lines += [f"  {w.source}: {w.check} on {w.target}" for w in stale]
    return lines


def summary_lines(log: ResultLog, limit: int = 10) -> list[str]:
    """A short terminal summary: failed checks counted and listed by severity."""
    groups = log.failed_by_severity()
    total = sum(len(rows) for rows in groups.values())
    counts = log.summary()
    head = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    lines = [f"{len(log.rows)} check results: {head or 'none'}"]
    if not total:
        return lines
    for sev in sorted(groups, key=severity_rank, reverse=True):
        rows = groups[sev]
        if not rows:
            continue
        lines.append(f"{sev.upper()} ({len(rows)}):")
        for row in rows[:limit]:
            lines.append(f"  {row['check']}  {row['target']}")
        if len(rows) > limit:
            lines.append(f"  ... and {len(rows) - limit} more")
    return lines
