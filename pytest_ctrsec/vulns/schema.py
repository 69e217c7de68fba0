"""The shape of vulnerability data, checked before it is read: an OSV record before it is
indexed, a Trivy or Grype report before it is imported. Only the fields that are read are
checked, with the types the formats give them; data of another shape is named with the
field that is wrong (reading it would crash later, or match nothing silently)."""

from __future__ import annotations

import re
from typing import Any

# A spec is a type, a one-element list (a list of that spec), a dict (an object's fields,
# each optional) or a tuple (any one of its specs).
Spec = Any

_EVENT = {"introduced": str, "fixed": str, "last_affected": str, "limit": str}
_SEVERITY = [{"type": str, "score": str}]
_AFFECTED = {
    "package": {"ecosystem": str, "name": str},
    "versions": [str],
    "ranges": [{"type": str, "events": [_EVENT]}],
    "severity": _SEVERITY,
    "ecosystem_specific": dict,
    "database_specific": dict,
}
RECORD = {
    "modified": str, "withdrawn": str, "summary": str, "aliases": [str], "upstream": [str],
    "severity": _SEVERITY, "database_specific": dict, "affected": [_AFFECTED],
}
_TRIVY_VULN = {"VulnerabilityID": str, "PkgName": str, "InstalledVersion": str, "SrcName": str,
               "SrcVersion": str, "FixedVersion": str, "Status": str, "Severity": str,
               "SeveritySource": str, "VendorIDs": [str], "Title": str,
               "PkgIdentifier": {"PURL": str}}
TRIVY = {"ArtifactName": str, "Metadata": {"ImageID": str, "RepoTags": [str], "RepoDigests": [str]},
         "Results": [{"Type": str, "Vulnerabilities": [_TRIVY_VULN]}]}
_GRYPE_MATCH = {
    "vulnerability": {"id": str, "severity": str, "namespace": str, "description": str,
                      "fix": {"versions": [str], "state": str}},
    "artifact": {"name": str, "version": str, "type": str, "purl": str,
                 "upstreams": [{"name": str}]},
    "relatedVulnerabilities": [{"id": str}],
}
GRYPE = {"source": {"target": ({"userInput": str, "imageID": str, "manifestDigest": str,
                                "tags": [str], "repoDigests": [str]}, str)},
         "matches": [_GRYPE_MATCH]}
# OSV versions are stored joined by control characters (see osv.pack_ranges); none is real.
_CONTROL = re.compile(r"[\x00-\x1f]")
_VERSION_FIELDS = frozenset({"versions", *_EVENT})


def problem(record: dict[str, Any], spec: Spec = RECORD) -> str | None:
    """What is wrong with the shape of ``record`` (``None``: nothing). Checked fast first;
    the path of the wrong field is worked out only for data that has one."""
    return None if _ok(record, spec, False) else _check(record, spec, "")


def _ok(value: Any, spec: Spec, version: bool) -> bool:
    if spec is str:
        return value.__class__ is str and not (version and _CONTROL.search(value))
    if isinstance(spec, dict):
        if value.__class__ is not dict:
            return False
        for key, sub in spec.items():
            item = value.get(key)
            if item is not None and not _ok(item, sub, key in _VERSION_FIELDS):
                return False
        return True
    if isinstance(spec, list):
        return value.__class__ is list and all(_ok(v, spec[0], version) for v in value)
    if isinstance(spec, tuple):
        return any(_ok(value, alt, version) for alt in spec)
    return isinstance(value, spec)


def _check(value: Any, spec: Spec, where: str) -> str | None:
    if isinstance(spec, tuple):
        problems = [_check(value, alt, where) for alt in spec]
        return None if None in problems else problems[0]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for key, sub in spec.items():
            if value.get(key) is not None:
                found = _check(value[key], sub, f"{where}.{key}" if where else key)
                if found:
                    return found
        return None
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{where} is not a list"
        for i, item in enumerate(value):
            found = _check(item, spec[0], f"{where}[{i}]")
            if found:
                return found
        return None
    if not isinstance(value, spec):
        return f"{where} is not {'a string' if spec is str else 'an object'}"
    if spec is str and where.rsplit(".", 1)[-1].split("[")[0] in _VERSION_FIELDS \
            and _CONTROL.search(value):
        return f"{where} holds a control character"
    return None
