"""Findings: what a check reports, where, and masking of secret values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
"""Severity names from most to least severe (SARIF/Trivy bands)."""


def severity_rank(severity: str) -> int:
    """Rank for comparisons: higher is more severe.

    >>> severity_rank("critical") > severity_rank("low")
    True
    """
    return len(SEVERITIES) - SEVERITIES.index(severity)


@dataclass(frozen=True, init=False)
class Location:
    """A place in a file: ``path`` as the user gave it, ``line`` 1-based when known."""

    path: str
    line: int | None = None

    def __init__(self, path: str, line: int | None = None) -> None:
        # Made by the tens of thousands on a corpus: the frozen dataclass's generated
        # __init__ (object.__setattr__ per field) cost twice as much. Same fields.
        fields = self.__dict__
        fields["path"] = path
        fields["line"] = line

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line}


_NEW: Any = object()  # "a new empty dict", Finding.extra's default


@dataclass(frozen=True, init=False)
class Finding:
    """One violation. ``severity`` overrides the check's default for this finding only
    (e.g. a capability that is critical where the check is high). Messages never hold a
    secret value in clear: build them with :func:`mask`."""

    message: str
    location: Location | None = None
    severity: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def __init__(self, message: str, location: Location | None = None,
                 severity: str | None = None, extra: dict[str, object] | Any = _NEW) -> None:
        # As Location's: one per failure of every check on every target of a corpus.
        fields = self.__dict__
        fields["message"] = message
        fields["location"] = location
        fields["severity"] = severity
        fields["extra"] = {} if extra is _NEW else extra

    @property
    def accepted(self) -> dict[str, Any] | None:
        """The live waiver (as in the JSON report) accepting this finding alone: a check
        judging many items, such as advisories, accepts single ones through
        ``<check>/<item>`` waivers and keeps them in its findings, marked."""
        waiver: Any = self.extra.get("accepted") if self.extra else None
        return waiver if waiver and not waiver.get("expired") else None

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
