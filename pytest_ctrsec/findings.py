"""Findings: what a check reports, where, and masking of secret values."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
"""Severity names from most to least severe (SARIF/Trivy bands)."""


def severity_rank(severity: str) -> int:
    """Rank for comparisons: higher is more severe.

    >>> severity_rank("critical") > severity_rank("low")
    True
    """
    return len(SEVERITIES) - SEVERITIES.index(severity)


@dataclass(frozen=True)
class Location:
    """A place in a file: ``path`` as the user gave it, ``line`` 1-based when known."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line}


@dataclass(frozen=True)
class Finding:
    """One violation. ``severity`` overrides the check's default for this finding only
    (e.g. a capability that is critical where the check is high). Messages never hold a
    secret value in clear: build them with :func:`mask`."""

    message: str
    location: Location | None = None
    severity: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"message": self.message}
        out["location"] = self.location.to_json() if self.location else None
        if self.severity:
            out["severity"] = self.severity
        if self.extra:
            out.update(self.extra)
        return out


def mask(value: str) -> str:
    """Hide a secret value, keeping only enough to recognise its kind.

    >>> mask("hunter2hunter2")
    'hu************'
    >>> mask("abc")
    '***'
    """
    if len(value) < 8:
        return "*" * len(value)
    return value[:2] + "*" * min(len(value) - 2, 12)
