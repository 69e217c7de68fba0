"""Severity of an advisory: from a CVSS vector when the record has one (the ``cvss``
package scores v2, v3.x and v4.0), else from the ecosystem's own rating (Debian's urgency,
Ubuntu's priority, GitHub's database severity), else ``unknown``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

LEVELS = ("critical", "high", "medium", "low", "negligible", "unknown")
# Vulnerability levels as finding severities (findings.SEVERITIES); unknown is decided by
# the caller (it counts as high unless configured otherwise).
AS_FINDING = {"critical": "critical", "high": "high", "medium": "medium", "low": "low",
              "negligible": "info"}

# Debian security tracker urgencies (``ecosystem_specific.urgency`` in OSV Debian records);
# the starred forms are the tracker's "(derived)" variants.
DEBIAN_URGENCY = {"unimportant": "negligible", "low": "low", "low*": "low", "low**": "low",
                  "medium": "medium", "medium*": "medium", "medium**": "medium",
                  "high": "high", "high*": "high", "high**": "high"}
WORDS = {"critical": "critical", "high": "high", "important": "high", "moderate": "medium",
         "medium": "medium", "low": "low", "negligible": "negligible", "none": "negligible",
         "unimportant": "negligible", "untriaged": "unknown", "unknown": "unknown"}
_VECTOR_ORDER = {"CVSS_V4": 3, "CVSS_V3": 2, "CVSS_V2": 1}


@dataclass(frozen=True)
class Severity:
    level: str  # one of LEVELS
    source: str = ""  # e.g. "CVSS:3.1 9.8", "Debian urgency low"
    score: float | None = None


UNKNOWN = Severity("unknown", "no rating")


def rank(level: str) -> int:
    """Higher is more severe; unknown ranks lowest here (callers map it first)."""
    return len(LEVELS) - LEVELS.index(level) if level in LEVELS else 0


@functools.lru_cache(maxsize=4096)
def from_cvss(kind: str, vector: str) -> Severity | None:
    """The base severity of one OSV ``severity`` entry, or ``None`` when malformed."""
    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return Severity(_level(str(v4.severity)), f"CVSS:4.0 {v4.base_score}", float(v4.base_score))
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            score = float(v3.scores()[0])
            return Severity(_level(v3.severities()[0]), f"{vector.split('/', 1)[0]} {score}", score)
        if kind == "CVSS_V2":
            score = float(CVSS2(vector).scores()[0])
            return Severity(_v2_level(score), f"CVSS:2.0 {score}", score)
    except (CVSSError, ValueError, TypeError, KeyError):
        return None
    return None


def _level(word: str) -> str:
    return WORDS.get(word.strip().lower(), "unknown")


def _v2_level(score: float) -> str:
    """CVSS v2 defines no names; NVD's bands are used."""
    return "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"


def best_cvss(entries: Iterable[Mapping[str, Any]]) -> Severity | None:
    """The newest CVSS version's rating among OSV ``severity`` entries."""
    found = []
    for e in entries:
        kind, vector = str(e.get("type", "")), str(e.get("score", ""))
        if kind in _VECTOR_ORDER:
            sev = from_cvss(kind, vector)
            if sev is not None:
                found.append((_VECTOR_ORDER[kind], sev))
    return max(found, key=lambda x: (x[0], x[1].score or 0))[1] if found else None


def of_record(record: Mapping[str, Any], entry: Mapping[str, Any]) -> Severity:
    """An affected entry's own CVSS, else the record's, else the ecosystem's rating."""
    for entries in (entry.get("severity") or (), record.get("severity") or ()):
        sev = best_cvss(entries)
        if sev is not None:
            return sev
    urgency = str((entry.get("ecosystem_specific") or {}).get("urgency", "")).strip().lower()
    if urgency in DEBIAN_URGENCY:
        return Severity(DEBIAN_URGENCY[urgency], f"Debian urgency {urgency}")
    for entries in (entry.get("severity") or (), record.get("severity") or ()):
        for e in entries:
            if e.get("type") == "Ubuntu" and _level(str(e.get("score", ""))) != "unknown":
                return Severity(_level(str(e["score"])), f"Ubuntu priority {e['score']}")
    word = str((record.get("database_specific") or {}).get("severity", ""))
    if _level(word) != "unknown":
        return Severity(_level(word), f"database severity {word}")
    return UNKNOWN


def from_word(word: str, source: str) -> Severity:
    """A scanner's own rating (Trivy's CRITICAL ... UNKNOWN, Grype's Negligible ...)."""
    return Severity(_level(word), source) if word else UNKNOWN
