"""The result log: every check result of the run, gathered on the controller from test
reports (so it works the same under xdist), and written out once at the end."""

from __future__ import annotations

import json
from collections import Counter
from fnmatch import fnmatchcase
from operator import attrgetter
from pathlib import Path
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .. import __version__
from ..catalog import registry
from ..findings import SEVERITIES, severity_rank
from ..runner import ROW_KEYS, Row
from ..waivers import Waiver, unmatched

OUTCOMES = ("passed", "failed", "skipped", "waived", "error")
_ROW_ORDER = attrgetter("check", "target", "nodeid")
_OUTCOME = attrgetter("outcome")
_BATCH = 2000  # rows encoded and written at a time


class ResultLog:
    """Result rows (the JSON contract's ``results``) in the order they arrived, as
    :class:`~pytest_ctrsec.runner.Row` (rows from xdist workers arrive as dicts)."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(self, rows: Iterable[Row | Mapping[str, Any]]) -> None:
        self.rows.extend(r if r.__class__ is Row else Row.from_json(r) for r in rows)

    def sorted_rows(self) -> list[Row]:
        """Rows in a stable order, so serial and parallel runs write the same document."""
        return sorted(self.rows, key=_ROW_ORDER)

    def summary(self) -> dict[str, int]:
        counts = Counter(map(_OUTCOME, self.rows))
        return {o: counts.get(o, 0) for o in OUTCOMES}

    def failed_by_severity(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {s: [] for s in SEVERITIES}
        for row in self.rows:
            if row.outcome in ("failed", "error"):
                out[row.severity].append(row)
        return out

    def document(self) -> dict[str, Any]:
        return {"tool": "pytest-ctrsec", "version": __version__,
                "results": self.sorted_rows(), "summary": self.summary()}

    def write_json(self, path: str) -> None:
        """One result per line: readable and diffable, each made by a :class:`RowEncoder`
        (an indented dump goes through the pure-Python encoder, ten times slower on big
        runs), written in batches (one string of a large run's rows doubled its memory)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = self.document()
        results, encode = doc["results"], RowEncoder()
        with target.open("w", encoding="utf-8") as fh:
            fh.write(f'{{"tool": "pytest-ctrsec", "version": {json.dumps(doc["version"])},\n')
            fh.write(' "results": [\n    ' if results else ' "results": [],\n')
            for start in range(0, len(results), _BATCH):
                fh.write(",\n    " if start else "")
                fh.write(",\n    ".join(map(encode, results[start:start + _BATCH])))
            fh.write("\n ],\n" if results else "")
            fh.write(f' "summary": {json.dumps(doc["summary"])}}}\n')


class RowEncoder:
    """``json.dumps(row.to_json(), ensure_ascii=False)`` for result rows, faster: a large
    run repeats each check's id, title and refs, each target's name and, for results
    without findings, the same outcome and node id thousands of times, so the JSON of
    those runs of keys is made once and reused. A dict with other keys is dumped whole."""

    def __init__(self) -> None:
        # rows are trees of plain values: no cycles to look for
        self.dumps = _dumps()
        self.heads: dict[tuple[Any, ...], str] = {}  # check, title, severity, refs
        self.targets: dict[tuple[Any, ...], str] = {}  # target, target_kind
        self.tails: dict[tuple[Any, ...], str] = {}  # outcome, nodeid (no findings, no waiver)

    def __call__(self, row: Row | Mapping[str, Any]) -> str:
        if row.__class__ is not Row:
            if tuple(row) != ROW_KEYS:
                return self.dumps(row)
            row = Row.from_json(row)
        try:
            return self.encode(row)  # type: ignore[arg-type]
        except TypeError:  # an unhashable value where a string was expected
            return self.dumps(row.to_json())  # type: ignore[union-attr]

    def encode(self, row: Row) -> str:
        check, title, severity, refs, target, kind, outcome, findings, nodeid, waiver = row
        key = (check, title, severity, refs if refs.__class__ is tuple else tuple(refs))
        head = self.heads.get(key)
        if head is None:
            head = self.heads[key] = self.dumps(
                {"check": check, "title": title, "severity": severity, "refs": refs})[:-1]
        mid = self.targets.get((target, kind))
        if mid is None:
            mid = self.targets[(target, kind)] = self.dumps(
                {"target": target, "target_kind": kind})[1:-1]
        if findings or waiver is not None:
            tail = self.dumps({"outcome": outcome, "findings": findings, "nodeid": nodeid,
                               "waiver": waiver})[1:]
        else:
            tail = self.tails.get((outcome, nodeid))
            if tail is None:
                tail = self.tails[(outcome, nodeid)] = self.dumps(
                    {"outcome": outcome, "findings": [], "nodeid": nodeid, "waiver": None})[1:]
        return f"{head}, {mid}, {tail}"


def _dumps() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False)``: the C encoder made once (``JSONEncoder``
    makes one per call, a third of the cost of a small value), else the standard one."""
    encoder = json.JSONEncoder(ensure_ascii=False, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    iterencode = make(None, encoder.default, json.encoder.encode_basestring, None,
                      encoder.key_separator, encoder.item_separator, False, False, True)

    def dumps(value: Any) -> str:
        if value.__class__ is str:
            return json.encoder.encode_basestring(value)
        return "".join(iterencode(value, 0))

    return dumps


def below_threshold(rows: Iterable[Row | Mapping[str, Any]], threshold: str) -> bool:
    """True when a failed item's check results are all failures below ``threshold``
    (an item without check results, or with an error, is never below it)."""
    failed = [r for r in rows if r["outcome"] in ("failed", "error")]
    if not failed or any(r["outcome"] == "error" for r in failed):
        return False
    return all(severity_rank(r["severity"]) < severity_rank(threshold) for r in failed)


def waiver_lines(log: ResultLog, waivers: Sequence[Waiver]) -> list[str]:
    """Expired waivers that still matched a failure, and waivers that matched nothing."""
    # attribute access: a large run has tens of thousands of rows
    used = {row.waiver["source"]: row.waiver for row in log.rows if row.waiver}
    if waivers:  # single items (advisories) accepted inside a check, expired ones included
        used.update((f["accepted"]["source"], f["accepted"]) for row in log.rows
                    if row.outcome in ("failed", "waived") for f in row.findings
                    if f.get("accepted"))
    lines = []
    expired = sorted(s for s, w in used.items() if w["expired"])
    if expired:
        lines.append(f"expired waivers ({len(expired)}), their failures count again:")
        lines += [f"  {source}: expired {used[source]['expires']}" for source in expired]
    stale = unmatched(waivers, used)
    if stale:
        ran = {row.check for row in log.rows}
        stale = [w for w in stale if _in_scope(w, ran)]
    if stale:
        lines.append(f"waivers that matched no failure ({len(stale)}), remove them or fix the pattern:")
        lines += [f"  {w.source}: {w.check} on {w.target}" for w in stale]
    return lines


def _in_scope(waiver: Waiver, ran: set[str]) -> bool:
    """Whether a waiver that matched nothing is stale: its check ran and nothing matched,
    or it names no bundled check at all (a typo). One for a check this run did not run
    (``-k``, ``--ctrsec-select``, a kind not given: a waiver file shared by CI jobs) is not."""
    pattern = waiver.check.split("/", 1)[0]  # <check>/<advisory> accepts one item
    known = [check_id for check_id in registry() if fnmatchcase(check_id, pattern)]
    return not known or any(check_id in ran for check_id in known)


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
