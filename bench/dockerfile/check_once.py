"""Run every bundled dockerfile.* check on each Dockerfile of a folder; print JSON
``{file: [failed check ids]}`` (and the in-process seconds on stderr).

    python bench/dockerfile/check_once.py DIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.targets.dockerfile import load_dockerfile


def main(folder: str) -> None:
    start = time.perf_counter()
    checks = [c for c in registry().values() if c.model == "dockerfile"]
    out: dict[str, list[str]] = {}
    for path in sorted(Path(folder).glob("*.Dockerfile")):
        model = load_dockerfile(path)
        out[path.name] = [c.id for c in checks if c.evaluate(model).outcome == "failed"]
    print(f"{len(out)} files, {len(checks)} checks in {time.perf_counter() - start:.2f} s "
          "in-process", file=sys.stderr)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
