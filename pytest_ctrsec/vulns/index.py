"""The SQLite index of one OSV dump: built once per content hash, then only queried.

Each record is stored once (its identity, aliases, severity and summary), and each of its
``affected`` entries under ``(ecosystem, package name)``, the key a scan asks for. Building
writes a temporary file and renames it, so concurrent runs (pytest-xdist workers) never see a
half-built index.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .dumps import Dump, records
from .ecosystems import query_name

FORMAT = "1"  # bump when the schema or what is stored changes
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records(rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, modified TEXT NOT NULL,
                     withdrawn TEXT, doc TEXT NOT NULL);
CREATE TABLE affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL, rid INTEGER NOT NULL,
                      entry TEXT NOT NULL);
"""
_KEEP = ("id", "modified", "published", "withdrawn", "aliases", "upstream", "related", "summary",
         "severity", "database_specific")


@dataclass(frozen=True)
class Hit:
    """One ``affected`` entry of one record, for the package asked about."""

    record: Mapping[str, Any]  # id, aliases, upstream, summary, severity, ... (no affected)
    entry: Mapping[str, Any]
    ecosystem: str
    name: str
    withdrawn: bool = False


def index_path(cache_dir: Path, fingerprint: str) -> Path:
    return cache_dir / f"osv-{fingerprint[:40]}-v{FORMAT}.sqlite"


def build(dump: Dump, target: Path) -> int:
    """Index ``dump`` into ``target``; returns the number of records kept."""
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        count, ecosystems = _load(conn, dump)
        conn.execute("CREATE INDEX affected_key ON affected(ecosystem, name)")
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
        yield d


def _insert(conn: sqlite3.Connection, doc: Mapping[str, Any], ecosystems: set[str]) -> bool:
    """Store one record, replacing an older copy of the same id; False if it was older."""
    rid_row = conn.execute("SELECT rid, modified FROM records WHERE id = ?", (doc["id"],)).fetchone()
    modified = str(doc.get("modified", ""))
    if rid_row is not None:
        if rid_row[1] >= modified:
            return False
        conn.execute("DELETE FROM affected WHERE rid = ?", (rid_row[0],))
        conn.execute("DELETE FROM records WHERE rid = ?", (rid_row[0],))
    kept = {k: doc[k] for k in _KEEP if k in doc}
    cur = conn.execute("INSERT INTO records(id, modified, withdrawn, doc) VALUES (?, ?, ?, ?)",
                       (doc["id"], modified, doc.get("withdrawn"), json.dumps(kept)))
    rows = []
    for entry in doc.get("affected") or ():
        pkg = (entry.get("package") or {}) if isinstance(entry, dict) else {}
        eco, name = str(pkg.get("ecosystem", "")), str(pkg.get("name", ""))
        if eco and name:
            ecosystems.add(eco)
            rows.append((eco, query_name(eco, name), cur.lastrowid, json.dumps(entry)))
    conn.executemany("INSERT INTO affected VALUES (?, ?, ?, ?)", rows)
    return rid_row is None


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
            "SELECT r.doc, r.withdrawn, a.entry FROM affected a JOIN records r ON r.rid = a.rid "
            "WHERE a.ecosystem = ? AND a.name = ?", (ecosystem, name))
        for doc, withdrawn, entry in rows:
            yield Hit(json.loads(doc), json.loads(entry), ecosystem, name, bool(withdrawn))

    def close(self) -> None:
        self.conn.close()
