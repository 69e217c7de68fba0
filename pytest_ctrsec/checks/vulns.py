"""image.no-known-vulnerabilities: installed packages against known advisories.

The vulnerability data comes in as the ``source`` option (an OSV database or imported
Trivy/Grype reports, see :mod:`pytest_ctrsec.vulns`), so the rule itself only decides what
counts: the severity threshold, fixed-only, and advisories accepted through waivers whose
check is ``image.no-known-vulnerabilities/<advisory id or glob>``::

    waivers:
      - check: image.no-known-vulnerabilities/CVE-2024-6119
        target: "image:registry.example/app:*"
        reason: the affected X.509 name check is unreachable in this service
        expires: 2026-03-31
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from ..catalog import check
from ..errors import CannotEvaluate, ConfigError
from ..findings import Finding
from ..targets.image.model import Image
from ..vulns import VulnSource, Vulnerability, source_from_options
from ..vulns.ecosystems import OS_TYPES
from ..vulns.severity import AS_FINDING, rank
from ..waivers import Waiver

CHECK_ID = "image.no-known-vulnerabilities"
THRESHOLDS = ("critical", "high", "medium", "low", "negligible")
_SHOWN_UNSCANNED = 3


def runtime_options(opts: object, waivers: Sequence[Waiver] = (),
                    cache_dir: str | None = None) -> dict[str, object]:
    """The options the plugin adds to this check's configured ones: the vulnerability source
    of ``--ctrsec-vulndb``/``--ctrsec-scan-report`` (opened, and indexed on first use, once per
    process; a bad database or report is a ConfigError) and the waivers that accept single
    advisories. Users set ``min_severity``, ``only_fixed`` and ``unknown_severity`` with
    ``--ctrsec-check-option``."""
    accepted = tuple(w for w in waivers if w.check.startswith(CHECK_ID + "/"))
    return {"source": source_from_options(opts, cache_dir), "accepted": accepted}


def accepted_by(vuln: Vulnerability, target: str, accepted: Sequence[Waiver],
                today: dt.date | None = None) -> Waiver | None:
    """The waiver accepting this advisory on this image: an unexpired one first, else an
    expired one (so the finding can say so)."""
    found = [w for w in accepted for vid in vuln.ids if w.matches(f"{CHECK_ID}/{vid}", target)]
    live = [w for w in found if not w.expired(today)]
    chosen = live or found
    return chosen[0] if chosen else None


def _level(vuln: Vulnerability, unknown_severity: str) -> str:
    return unknown_severity if vuln.severity == "unknown" else vuln.severity


def _threshold(name: str) -> str:
    value = "negligible" if name == "info" else name
    if value not in THRESHOLDS:
        raise ConfigError(f"{CHECK_ID}: severity threshold {name!r} is not one of "
                          f"{', '.join(THRESHOLDS)}")
    return value


def _message(v: Vulnerability, level: str) -> str:
    pkg = v.package
    ids = v.id + (f" ({', '.join(v.aliases[:3])})" if v.aliases else "")
    fix = (f"fixed in {v.fixed_version}" if v.fixed_version else
           {"wont-fix": "will not be fixed", "unknown": "fix state unknown"}.get(
               v.fix_state, "no fix yet" + (f" (last affected {v.last_affected})"
                                            if v.last_affected else "")))
    compared = ""
    # Only OS packages are looked up by another (source) package; a language package's
    # compared name is its own, normalised (Django -> django), which is no source.
    if pkg.type in OS_TYPES and v.compared_name and (
            v.compared_name, v.compared_version) != (pkg.name, pkg.version):
        compared = f" (source {v.compared_name} {v.compared_version})"
    rated = level if level == v.severity else f"{level}, rated {v.severity}"
    return f"{pkg.name} {pkg.version}{compared}: {ids}, {rated}, {fix}"


def _finding(v: Vulnerability, level: str, waiver: Waiver | None) -> Finding:
    """The advisory as a finding. One accepted by a live waiver stays in the report as an
    ``info`` finding carrying the waiver under ``accepted`` (the runner waives a result whose
    findings are all accepted), so an acceptance is visible and counts as used."""
    message = _message(v, level)
    extra: dict[str, object] = {"vulnerability": {**v.to_json(), "counted_as": level}}
    severity = AS_FINDING.get(level, "high")
    if waiver is not None:
        extra["accepted"] = waiver.to_json()
        if waiver.expired():
            message += f"; its acceptance expired on {waiver.expires} ({waiver.source})"
        else:
            message += f"; accepted: {waiver.reason} ({waiver.source})"
            severity = "info"
    return Finding(message, severity=severity, extra=extra)


@check(CHECK_ID, title="No known vulnerabilities in installed packages", severity="high",
       model="image", refs=("CIS 4.4",),
       options={"source": None, "min_severity": "low", "only_fixed": False,
                "unknown_severity": "high", "accepted": ()},
       remediation="Rebuild the image on a patched base and upgrade the listed packages to "
                   "their fixed versions; accept what cannot be fixed with a waiver on "
                   "`image.no-known-vulnerabilities/<advisory id>` with a reason and expiry.")
def no_known_vulnerabilities(image: Image, source: VulnSource | None = None,
                             min_severity: str = "low", only_fixed: bool = False,
                             unknown_severity: str = "high",
                             accepted: Sequence[Waiver] = ()) -> Iterator[Finding]:
    """One finding per (package, advisory) at or above ``min_severity`` (``unknown`` counts
    as ``unknown_severity``); ``only_fixed`` keeps those with a fixed version."""
    if source is None:
        raise CannotEvaluate("no vulnerability data: pass --ctrsec-vulndb=DIR (OSV dumps) or "
                             "--ctrsec-scan-report=FILE (Trivy or Grype JSON)")
    floor = rank(_threshold(min_severity))
    if unknown_severity not in THRESHOLDS:
        raise ConfigError(f"{CHECK_ID}: unknown_severity {unknown_severity!r} is not one of "
                          f"{', '.join(THRESHOLDS)}")
    result = source.scan(image)
    target = f"image:{image.ref}"
    findings = []
    for v in result.vulnerabilities:
        level = _level(v, unknown_severity)
        if rank(level) < floor or only_fixed and not v.fixed:
            continue
        findings.append(_finding(v, level, accepted_by(v, target, accepted)))
    if result.unscanned:
        what = "; ".join(result.unscanned[:_SHOWN_UNSCANNED])
        more = len(result.unscanned) - _SHOWN_UNSCANNED
        what += f"; and {more} more" if more > 0 else ""
        if all(f.accepted for f in findings):
            raise CannotEvaluate(f"not everything could be checked: {what}")
        findings.append(Finding(f"not checked: {what}", severity="info",
                                extra={"unscanned": list(result.unscanned)}))
    yield from findings


