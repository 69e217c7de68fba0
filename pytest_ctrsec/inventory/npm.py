"""Installed npm packages: the ``package.json`` at the root of each package directory under
a ``node_modules`` (scoped ones included); files without a name or version are bundler hints
and skipped."""

from __future__ import annotations

import json
import re

from .model import Package

PACKAGE_JSON = re.compile(r"(?:.*/)?node_modules/(?:@[^/]+/)?[^/]+/package\.json")


def parse(data: bytes, path: str) -> Package | None:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    name, version = doc.get("name"), doc.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return None
    lic = doc.get("license")
    licenses = (lic,) if isinstance(lic, str) and lic else ()
    return Package("npm", name, version, name, version, "", path, licenses)
