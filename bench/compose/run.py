"""Compose benchmark: pytest-ctrsec against compose-lint on the same generated corpus, in the
same run, each from its own virtual environment (whole processes, start-up included).

    python bench/compose/run.py [--projects 500] [--repeat 3]

Prints a table with the median wall time, the peak memory and the speed-up over compose-lint.
Both tools start from bytecode, as after a pip install (pytest-ctrsec is installed editable
here, so it is byte-compiled first).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

from measure import measure, table, venv  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    corpus = args.out / f"compose-corpus-{args.projects}"
    if not corpus.exists():
        subprocess.run([sys.executable, str(HERE / "gen_corpus.py"), str(corpus),
                        "--projects", str(args.projects)], check=True)
    files = sorted(str(p) for p in corpus.glob("*/compose.yaml"))
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    ours = venv(str(args.out / "venv-ctrsec"), ["-e", str(ROOT)],
                stamp=hashlib.sha256(pyproject).hexdigest())
    # pip compiles an installed package to bytecode; an editable one is compiled on first
    # import, unless PYTHONDONTWRITEBYTECODE is set (as on this machine): compile it here so
    # both tools start like a user's installation.
    subprocess.run([f"{ours}/python", "-m", "compileall", "-q", str(ROOT / "pytest_ctrsec")],
                   check=True, stdout=subprocess.DEVNULL)
    peer = venv(str(args.out / "venv-compose-lint"), ["compose-lint"])
    work = Path(tempfile.mkdtemp(prefix="ctrsec-bench-"))
    report = work / "ctrsec.json"
    samples = [
        measure("compose-lint", [f"{peer}/compose-lint", "check", "--format", "json", *files],
                args.repeat, cwd=str(work)),
        measure("pytest-ctrsec", [f"{ours}/pytest", "-q", "-p", "no:cacheprovider",
                                  f"--rootdir={work}", f"--ctrsec-compose={corpus}",
                                  f"--ctrsec-json={report}"], args.repeat, cwd=str(work)),
    ]
    doc = json.loads(report.read_text())
    services = sum(1 for r in doc["results"] if r["check"] == "compose.no-privileged")
    print(f"corpus: {len(files)} Compose files, {services} services; "
          f"pytest-ctrsec wrote {len(doc['results'])} results "
          f"({doc['summary']['failed']} failed)")
    print(table(samples, baseline="compose-lint"))


if __name__ == "__main__":
    main()
