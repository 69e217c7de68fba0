"""Vulnerabilities found in an image: one per (installed package, advisory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..inventory.model import Package

FIXED, NOT_FIXED, WONT_FIX, UNKNOWN_FIX = "fixed", "not-fixed", "wont-fix", "unknown"


@dataclass(frozen=True)
class Vulnerability:
    """``id`` is the advisory (OSV id, or the scanner's id for imported reports) and
    ``aliases`` its other names (CVE ids first). ``compared_version`` is the version matched
    against the advisory: a distribution package's source version. ``fixed_version`` is
    empty when no fix is known; ``fix_state`` is ``fixed``, ``not-fixed``, ``wont-fix`` or
    ``unknown``. ``severity`` is one of critical, high, medium, low, negligible, unknown."""

    id: str
    package: Package
    aliases: tuple[str, ...] = ()
    ecosystem: str = ""
    compared_name: str = ""
    compared_version: str = ""
    fixed_version: str = ""
    fix_state: str = NOT_FIXED
    severity: str = "unknown"
    severity_source: str = ""
    score: float | None = None
    summary: str = ""
    last_affected: str = ""
    origin: str = "osv"  # osv, trivy or grype

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple(i for i in self.ids if i.startswith("CVE-"))

    @property
    def fixed(self) -> bool:
        return self.fix_state == FIXED

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "aliases": list(self.aliases), "package": self.package.name,
                "type": self.package.type, "installed_version": self.package.version,
                "compared": f"{self.compared_name} {self.compared_version}".strip(),
                "ecosystem": self.ecosystem, "fixed_version": self.fixed_version or None,
                "fix_state": self.fix_state, "severity": self.severity,
                "severity_source": self.severity_source, "purl": self.package.purl}


@dataclass(frozen=True)
class ScanResult:
    """What a scan found, and what it could not cover (``unscanned``: reasons, each naming
    the packages or data left out), so that "nothing found" is never a silent guess."""

    vulnerabilities: tuple[Vulnerability, ...]
    unscanned: tuple[str, ...] = ()
    scanned_packages: int = 0
    source: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)
