"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info`` (a PKG-INFO
file, or a directory holding one) and unzipped eggs (``*.egg/EGG-INFO/PKG-INFO``, what
``easy_install`` and ``setup.py install`` leave)."""

from __future__ import annotations

import re
from email.message import Message
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
    return Package("pypi", name, version, name, version, "", path, _licenses(headers))


# Classifiers that group licenses without naming one.
_CATEGORIES = frozenset({"OSI Approved", "DFSG approved"})


def _licenses(headers: Message) -> tuple[str, ...]:
    """License-Expression, else a one-line License, else the trove classifiers' license
    names (``License :: OSI Approved :: MIT License`` -> ``MIT License``): many wheels
    (idna, setuptools, sqlparse) state their license only as a classifier."""
    lic = (headers.get("License-Expression") or headers.get("License") or "").strip()
    if lic and lic.upper() != "UNKNOWN" and "\n" not in lic:
        return (lic,)
    named = [c.rsplit("::", 1)[-1].strip() for c in headers.get_all("Classifier") or ()
             if c.startswith("License ::")]
    return tuple(dict.fromkeys(n for n in named if n and n not in _CATEGORIES))
