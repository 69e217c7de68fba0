"""Which distribution an image is: ``etc/os-release``, then ``usr/lib/os-release``, then the
distribution-specific files (``debian_version``, ``alpine-release``, ``lsb-release``,
``redhat-release`` and friends)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from .model import OsInfo

DataReader = Callable[[str], "bytes | None"]

# Debian releases by code name, for testing and sid images whose os-release has no number.
DEBIAN_CODENAMES = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13",
                    "forky": "14", "duke": "15"}
_RELEASE_FILE = re.compile(r"^(?P<name>.+?) release (?P<version>[0-9][0-9.]*)")
_RELEASE_IDS = {"red hat enterprise linux": "rhel", "centos linux": "centos", "centos": "centos",
                "centos stream": "centos", "rocky linux": "rocky", "almalinux": "almalinux",
                "fedora": "fedora", "amazon linux": "amzn", "oracle linux server": "ol"}


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines with shell quoting, comments and blanks skipped."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw.strip("\"'")]
        out[key.strip()] = words[0] if words else ""
    return out


def _text(read: DataReader, path: str) -> str | None:
    data = read(path)
    return None if data is None else data.decode("utf-8", "replace")


def detect(read: DataReader) -> OsInfo | None:
    """The image's OS, or ``None`` (scratch and distroless-static images have none)."""
    for path in ("etc/os-release", "usr/lib/os-release"):
        text = _text(read, path)
        if text is not None:
            fields = parse_os_release(text)
            if fields.get("ID"):
                return _supplement(_from_fields(fields, path), read)
    return _fallback(read)


def _from_fields(f: dict[str, str], path: str) -> OsInfo:
    return OsInfo(id=f["ID"].lower(), version_id=f.get("VERSION_ID", ""),
                  codename=f.get("VERSION_CODENAME", ""), name=f.get("PRETTY_NAME", f.get("NAME", "")),
                  version=f.get("VERSION", ""), id_like=tuple(f.get("ID_LIKE", "").split()),
                  source=path)


def _supplement(info: OsInfo, read: DataReader) -> OsInfo:
    """Debian testing and sid have no VERSION_ID: take it from the code name or from
    ``etc/debian_version``."""
    if info.id == "debian" and not info.version_id:
        number = DEBIAN_CODENAMES.get(info.codename) or _debian_number(read)
        if number:
            return OsInfo(**{**info.__dict__, "version_id": number})
    return info


def _debian_number(read: DataReader) -> str:
    text = (_text(read, "etc/debian_version") or "").strip()
    if text[:1].isdigit():
        return text.split(".", 1)[0]
    codename = text.split("/", 1)[0]
    return DEBIAN_CODENAMES.get(codename, "")


def _fallback(read: DataReader) -> OsInfo | None:
    text = _text(read, "etc/alpine-release")
    if text is not None and text.strip():
        return OsInfo("alpine", text.strip(), source="etc/alpine-release")
    text = _text(read, "etc/lsb-release")
    if text is not None:
        f = parse_os_release(text)
        if f.get("DISTRIB_ID"):
            return OsInfo(f["DISTRIB_ID"].lower(), f.get("DISTRIB_RELEASE", ""),
                          f.get("DISTRIB_CODENAME", ""), f.get("DISTRIB_DESCRIPTION", ""),
                          f.get("DISTRIB_DESCRIPTION", ""), source="etc/lsb-release")
    text = _text(read, "etc/debian_version")
    if text is not None and text.strip():
        number = _debian_number(read)
        return OsInfo("debian", number, text.strip().split("/", 1)[0] if not number else "",
                      source="etc/debian_version")
    for path in ("etc/redhat-release", "etc/centos-release", "etc/fedora-release",
                 "etc/system-release"):
        text = _text(read, path)
        m = _RELEASE_FILE.match(text.strip()) if text else None
        if m:
            name = m["name"].strip()
            return OsInfo(_RELEASE_IDS.get(name.lower(), name.lower().split()[0]),
                          m["version"], name=text.strip() if text else "", source=path)
    return None
