"""Vulnerability reports already produced by Trivy (``trivy image -f json``) or Grype
(``grype -o json``), used instead of the OSV database (``--ctrsec-scan-report``).

A report belongs to an image when it names the same image id, a shared repo digest or tag,
or the reference as given; an image no report names is not judged (never a silent pass).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..limits import MiB, TooLarge, read_capped
from ..inventory.model import Package
from . import schema
from .matcher import merge_per_package
from .model import FIXED, NOT_FIXED, UNKNOWN_FIX, WONT_FIX, Vulnerability
from .severity import from_word

MAX_BYTES = 256 * MiB  # a report of every package of a large image is tens of megabytes
TRIVY_STATUS = {"fixed": FIXED, "affected": NOT_FIXED, "will_not_fix": WONT_FIX,
                "fix_deferred": NOT_FIXED, "end_of_life": WONT_FIX, "under_investigation": UNKNOWN_FIX,
                "unknown": UNKNOWN_FIX}
GRYPE_STATE = {"fixed": FIXED, "not-fixed": NOT_FIXED, "wont-fix": WONT_FIX, "unknown": UNKNOWN_FIX}
_PURL_TYPES = {"alpine": "apk", "wolfi": "apk", "chainguard": "apk", "debian": "deb",
               "ubuntu": "deb", "python-pkg": "pypi", "pip": "pypi", "pipenv": "pypi",
               "poetry": "pypi", "python": "pypi", "node-pkg": "npm", "npm": "npm",
               "yarn": "npm"}


@dataclass(frozen=True)
class ScanReport:
    """One imported report: whose image it describes and what it found."""

    path: str
    tool: str  # trivy or grype
    names: frozenset[str]  # image ids, digests, tags and the scanned reference
    vulnerabilities: tuple[Vulnerability, ...]

    def describes(self, ref: str, digest: str, tags: Iterable[str], digests: Iterable[str]) -> bool:
        wanted = {ref, digest, *tags, *digests}
        wanted |= {d.split("@", 1)[1] for d in digests if "@" in d}
        return bool(self.names & {w for w in wanted if w})


def load(path: str) -> ScanReport:
    """Read a Trivy or Grype JSON report; anything else is a ConfigError naming the file."""
    try:
        doc = json.loads(read_capped(path, MAX_BYTES).decode("utf-8"))
    except OSError as err:
        raise ConfigError(f"--ctrsec-scan-report: {path}: {err.strerror or err}") from None
    except TooLarge as err:
        raise ConfigError(f"--ctrsec-scan-report: {path}: {err}") from None
    except ValueError as err:
        raise ConfigError(f"--ctrsec-scan-report: {path}: not JSON ({err})") from None
    if isinstance(doc, dict) and "Results" in doc or isinstance(doc, dict) and "ArtifactName" in doc:
        return _trivy(_checked(doc, schema.TRIVY, "Trivy", path), path)
    if isinstance(doc, dict) and "matches" in doc:
        return _grype(_checked(doc, schema.GRYPE, "Grype", path), path)
    raise ConfigError(f"--ctrsec-scan-report: {path}: neither a Trivy (-f json) nor a Grype "
                      "(-o json) report")


def _checked(doc: dict[str, Any], spec: schema.Spec, tool: str, path: str) -> dict[str, Any]:
    wrong = schema.problem(doc, spec)
    if wrong:
        raise ConfigError(f"--ctrsec-scan-report: {path}: not a valid {tool} report: {wrong}")
    return doc


def _strings(*values: Any) -> set[str]:
    out: set[str] = set()
    for v in values:
        if isinstance(v, str) and v:
            out.add(v)
        elif isinstance(v, list):
            out |= {x for x in v if isinstance(x, str) and x}
    return out


def _trivy(doc: Mapping[str, Any], path: str) -> ScanReport:
    meta = doc.get("Metadata") or {}
    names = _strings(doc.get("ArtifactName"), meta.get("ImageID"), meta.get("RepoTags"),
                     meta.get("RepoDigests"))
    found: list[Vulnerability] = []
    for result in doc.get("Results") or ():
        kind = str(result.get("Type", ""))
        for v in result.get("Vulnerabilities") or ():
            found.append(_trivy_vuln(v, kind, path))
    return ScanReport(path, "trivy", frozenset(_with_digests(names)), merge_per_package(found))


def _trivy_vuln(v: Mapping[str, Any], kind: str, path: str) -> Vulnerability:
    ident = v.get("PkgIdentifier") or {}
    pkg = Package(_PURL_TYPES.get(kind, kind), str(v.get("PkgName", "")),
                  str(v.get("InstalledVersion", "")), str(v.get("SrcName") or v.get("PkgName", "")),
                  str(v.get("SrcVersion") or v.get("InstalledVersion", "")), path=path,
                  purl=str(ident.get("PURL", "")))
    fixed = str(v.get("FixedVersion") or "")
    status = TRIVY_STATUS.get(str(v.get("Status", "")).lower(), FIXED if fixed else NOT_FIXED)
    sev = from_word(str(v.get("Severity", "")), f"Trivy ({v.get('SeveritySource') or 'severity'})")
    vendor = [x for x in v.get("VendorIDs") or () if isinstance(x, str)]
    return Vulnerability(id=str(v.get("VulnerabilityID", "")), package=pkg, aliases=tuple(vendor),
                         ecosystem=kind, compared_name=pkg.source_name,
                         compared_version=pkg.version, fixed_version=fixed, fix_state=status,
                         severity=sev.level, severity_source=sev.source,
                         summary=str(v.get("Title", "")), origin="trivy")


def _grype(doc: Mapping[str, Any], path: str) -> ScanReport:
    target = (doc.get("source") or {}).get("target") or {}
    names = _strings(target.get("userInput"), target.get("imageID"), target.get("manifestDigest"),
                     target.get("tags"), target.get("repoDigests")) if isinstance(target, dict) else set()
    found = [_grype_vuln(m, path) for m in doc.get("matches") or ()]
    return ScanReport(path, "grype", frozenset(_with_digests(names)), merge_per_package(found))


def _grype_vuln(m: Mapping[str, Any], path: str) -> Vulnerability:
    vuln, art = m.get("vulnerability") or {}, m.get("artifact") or {}
    upstreams = [u.get("name") for u in art.get("upstreams") or () if isinstance(u, dict)]
    pkg = Package(_PURL_TYPES.get(str(art.get("type", "")), str(art.get("type", ""))),
                  str(art.get("name", "")), str(art.get("version", "")),
                  str(upstreams[0] if upstreams else art.get("name", "")), str(art.get("version", "")),
                  path=path, purl=str(art.get("purl", "")))
    fix = vuln.get("fix") or {}
    versions = [str(x) for x in fix.get("versions") or ()]
    related = [str(r.get("id")) for r in m.get("relatedVulnerabilities") or ()
               if isinstance(r, dict) and r.get("id")]
    sev = from_word(str(vuln.get("severity", "")), "Grype")
    return Vulnerability(id=str(vuln.get("id", "")), package=pkg,
                         aliases=tuple(r for r in dict.fromkeys(related) if r != vuln.get("id")),
                         ecosystem=str(vuln.get("namespace", "")), compared_name=pkg.source_name,
                         compared_version=pkg.version, fixed_version=versions[0] if versions else "",
                         fix_state=GRYPE_STATE.get(str(fix.get("state", "")), UNKNOWN_FIX),
                         severity=sev.level, severity_source=sev.source,
                         summary=str(vuln.get("description", ""))[:200], origin="grype")


def _with_digests(names: set[str]) -> set[str]:
    """``repo@sha256:...`` also answers to its bare digest."""
    return names | {n.split("@", 1)[1] for n in names if "@" in n}


