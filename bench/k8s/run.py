"""Kubernetes benchmark: pytest-ctrsec against Checkov on the same generated corpora.

    python bench/k8s/run.py                      # 1,000 and 5,000 objects
    python bench/k8s/run.py --sizes 1000 --checkov /path/to/checkov

Each run is a separate process, measured from outside (wall time, CPU time of the process,
peak resident memory from ``wait4``, the interpreter included). Rows:

- ``ctrsec load+evaluate``: the loader and every bundled Kubernetes check on every object
  it applies to, in plain Python (what the plugin does, without pytest);
- ``ctrsec pytest``: the whole plugin, ``pytest --ctrsec-k8s=DIR --ctrsec-json=...``, with the
  whole bundled Kubernetes suite (results counted from the JSON report); both ctrsec rows run
  from the plugin's own virtual environment under ``bench/out/`` (as the Compose benchmark),
  not the development one, whose test plugins add seconds to every start;
- ``checkov``: ``checkov -d DIR --framework kubernetes -o json --skip-download``; install it
  apart from the project (it pins many packages), e.g. ``python -m venv /tmp/checkov-venv &&
  /tmp/checkov-venv/bin/pip install checkov``, and pass ``--checkov`` or put it on PATH.

The machines are shared and noisy: compare the ratios of one run, not absolute times.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

GENERATOR = Path(__file__).parent / "gen_corpus.py"

DIRECT = """
import sys
from types import SimpleNamespace
from pytest_ctrsec.catalog import registry
from pytest_ctrsec.checks.k8s import applies
from pytest_ctrsec.targets.kube import load_targets
checks = [c for c in registry().values() if c.kind == "k8s"]
targets = load_targets(SimpleNamespace(k8s=(sys.argv[1],)))
results = 0
for chk in checks:
    for t in targets:
        if t.model_type == chk.model and applies(chk, t.model):
            chk.evaluate(t.model)
            results += 1
print(results)
"""


@dataclass(frozen=True)
class Row:
    tool: str
    objects: int
    wall: float
    cpu: float
    peak_mib: float
    results: str


def measure(cmd: list[str], cwd: Path, out: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS (MiB) and exit status of one command."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def run_direct(corpus: Path, objects: int, work: Path, python: str) -> Row:
    out = work / "direct.out"
    wall, cpu, peak, code = measure([python, "-c", DIRECT, str(corpus)], work, out)
    text = out.read_text().strip().splitlines()
    results = text[-1] if code == 0 and text else f"error (see {out})"
    return Row("ctrsec load+evaluate", objects, wall, cpu, peak, results)


def ctrsec_python() -> str:
    """The plugin's own virtual environment (shared with the Compose benchmark), so pytest
    starts with only what a user installs (the development environment also loads the test
    extras' plugins, hypothesis among them, a second or more per run)."""
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "bench"))
    from measure import venv

    stamp = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    bindir = venv(str(root / "bench" / "out" / "venv-ctrsec"), ["-e", str(root)], stamp=stamp)
    subprocess.run([f"{bindir}/python", "-m", "compileall", "-q", str(root / "pytest_ctrsec")],
                   check=True, stdout=subprocess.DEVNULL)
    return f"{bindir}/python"


def run_pytest(corpus: Path, objects: int, work: Path, python: str) -> Row:
    report, out = work / "ctrsec.json", work / "pytest.out"
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(work),
           f"--ctrsec-k8s={corpus}", f"--ctrsec-json={report}"]
    wall, cpu, peak, code = measure(cmd, work, out)
    if report.exists():
        doc = json.loads(report.read_text())
        results = f"{len(doc['results'])} ({doc['summary'].get('failed', 0)} failed)"
    else:
        last = (out.read_text().strip().splitlines() or ["no output"])[-1][:60]
        results = f"n/a: {last}"
    return Row("ctrsec pytest", objects, wall, cpu, peak, results)


def run_checkov(checkov: str, corpus: Path, objects: int, work: Path) -> Row:
    out = work / "checkov.json"
    cmd = [checkov, "-d", str(corpus), "--framework", "kubernetes", "-o", "json", "--quiet",
           "--skip-download"]
    wall, cpu, peak, code = measure(cmd, work, out)
    try:
        doc = json.loads(out.read_text())
        docs = doc if isinstance(doc, list) else [doc]
        summary = docs[0]["summary"]
        results = f"{summary['passed'] + summary['failed']} ({summary['failed']} failed)"
    except (ValueError, KeyError, IndexError):
        results = f"error (exit {code}, see {out})"
    return Row("checkov", objects, wall, cpu, peak, results)


def generate(size: int, corpus: Path) -> int:
    """Write the corpus from a separate process: a forked child's peak memory counts the
    parent's pages, so the measuring process must stay small."""
    out = subprocess.run([sys.executable, str(GENERATOR), "--objects", str(size), "--out",
                          str(corpus)], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0])


def find_checkov(given: str | None) -> str | None:
    for candidate in (given, shutil.which("checkov"), "/tmp/checkov-venv/bin/checkov"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def table(rows: list[Row]) -> str:
    """The rows, with how many times faster than Checkov each run was (wall and CPU)."""
    lines = [f"{'tool':<22} {'objects':>7} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} "
             f"{'x wall':>7} {'x cpu':>6}  results"]
    base = {r.objects: r for r in rows if r.tool == "checkov"}
    for r in rows:
        ref = base.get(r.objects) if r.tool != "checkov" else None
        wall = f"{ref.wall / r.wall:.1f}" if ref else ""
        cpu = f"{ref.cpu / r.cpu:.1f}" if ref and r.cpu else ""
        lines.append(f"{r.tool:<22} {r.objects:>7} {r.wall:>8.2f} {r.cpu:>8.2f} "
                     f"{r.peak_mib:>9.0f} {wall:>7} {cpu:>6}  {r.results}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--checkov", help="path of the checkov executable")
    parser.add_argument("--keep", type=Path, help="keep corpora and outputs here")
    args = parser.parse_args()
    checkov = find_checkov(args.checkov)
    python = ctrsec_python()
    base = args.keep or Path(tempfile.mkdtemp(prefix="ctrsec-k8s-bench-"))
    rows = []
    for size in args.sizes:
        corpus, work = base / f"corpus-{size}", base / f"work-{size}"
        work.mkdir(parents=True, exist_ok=True)
        count = generate(size, corpus)
        rows.append(run_direct(corpus, count, work, python))
        rows.append(run_pytest(corpus, count, work, python))
        if checkov:
            rows.append(run_checkov(checkov, corpus, count, work))
        print(table(rows[-3:]), flush=True)
    print()
    print(table(rows))
    if not checkov:
        print("checkov not found: pass --checkov PATH (see the module docstring)")
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
