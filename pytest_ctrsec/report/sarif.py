"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run per target kind (``automationDetails.id`` = ``ctrsec/<kind>/``), one result per
finding of a failed or waived check (waived ones carry a suppression with the reason), and
every result anchored to a file with a line >= 1: the Dockerfile, Compose file or manifest
where the finding is; a target read from an engine or a cluster (an image, a container, the
daemon) has no file, so it is anchored to the stable pseudo-path
``ctrsec-targets/<kind>/<name>`` at line 1, and the target is named in the message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from .. import __version__
from ..catalog import registry

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
          "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0",
                     "info": "0.0"}
ANCHOR_ROOT = "ctrsec-targets"


def document(rows: Iterable[Mapping[str, Any]], base: Path | None = None) -> dict[str, Any]:
    """The SARIF log of a run's result rows (the JSON report's ``results``)."""
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["target_kind"], []).append(row)
    runs = [_run(kind, kind_rows, base or Path.cwd()) for kind, kind_rows in sorted(by_kind.items())]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def write(path: str, rows: Iterable[Mapping[str, Any]]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document(rows), indent=2) + "\n", encoding="utf-8")


def _run(kind: str, rows: list[Mapping[str, Any]], base: Path) -> dict[str, Any]:
    rule_ids = sorted({r["check"] for r in rows})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = [res for row in rows if row["outcome"] in ("failed", "waived")
               for res in _results(row, index[row["check"]], base)]
    rules = [_rule(rid, next(r for r in rows if r["check"] == rid)) for rid in rule_ids]
    return {
        "tool": {"driver": {"name": "pytest-ctrsec", "version": __version__,
                            "informationUri": "https://pypi.org/project/pytest-ctrsec/",
                            "rules": rules}},
        "automationDetails": {"id": f"ctrsec/{kind}/"},
        "results": results,
    }


def _rule(check_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
    chk = registry().get(check_id)
    title = row["title"]
    refs = list(row["refs"])
    remediation = chk.remediation if chk and chk.remediation else title
    severity = chk.severity if chk else row["severity"]
    ref_text = f" References: {', '.join(refs)}." if refs else ""
    return {
        "id": check_id,
        "name": "".join(p.capitalize() for p in re.split(r"[.\-_]", check_id)),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title}.{ref_text}"},
        "help": {"text": f"{remediation}{ref_text}",
                 "markdown": f"**{title}**\n\n{remediation}\n\n{ref_text.strip()}".strip()},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {"tags": ["security", *refs], "precision": "high",
                       "security-severity": SECURITY_SEVERITY[severity]},
    }


def _results(row: Mapping[str, Any], rule_index: int, base: Path) -> list[dict[str, Any]]:
    findings = row["findings"] or [{"message": row["title"], "location": None}]
    out = []
    for finding in findings:
        sev = finding.get("severity") or row["severity"]
        uri, line = _anchor(row, finding.get("location"), base)
        result: dict[str, Any] = {
            "ruleId": row["check"],
            "ruleIndex": rule_index,
            "level": LEVELS[sev],
            "message": {"text": f"{finding['message']} ({row['target']})"},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": uri},
                                     "region": {"startLine": line}},
                "logicalLocations": [{"fullyQualifiedName": row["target"]}],
            }],
            "partialFingerprints": {"ctrsecFinding/v1": _fingerprint(row, finding)},
            "properties": {"target": row["target"], "severity": sev},
        }
        if row["outcome"] == "waived" and row.get("waiver"):
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": row["waiver"]["reason"]}]
        out.append(result)
    return out


def _anchor(row: Mapping[str, Any], location: Mapping[str, Any] | None,
            base: Path) -> tuple[str, int]:
    if location and location.get("path") and location["path"] != "-":
        return _uri(location["path"], base), max(int(location.get("line") or 1), 1)
    return pseudo_path(row["target"]), 1


def pseudo_path(target: str) -> str:
    """The stable anchor of a target with no file.

    >>> pseudo_path("image:registry.example/app:1.4")
    'ctrsec-targets/image/registry.example/app_1.4'
    """
    kind, _, name = target.partition(":")
    safe = re.sub(r"[^A-Za-z0-9._/\-]", "_", name).strip("/") or "target"
    safe = "/".join(part for part in safe.split("/") if part not in ("", ".", ".."))
    return f"{ANCHOR_ROOT}/{kind}/{safe}"


def _uri(path: str, base: Path) -> str:
    """A repository-relative URI when the file is under the working directory."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(base)
        except ValueError:
            return p.as_uri()
    return str(PurePosixPath(*p.parts)) if p.parts else path


def _fingerprint(row: Mapping[str, Any], finding: Mapping[str, Any]) -> str:
    key = "\0".join([row["check"], row["target"], finding["message"]])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


