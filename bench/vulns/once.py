"""One measured step, run in a fresh process by run.py::

    python bench/vulns/once.py index  DUMP CACHE      # first indexing (empty cache)
    python bench/vulns/once.py match  DUMP CACHE N    # open the cached index, match N packages
    python bench/vulns/once.py naive  DUMP N          # baseline: parse every record, then match

Prints one JSON line: the step's own seconds (without interpreter start) and counts.
"""

from __future__ import annotations

import json
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import image_fs  # noqa: E402


class _Image:
    def __init__(self, packages: int) -> None:
        self.fs = image_fs(packages)
        self.ref, self.digest = "bench:1", f"sha256:bench{packages}"
        self.repo_tags: tuple[str, ...] = ()
        self.repo_digests: tuple[str, ...] = ()


def index(dump: str, cache: str) -> dict[str, object]:
    from pytest_ctrsec.vulns.database import OsvDatabase

    start = time.perf_counter()
    db = OsvDatabase.open(dump, cache)
    return {"seconds": time.perf_counter() - start, "built": db.report.built}


def match(dump: str, cache: str, packages: int) -> dict[str, object]:
    from pytest_ctrsec.vulns import OsvSource
    from pytest_ctrsec.vulns.database import OsvDatabase

    image = _Image(packages)
    start = time.perf_counter()
    db = OsvDatabase.open(dump, cache)
    opened = time.perf_counter()
    result = OsvSource(db, "bench").scan(image)
    done = time.perf_counter()
    assert not db.report.built, "the index was not cached"
    return {"seconds": done - start, "open": opened - start, "match": done - opened,
            "packages": result.scanned_packages, "vulnerabilities": len(result.vulnerabilities)}


def naive(dump: str, packages: int) -> dict[str, object]:
    """What a run without the index does: read and parse every record, then match."""
    from pytest_ctrsec.inventory import inventory
    from pytest_ctrsec.versions import comparator
    from pytest_ctrsec.vulns.osv import evaluate

    image = _Image(packages)
    start = time.perf_counter()
    by_name: dict[tuple[str, str], list[dict[str, object]]] = {}
    with zipfile.ZipFile(dump) as zf:
        for info in zf.infolist():
            doc = json.loads(zf.read(info))
            for entry in doc["affected"]:
                pkg = entry["package"]
                by_name.setdefault((pkg["ecosystem"], pkg["name"]), []).append(entry)
    cmp = comparator("Debian:12")
    assert cmp is not None
    hits = 0
    for p in inventory(image.fs).packages:
        for entry in by_name.get(("Debian:12", p.source_name), ()):
            hits += evaluate(entry, p.source_version, cmp).affected
    return {"seconds": time.perf_counter() - start, "vulnerabilities": hits}


if __name__ == "__main__":
    step, *args = sys.argv[1:]
    if step == "index":
        out = index(args[0], args[1])
    elif step == "match":
        out = match(args[0], args[1], int(args[2]))
    else:
        out = naive(args[0], int(args[1]))
    print(json.dumps(out))
