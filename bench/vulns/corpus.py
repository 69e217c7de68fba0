"""A generated Debian-like OSV dump and a matching 400-package image (deterministic).

Records follow the shape osv.dev publishes for Debian (one per CVE and source package, with
an ``affected`` entry per release and the tracker's urgency), with 500-1,000 bytes of text
each; popular source packages get many more records than the rest, as in the real data.
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

from pytest_ctrsec.targets.image.fsindex import Entry, FileIndex

RELEASES = ("Debian:11", "Debian:12", "Debian:13")
URGENCIES = ("unimportant", "low", "medium", "high", "not yet assigned")
SOURCES = 4000
_WORDS = ("buffer", "overflow", "in", "the", "parser", "allows", "remote", "attackers", "to",
          "cause", "a", "denial", "of", "service", "via", "crafted", "input", "heap", "read")


def source_name(i: int) -> str:
    return f"src{i:04d}"


def current_version(src: str) -> str:
    """The version of ``src`` the benchmark image has installed."""
    n = int(src[3:])
    return f"{n % 7 + 1}.{n % 13}.{n % 5}-{n % 4 + 2}+deb12u{n % 3 + 1}"


def _fixed(rng: random.Random, src: str) -> str | None:
    """As in Debian's data: most advisories were fixed before the installed version, a few
    are fixed in an update not yet installed, some have no fix."""
    roll = rng.random()
    if roll < 0.10:
        return None
    major = int(current_version(src).split(".", 1)[0])
    if roll < 0.95:
        return f"{rng.randint(0, major - 1) if major > 1 else 0}.{rng.randint(0, 40)}-{rng.randint(1, 9)}"
    return current_version(src) + f".{rng.randint(1, 3)}"


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(80, 160)))


# A Zipf-like spread: low source numbers (the ones images have) get more records, the most
# popular about 1,000 of 60,000 (Debian's busiest container-relevant sources have that order).
_WEIGHTS = [1 / (rank + 10) for rank in range(SOURCES)]


def record(i: int, rng: random.Random) -> dict[str, object]:
    pick = rng.choices(range(SOURCES), weights=_WEIGHTS)[0] if rng.random() < 0.7 \
        else rng.randrange(SOURCES)
    src = source_name(pick)
    affected = []
    for eco in RELEASES:
        events: list[dict[str, str]] = [{"introduced": "0"}]
        fixed = _fixed(rng, src)
        if fixed:
            events.append({"fixed": fixed})
        affected.append({"package": {"ecosystem": eco, "name": src},
                         "ranges": [{"type": "ECOSYSTEM", "events": events}],
                         "ecosystem_specific": {"urgency": rng.choice(URGENCIES)}})
    doc: dict[str, object] = {
        "schema_version": "1.6.0", "id": f"DEBIAN-CVE-2098-{i:06d}",
        "modified": "2098-01-02T00:00:00Z", "published": "2098-01-01T00:00:00Z",
        "upstream": [f"CVE-2098-{i:06d}"], "summary": "SYNTHETIC benchmark record",
        "details": _text(rng), "affected": affected}
    if rng.random() < 0.4:
        doc["severity"] = [{"type": "CVSS_V3",
                            "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]
    return doc


def write_dump(path: Path, records: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(records):
            doc = record(i, rng)
            zf.writestr(f"{doc['id']}.json", json.dumps(doc))
    tmp.replace(path)


def image_fs(packages: int) -> FileIndex:
    """A merged filesystem with a dpkg database of ``packages`` binaries from ~300 popular
    source packages (so most binaries have several advisories to evaluate)."""
    stanzas = []
    for n in range(packages):
        src = source_name(n % 300)
        stanzas.append(f"Package: bin{n:04d}\nStatus: install ok installed\nArchitecture: amd64\n"
                       f"Source: {src}\nVersion: {current_version(src)}\nDescription: x\n")
    fs = FileIndex()
    for path, text in (("var/lib/dpkg/status", "\n".join(stanzas)),
                       ("etc/os-release", 'ID=debian\nVERSION_ID="12"\n')):
        data = text.encode()
        fs.add(path, Entry("file", 0o644, 0, 0, len(data), data=data))
    return fs
