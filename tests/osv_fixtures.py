"""The OSV test records (tests/fixtures/osv/) laid out as osv.dev publishes them:
``<ECOSYSTEM>/all.zip`` with one JSON file per record."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

OSV_DIR = Path(__file__).parent / "fixtures" / "osv"
ZIPS = {"debian-12": "Debian:12", "pypi": "PyPI", "npm": "npm", "alpine-3.19": "Alpine:v3.19"}


def osv_dumps(root: Path, folders: tuple[str, ...] = tuple(ZIPS)) -> Path:
    """Write ``root/<ECOSYSTEM>/all.zip`` for each fixture folder; returns ``root``."""
    for folder in folders:
        target = root / ZIPS[folder] / "all.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for record in sorted((OSV_DIR / folder).glob("*.json")):
                zf.write(record, record.name)
    return root


def finding_rows(verdict: Any) -> set[tuple[str, str, str, str | None]]:
    """(package, advisory id, severity counted, fixed version) of each finding of
    image.no-known-vulnerabilities."""
    rows = set()
    for f in verdict.findings:
        v: dict[str, Any] = f.extra["vulnerability"]
        rows.add((v["package"], v["id"], v["counted_as"], v["fixed_version"]))
    return rows
