"""Known vulnerabilities of an image's packages, offline.

Two sources feed the same results: the OSV database (``--ctrsec-vulndb``: osv.dev's
per-ecosystem ``all.zip`` dumps or OSV JSON files, indexed once into a SQLite cache) matched
against the image's package inventory, or reports Trivy or Grype already wrote
(``--ctrsec-scan-report``)::

    source = source_for(vulndb="osv/", cache_dir=".cache/ctrsec")
    result = source.scan(image)          # ScanResult
    for v in result.vulnerabilities:
        print(v.package.name, v.id, v.severity, v.fixed_version or "no fix")
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import CannotEvaluate
from ..inventory import packages_of
from .database import OsvDatabase, default_cache_dir
from .matcher import match, merge_per_package
from .model import FIXED, NOT_FIXED, UNKNOWN_FIX, WONT_FIX, ScanResult, Vulnerability
from .reports import ScanReport, load

__all__ = ["FIXED", "NOT_FIXED", "UNKNOWN_FIX", "WONT_FIX", "OsvDatabase", "OsvSource",
           "ReportSource", "ScanResult", "VulnSource", "Vulnerability", "default_cache_dir",
           "source_for", "source_from_options"]


class VulnSource(Protocol):
    label: str

    def scan(self, image: Any) -> ScanResult: ...


class _PerImage:
    """Results kept per image digest: the check and user tests share one scan."""

    def __init__(self) -> None:
        self._results: dict[str, ScanResult] = {}
        self._lock = threading.Lock()

    def scan(self, image: Any) -> ScanResult:
        key = image.digest
        with self._lock:
            if key not in self._results:
                self._results[key] = self._scan(image)
            return self._results[key]

    def _scan(self, image: Any) -> ScanResult:
        raise NotImplementedError


class OsvSource(_PerImage):
    """The offline OSV database matched against the image's inventory."""

    def __init__(self, db: OsvDatabase, label: str) -> None:
        super().__init__()
        self.db = db
        self.label = label

    def _scan(self, image: Any) -> ScanResult:
        inv = packages_of(image)
        if not inv.packages and not inv.problems:
            what = f"{inv.os.id} {inv.os.version_id}" if inv.os else "no OS release file"
            return ScanResult((), (f"no package database or language package metadata found "
                                   f"({what}); nothing could be matched",), 0, self.label)
        result = match(inv, self.db)
        return ScanResult(result.vulnerabilities, result.unscanned, result.scanned_packages,
                          self.label)


class ReportSource(_PerImage):
    """Trivy or Grype JSON reports; each image takes the reports that name it."""

    def __init__(self, reports: Sequence[ScanReport]) -> None:
        super().__init__()
        self.reports = tuple(reports)
        self.label = ", ".join(r.path for r in reports)

    def _scan(self, image: Any) -> ScanResult:
        mine = [r for r in self.reports
                if r.describes(image.ref, image.digest, image.repo_tags, image.repo_digests)]
        if not mine:
            return ScanResult((), (f"no scan report names this image (id {image.digest[:19]}); "
                                   f"reports given: {self.label}",), 0, self.label)
        found = merge_per_package(v for report in mine for v in report.vulnerabilities)
        packages = {(v.package.type, v.package.name, v.package.version) for v in found}
        return ScanResult(found, (), len(packages), ", ".join(r.path for r in mine))


class CombinedSource(_PerImage):
    """Both an OSV database and reports: every vulnerability either one knows."""

    def __init__(self, parts: Sequence[VulnSource]) -> None:
        super().__init__()
        self.parts = tuple(parts)
        self.label = " + ".join(p.label for p in parts)

    def _scan(self, image: Any) -> ScanResult:
        results = [p.scan(image) for p in self.parts]
        found = merge_per_package(v for r in results for v in r.vulnerabilities)
        covered = [r for r in results if not r.unscanned]
        unscanned = () if covered else tuple(u for r in results for u in r.unscanned)
        return ScanResult(found, unscanned, max(r.scanned_packages for r in results), self.label)


_SOURCES: dict[tuple[str, str, tuple[str, ...]], VulnSource] = {}
_SOURCES_LOCK = threading.Lock()


def source_for(vulndb: str | None = None, cache_dir: Path | str | None = None,
               reports: Sequence[str] = ()) -> VulnSource | None:
    """The vulnerability source for these settings, opened once per process (indexing the
    OSV dumps on first use). ``None`` when neither a database nor a report is given."""
    if not vulndb and not reports:
        return None
    cache = str(cache_dir or default_cache_dir())
    key = (vulndb or "", cache, tuple(reports))
    with _SOURCES_LOCK:
        if key not in _SOURCES:
            parts: list[VulnSource] = []
            if vulndb:
                parts.append(OsvSource(OsvDatabase.open(vulndb, cache), f"OSV {vulndb}"))
            if reports:
                parts.append(ReportSource([load(p) for p in reports]))
            _SOURCES[key] = parts[0] if len(parts) == 1 else CombinedSource(parts)
        return _SOURCES[key]


def source_from_options(opts: Any, cache_dir: Path | str | None = None) -> VulnSource | None:
    """:func:`source_for` from run options (``vulndb``, ``vulndb_cache``, ``scan_report``);
    ``--ctrsec-vulndb-cache`` wins over ``cache_dir`` (the plugin passes pytest's cache)."""
    return source_for(getattr(opts, "vulndb", None),
                      getattr(opts, "vulndb_cache", None) or cache_dir,
                      tuple(getattr(opts, "scan_report", ()) or ()))


def vulnerabilities_of(image: Any, source: VulnSource | None) -> tuple[Vulnerability, ...]:
    """For user tests (``ctrsec_image.vulnerabilities``): every vulnerability found, or a
    :class:`CannotEvaluate` saying why none can be (no source, nothing scanned)."""
    if source is None:
        raise CannotEvaluate("no vulnerability data: pass --ctrsec-vulndb=DIR (OSV dumps) or "
                             "--ctrsec-scan-report=FILE (Trivy or Grype JSON)")
    result = source.scan(image)
    if not result.vulnerabilities and result.unscanned:
        raise CannotEvaluate("; ".join(result.unscanned))
    return result.vulnerabilities
