"""Vulnerability database speed: first indexing of a 60,000-record all.zip (time and peak
memory), then a 400-package image matched from the cached index (goal: under 0.5 s),
against the baseline of parsing the whole dump on every run.

    python bench/vulns/run.py                        # generate the dump if missing, measure
    python bench/vulns/run.py --records 60000 --packages 400 --repeat 5

Every step runs in a fresh process; "step s" is the step's own time inside it (what the
plugin adds to a test session), "process s" and "peak MiB" are the whole process's
(interpreter start and imports included; peak RSS from wait4).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import write_dump  # noqa: E402

OUT = HERE.parent / "out" / "vulns"
ONCE = [sys.executable, str(HERE / "once.py")]


def run_step(args: list[str]) -> tuple[dict[str, Any], float, float]:
    """(the step's JSON, process wall seconds, process peak MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen([*ONCE, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"step {args[0]} failed with exit {proc.returncode}")
    return json.loads(out), wall, usage.ru_maxrss / 1024


def repeat(name: str, make_args: Callable[[int], list[str]], times: int) -> dict[str, Any]:
    steps, walls, peaks = [], [], []
    last: dict[str, Any] = {}
    for i in range(times):
        last, wall, peak = run_step(make_args(i))
        steps.append(float(last["seconds"]))
        walls.append(wall)
        peaks.append(peak)
    return {"name": name, "best": min(steps), "median": statistics.median(steps),
            "process": statistics.median(walls), "peak": max(peaks), "last": last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=60000)
    parser.add_argument("--packages", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--index-repeat", type=int, default=3)
    args = parser.parse_args()
    dump = OUT / f"Debian-{args.records}" / "all.zip"
    if not dump.exists():
        print(f"generating {dump} ...", file=sys.stderr)
        write_dump(dump, args.records)
    work = Path(tempfile.mkdtemp(prefix="ctrsec-bench-vulns-"))
    try:
        caches = [work / f"cache{i}" for i in range(args.index_repeat)]
        rows = [repeat("first indexing (empty cache)",
                       lambda i: ["index", str(dump), str(caches[i])], args.index_repeat),
                repeat(f"match {args.packages} packages from the cache",
                       lambda i: ["match", str(dump), str(caches[0]), str(args.packages)],
                       args.repeat),
                repeat(f"baseline: parse the dump, match {args.packages}",
                       lambda i: ["naive", str(dump), str(args.packages)], max(1, args.repeat // 2))]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report(dump, args, rows))


def report(dump: Path, args: argparse.Namespace, rows: list[dict[str, Any]]) -> str:
    size = dump.stat().st_size / 1e6
    head = [f"dump: {dump} ({args.records} records, {size:.1f} MB zipped); Python {sys.version.split()[0]}",
            ""]
    table = [("step", "best s", "median s", "process s", "peak MiB")]
    for r in rows:
        table.append((str(r["name"]), f"{r['best']:.3f}", f"{r['median']:.3f}",
                      f"{r['process']:.2f}", f"{r['peak']:.0f}"))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    match, naive = rows[1], rows[2]
    detail = match["last"]
    tail = ["", f"match detail (last run): open {detail['open']:.3f} s, "
                f"match {detail['match']:.3f} s, {detail['packages']} packages, "
                f"{detail['vulnerabilities']} vulnerabilities",
            f"cached match vs baseline: {naive['median'] / match['median']:.0f}x faster; "
            f"goal under 0.5 s: {'met' if match['median'] < 0.5 else 'MISSED'}"]
    return "\n".join(head + lines + tail)


if __name__ == "__main__":
    main()
