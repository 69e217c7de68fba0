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
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..catalog import registry

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
          "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0",
                     "info": "0.0"}
ANCHOR_ROOT = "ctrsec-targets"
BASE_ID = "%SRCROOT%"
FINGERPRINT = "ctrsecFinding/v1"
_LINE_NUMBER = re.compile(r"\bline \d+")


def document(rows: Iterable[Mapping[str, Any]], base: Path | None = None,
             severity: Callable[[str, str], str] | None = None) -> dict[str, Any]:
    """The SARIF log of a run's result rows (the JSON report's ``results``). Paths are made
    relative to the repository root around ``base`` (the working directory); ``severity``
    maps a check id and its catalogue severity to the one in force (``--ctrsec-severity``)."""
    cwd = base or Path.cwd()
    where = _Where(repo_root(cwd), cwd)
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["target_kind"], []).append(row)
    runs = [_run(kind, kind_rows, where, severity or _catalogue_severity)
            for kind, kind_rows in sorted(by_kind.items())]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def write(path: str, rows: Iterable[Mapping[str, Any]],
          severity: Callable[[str, str], str] | None = None) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = document(rows, severity=severity)
    target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def repo_root(start: Path) -> Path:
    """The Git work tree around ``start`` (code scanning resolves a relative URI against the
    repository root, wherever pytest ran from), else ``start`` itself."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


@dataclass(frozen=True)
class _Where:
    root: Path
    cwd: Path
    # Per document: a large run names the same few files in thousands of findings, and
    # each would otherwise be resolved (and its target's file looked up) again.
    uris: dict[str, str] = field(default_factory=dict, compare=False)
    sources: dict[str, str] = field(default_factory=dict, compare=False)


def _catalogue_severity(check_id: str, default: str) -> str:
    return default


def _reported(row: Mapping[str, Any]) -> bool:
    """Failed and waived results; not a waived one that was never run (``run: false``):
    nothing says it would have failed, so it would be an alert without a finding."""
    return row["outcome"] == "failed" or row["outcome"] == "waived" and bool(row["findings"])


def _run(kind: str, rows: list[Mapping[str, Any]], where: _Where,
         severity: Callable[[str, str], str]) -> dict[str, Any]:
    first: dict[str, Mapping[str, Any]] = {}  # each check's first row (one pass: not per rule)
    for row in rows:
        first.setdefault(row["check"], row)
    rule_ids = sorted(first)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = _numbered([res for row in rows if _reported(row)
                         for res in _results(row, index[row["check"]], where)])
    rules = [_rule(rid, first[rid], severity) for rid in rule_ids]
    return {
        "tool": {"driver": {"name": "pytest-ctrsec", "version": __version__,
                            "informationUri": "https://pypi.org/project/pytest-ctrsec/",
                            "rules": rules}},
        "automationDetails": {"id": f"ctrsec/{kind}/"},
        "originalUriBaseIds": {BASE_ID: {"uri": where.root.as_uri() + "/"}},
        "invocations": [_invocation(rows)],
        "results": results,
    }


def _numbered(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Results with the same fingerprint (one message on several lines of a file) would
    be one alert: the second and later get their occurrence number, as CodeQL does."""
    seen: Counter[str] = Counter()
    for res in results:
        prints = res["partialFingerprints"]
        value = prints[FINGERPRINT]
        seen[value] += 1
        if seen[value] > 1:
            prints[FINGERPRINT] = f"{value}:{seen[value]}"
    return results


def _invocation(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A check that could not judge a target (an error) has no result, so it is said here:
    else the run would look clean and code scanning would close that check's alerts."""
    notes = [{"level": "error", "descriptor": {"id": row["check"]},
              "message": {"text": f"{row['check']} on {row['target']}: {_why(row)}"}}
             for row in rows if row["outcome"] == "error"]
    return {"executionSuccessful": not notes, "toolExecutionNotifications": notes}


def _why(row: Mapping[str, Any]) -> str:
    return str(row["findings"][0]["message"]) if row["findings"] else "error"


def _rule(check_id: str, row: Mapping[str, Any],
          severity_of: Callable[[str, str], str]) -> dict[str, Any]:
    chk = registry().get(check_id)
    title = row["title"]
    refs = list(row["refs"])
    remediation = chk.remediation if chk and chk.remediation else title
    severity = severity_of(check_id, chk.severity) if chk else row["severity"]
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


def _results(row: Mapping[str, Any], rule_index: int, where: _Where) -> list[dict[str, Any]]:
    findings = row["findings"] or [{"message": row["title"], "location": None}]
    out = []
    for finding in findings:
        sev = finding.get("severity") or row["severity"]
        uri, line = _anchor(row, finding.get("location"), where)
        result: dict[str, Any] = {
            "ruleId": row["check"],
            "ruleIndex": rule_index,
            "level": LEVELS[sev],
            "message": {"text": f"{finding['message']} ({row['target']})"},
            "locations": [{
                "physicalLocation": {"artifactLocation": _artifact(uri),
                                     "region": {"startLine": line}},
                "logicalLocations": [{"fullyQualifiedName": row["target"]}],
            }],
            "partialFingerprints": {FINGERPRINT: _fingerprint(row, finding, where)},
            "properties": {"target": row["target"], "severity": sev},
        }
        if row["outcome"] == "waived":  # every waived result is suppressed, never an alert
            waiver = row.get("waiver") or {}
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": waiver.get("reason") or "waived"}]
        out.append(result)
    return out


def _anchor(row: Mapping[str, Any], location: Mapping[str, Any] | None,
            where: _Where) -> tuple[str, int]:
    if location and location.get("path") and location["path"] != "-":
        return _uri(location["path"], where), max(int(location.get("line") or 1), 1)
    return pseudo_path(row["target"]), 1


def _artifact(uri: str) -> dict[str, str]:
    """A relative URI names its base, for consumers that do not assume the repository root."""
    return {"uri": uri} if ":" in uri.split("/", 1)[0] else {"uri": uri, "uriBaseId": BASE_ID}


def pseudo_path(target: str) -> str:
    """The stable anchor of a target with no file.

    >>> pseudo_path("image:registry.example/app:1.4")
    'ctrsec-targets/image/registry.example/app_1.4'
    """
    kind, _, name = target.partition(":")
    safe = re.sub(r"[^A-Za-z0-9._/\-]", "_", name).strip("/") or "target"
    safe = "/".join(part for part in safe.split("/") if part not in ("", ".", ".."))
    return f"{ANCHOR_ROOT}/{kind}/{safe}"


def _uri(path: str, where: _Where) -> str:
    """The path relative to the repository root (a file outside it: an absolute URI)."""
    uri = where.uris.get(path)
    if uri is None:
        uri = where.uris[path] = _resolved_uri(path, where)
    return uri


def _resolved_uri(path: str, where: _Where) -> str:
    full = Path(os.path.normpath(where.cwd / path))
    try:
        relative = full.relative_to(where.root)
    except ValueError:
        return full.as_uri()
    return quote(relative.as_posix()) if relative.parts else quote(full.name)


def _target_key(target: str, where: _Where) -> str:
    """The target's name with its file spelled from the repository root, so the same
    service or object is the same whether it was given relative, absolute or from a
    subfolder."""
    kind, _, rest = target.partition(":")
    source, sep, inner = rest.partition("#")
    spelled = where.sources.get(source)
    if spelled is None:
        on_disk = source not in ("", "-") and (where.cwd / source).exists()
        spelled = where.sources[source] = _uri(source, where) if on_disk else source
    return f"{kind}:{spelled}{sep}{inner}"


def _fingerprint(row: Mapping[str, Any], finding: Mapping[str, Any], where: _Where) -> str:
    """Stable across runs: no line number (a line moving must not open a new alert)."""
    message = _LINE_NUMBER.sub("line", finding["message"])
    key = "\0".join([row["check"], _target_key(row["target"], where), message])
    return hashlib.sha256(key.encode()).hexdigest()[:32]
