"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info`` (a PKG-INFO
file, or a directory holding one) and unzipped eggs (``*.egg/EGG-INFO/PKG-INFO``, what
``easy_install`` and ``setup.py install`` leave)."""

from __future__ import annotations

import re
from email.parser import HeaderParser

from .model import Package

METADATA = re.compile(r"(?:.*/)?[^/]+\.dist-info/METADATA|(?:.*/)?[^/]+\.egg-info(?:/PKG-INFO)?"
                      r"|(?:.*/)?[^/]+\.egg/EGG-INFO/PKG-INFO")


def parse(text: str, path: str) -> Package | None:
    """The distribution described by one metadata file (``Name`` and ``Version``)."""
    headers = HeaderParser().parsestr(text, headersonly=True)
    name, version = (headers.get("Name") or "").strip(), (headers.get("Version") or "").strip()
    if not name or not version:
        return None
    lic = (headers.get("License-Expression") or headers.get("License") or "").strip()
    licenses = (lic,) if lic and lic.upper() != "UNKNOWN" and "\n" not in lic else ()
    return Package("pypi", name, version, name, version, "", path, licenses)
