"""Alpine packages from apk's installed database (``lib/apk/db/installed``, or
``usr/lib/apk/db/installed`` on newer images)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .model import Package
from .stanzas import apk_records

INSTALLED = re.compile(r"(?:usr/)?lib/apk/db/installed")


def parse(text: str, path: str) -> Iterator[Package]:
    """One package per record: P name, V version, A arch, o origin (the source package
    Alpine's advisories are written against), L license."""
    for _, f in apk_records(text):
        name, version = _one(f, "P"), _one(f, "V")
        if not name or not version:
            continue
        origin = _one(f, "o") or name
        licenses = (_one(f, "L"),) if _one(f, "L") else ()
        yield Package("apk", name, version, origin, version, _one(f, "A"), path, licenses)


def _one(fields: dict[str, list[str]], letter: str) -> str:
    values = fields.get(letter)
    return values[0].strip() if values else ""
