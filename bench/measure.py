"""Measuring whole processes for the benchmarks: wall time and peak memory (max RSS) of a
command and its children, repeated, with the median reported. Used by every bench script.

    python bench/measure.py -- pytest --version      # one command, printed
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

_CHILD = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "peak_kib": peak, "rc": proc.returncode}))
"""


@dataclass(frozen=True)
class Sample:
    """The median wall time and the largest peak RSS over the repeats."""

    name: str
    seconds: float
    peak_mib: float
    returncode: int
    runs: int


def measure(name: str, cmd: Sequence[str], repeat: int = 3, cwd: str | None = None,
            env: dict[str, str] | None = None) -> Sample:
    """Run ``cmd`` ``repeat`` times in a fresh measuring process each time (so the peak RSS
    is that command's own, not the largest of several)."""
    walls, peaks, rc = [], [], 0
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", _CHILD, *cmd], capture_output=True,
                             text=True, cwd=cwd, env=env, check=True).stdout
        data = json.loads(out)
        walls.append(data["wall"])
        peaks.append(data["peak_kib"] / 1024)
        rc = data["rc"]
    return Sample(name, statistics.median(walls), max(peaks), rc, repeat)


def table(samples: Sequence[Sample], baseline: str | None = None) -> str:
    """A plain-text table; ``baseline`` names the row the speed-up is relative to."""
    base = next((s for s in samples if s.name == baseline), None)
    rows = [("tool", "median s", "peak MiB", "exit", "speed-up")]
    for s in samples:
        ratio = f"{base.seconds / s.seconds:.2f}x" if base and s.seconds else "-"
        rows.append((s.name, f"{s.seconds:.2f}", f"{s.peak_mib:.0f}", str(s.returncode), ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def venv(path: str, packages: Sequence[str], stamp: str = "") -> str:
    """A virtual environment with only ``packages`` (created once, and again when ``stamp``
    changes, e.g. the project's dependencies); returns its bin dir. Benchmarks run each tool
    from its own environment so start-up costs are the user's."""
    bindir = os.path.join(path, "bin")
    marker = os.path.join(path, ".installed")
    wanted = "\n".join([*packages, stamp] if stamp else packages)
    if not (os.path.exists(marker) and open(marker).read() == wanted):
        subprocess.run([sys.executable, "-m", "venv", "--clear", path], check=True)
        subprocess.run([os.path.join(bindir, "pip"), "install", "-q", *packages], check=True)
        with open(marker, "w") as fh:
            fh.write(wanted)
    return bindir


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    t0 = time.perf_counter()
    print(table([measure(" ".join(args)[:40], args, repeat=1)]))
