"""The SQLite index of one OSV dump: built once per content hash, then only queried.

Each record is stored once (id, aliases, summary), and each of its ``affected`` entries under
``(ecosystem, package name)``, the key a scan asks for, already digested: the ranges in a
compact text form and the entry's severity (CVSS vector, Debian urgency ...) computed at
build time, so matching decodes no JSON. Building writes a temporary file and renames it, so
concurrent runs (pytest-xdist workers) never see a half-built index.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ConfigError
from . import schema
from .dumps import Dump, records
from .ecosystems import query_name
from .osv import Range, pack_ranges, parse_ranges, unpack_ranges
from .severity import Severity, of_record

FORMAT = "4"  # bump when the schema or what is stored changes
# Records are first staged in temporary tables (so a newer copy of an id can replace an older
# one), then written once into ``hits``, clustered by its key: a query reads adjacent pages.
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TEMP TABLE records(rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                          modified TEXT NOT NULL, withdrawn TEXT, aliases TEXT NOT NULL,
                          summary TEXT NOT NULL);
CREATE TEMP TABLE affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL, rid INTEGER NOT NULL,
                           seq INTEGER NOT NULL, ranges TEXT NOT NULL, versions TEXT,
                           severity TEXT NOT NULL, severity_source TEXT NOT NULL, score REAL,
                           fixed_simple TEXT);
CREATE TABLE hits(ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,
                  seq INTEGER NOT NULL, modified TEXT NOT NULL, withdrawn TEXT,
                  aliases TEXT NOT NULL, summary TEXT NOT NULL, ranges TEXT NOT NULL,
                  versions TEXT, severity TEXT NOT NULL, severity_source TEXT NOT NULL,
                  score REAL, fixed_simple TEXT,
                  PRIMARY KEY (ecosystem, name, id, seq)) WITHOUT ROWID;
"""
_FINISH = """
INSERT INTO hits SELECT a.ecosystem, a.name, r.id, a.seq, r.modified, r.withdrawn, r.aliases,
       r.summary, a.ranges, a.versions, a.severity, a.severity_source, a.score, a.fixed_simple
  FROM temp.affected a JOIN temp.records r ON r.rid = a.rid
 ORDER BY a.ecosystem, a.name, r.id, a.seq;
"""
_SEP = "\x1f"


class Hit(NamedTuple):
    """One ``affected`` entry of one record, for the package asked about: the stored row,
    decoded on access (most rows only need their ranges)."""

    id: str
    aliases_text: str
    summary: str
    modified: str
    withdrawn_at: str | None
    ranges_text: str
    versions_text: str | None
    level: str
    severity_source: str
    score: float | None
    fixed_simple: str | None  # see simple_fix()

    @property
    def aliases(self) -> tuple[str, ...]:
        """Aliases and upstream ids, CVEs first."""
        return tuple(self.aliases_text.split(_SEP)) if self.aliases_text else ()

    @property
    def ranges(self) -> tuple[Range, ...]:
        return unpack_ranges(self.ranges_text)

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.versions_text.split(_SEP)) if self.versions_text else ()

    @property
    def severity(self) -> Severity:
        return _severity(self.level, self.severity_source, self.score)

    @property
    def withdrawn(self) -> bool:
        return bool(self.withdrawn_at)


def index_path(cache_dir: Path, fingerprint: str) -> Path:
    return cache_dir / f"osv-{fingerprint[:40]}-v{FORMAT}.sqlite"


def aliases_of(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Aliases and upstream ids (a DEBIAN-CVE record's CVE is in ``upstream``), CVEs first."""
    ids = [str(x) for key in ("aliases", "upstream") for x in record.get(key) or ()]
    unique = [i for i in dict.fromkeys(ids) if i != record.get("id")]
    return tuple(sorted(unique, key=lambda i: (not i.startswith("CVE-"), i)))


def build(dump: Dump, target: Path) -> int:
    """Index ``dump`` into ``target``; returns the number of records kept."""
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        count, ecosystems = _load(conn, dump)
        conn.executescript(_FINISH)
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("format", FORMAT), ("source", dump.label), ("records", str(count)),
            ("ecosystems", json.dumps(sorted(ecosystems)))])
        conn.commit()
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    os.replace(tmp, target)
    return count


def _load(conn: sqlite3.Connection, dump: Dump) -> tuple[int, set[str]]:
    ecosystems: set[str] = set()
    count = 0
    for name, raw in records(dump):
        for doc in _documents(raw, name, dump.label):
            if _insert(conn, doc, ecosystems):
                count += 1
    return count, ecosystems


def _documents(raw: bytes, name: str, label: str) -> Iterable[Mapping[str, Any]]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ConfigError(f"--ctrsec-vulndb: {label}: {name}: not JSON ({err})") from None
    docs = doc if isinstance(doc, list) else [doc]
    for d in docs:
        if not isinstance(d, dict) or not isinstance(d.get("id"), str):
            raise ConfigError(f"--ctrsec-vulndb: {label}: {name}: not an OSV record (no id)")
        wrong = schema.problem(d)
        if wrong:
            raise ConfigError(f"--ctrsec-vulndb: {label}: {name}: {d['id'][:80]}: not a valid "
                              f"OSV record: {wrong}")
        yield d


def _insert(conn: sqlite3.Connection, doc: Mapping[str, Any], ecosystems: set[str]) -> bool:
    """Store one record; a second copy of an id replaces the first only when it is newer.
    Returns whether a new id was stored."""
    modified = str(doc.get("modified", ""))
    row = (doc["id"], modified, doc.get("withdrawn"), _SEP.join(aliases_of(doc)),
           str(doc.get("summary") or "")[:300])
    cur = conn.execute("INSERT INTO records(id, modified, withdrawn, aliases, summary) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING", row)
    new = cur.rowcount == 1
    if new:
        rid = cur.lastrowid
    else:
        rid, stored = conn.execute("SELECT rid, modified FROM records WHERE id = ?",
                                   (doc["id"],)).fetchone()
        if stored >= modified:
            return False
        conn.execute("DELETE FROM affected WHERE rid = ?", (rid,))
        conn.execute("UPDATE records SET modified = ?, withdrawn = ?, aliases = ?, summary = ? "
                     "WHERE rid = ?", (*row[1:], rid))
    conn.executemany("INSERT INTO affected VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     _affected_rows(doc, rid, ecosystems))
    return new


def _affected_rows(doc: Mapping[str, Any], rid: int | None,
                   ecosystems: set[str]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for seq, entry in enumerate(doc.get("affected") or ()):
        pkg = (entry.get("package") or {}) if isinstance(entry, dict) else {}
        eco, name = str(pkg.get("ecosystem", "")), str(pkg.get("name", ""))
        if not (eco and name):
            continue
        ecosystems.add(eco)
        sev = of_record(doc, entry)
        versions = [str(v) for v in entry.get("versions") or ()]
        ranges = parse_ranges(entry.get("ranges") or ())
        rows.append((eco, query_name(eco, name), rid, seq, pack_ranges(ranges),
                     _SEP.join(versions) if versions else None, sev.level, sev.source, sev.score,
                     None if versions else simple_fix(ranges)))
    return rows


def simple_fix(ranges: tuple[Range, ...]) -> str | None:
    """Most distribution entries are one range ``introduced 0`` with at most one ``fixed``:
    stored as ``""`` (no fix) or the fixed version, so matching is one comparison. ``None``
    for every other shape (evaluated in full)."""
    if len(ranges) != 1 or ranges[0][0] != "ECOSYSTEM":
        return None
    events = ranges[0][1]
    if events == (("introduced", "0"),):
        return ""
    if len(events) == 2 and events[0] == ("introduced", "0") and events[1][0] == "fixed":
        return events[1][1]
    return None


@functools.lru_cache(maxsize=4096)
def _severity(level: str, source: str, score: float | None) -> Severity:
    return Severity(level, source, score)


class Index:
    """A built index, opened read-only."""

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        self.ecosystems: frozenset[str] = frozenset(json.loads(meta.get("ecosystems", "[]")))
        self.records = int(meta.get("records", "0"))

    def query(self, ecosystem: str, name: str) -> Iterator[Hit]:
        rows = self.conn.execute(
            "SELECT id, aliases, summary, modified, withdrawn, ranges, versions, severity, "
            "severity_source, score, fixed_simple FROM hits WHERE ecosystem = ? AND name = ?",
            (ecosystem, name))
        return map(Hit._make, rows)

    def close(self) -> None:
        self.conn.close()
