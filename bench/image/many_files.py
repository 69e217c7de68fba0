"""Many small files (the node_modules / site-packages case): one layer of 150,000 files in
a docker-archive, read by pytest-ctrsec and listed by GNU tar.

    python bench/image/many_files.py [--files 150000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_archive(path: Path, files: int) -> None:
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w") as tar:
        for i in range(files):
            if i % 50 == 0:
                info = tarfile.TarInfo(f"node_modules/p{i // 50}")
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                continue
            data = b"module.exports = 1;\n" * 10
            info = tarfile.TarInfo(f"node_modules/p{i // 50}/f{i}.js")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    layer = inner.getvalue()
    config = json.dumps({"config": {}, "rootfs": {"type": "layers", "diff_ids": []},
                         "history": [{"created_by": "bench"}]}).encode()
    with tarfile.open(path, mode="w") as tar:
        for name, data in (("l/layer.tar", layer), ("c.json", config),
                           ("manifest.json", json.dumps([{"Config": "c.json",
                                                          "Layers": ["l/layer.tar"]}]).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def timed(cmd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="ctrsec-bench-many-")) / "many.tar"
    make_archive(path, args.files)
    jobs = {"GNU tar, nested listing": f"tar -xOf {path} l/layer.tar | tar -tv",
            "pytest-ctrsec, docker-archive": f"{sys.executable} bench/image/read_once.py "
                                             f"docker-archive:{path}"}
    runs: dict[str, list[float]] = {k: [] for k in jobs}
    for _ in range(args.repeat):
        for label, cmd in jobs.items():
            runs[label].append(timed(cmd))
    print(f"\n{args.files} small files in one layer ({path.stat().st_size / 1e6:.0f} MB)\n")
    print("| what | best s | median s | entries/s (best) |")
    print("|---|---|---|---|")
    for label, times in runs.items():
        print(f"| {label} | {min(times):.2f} | {statistics.median(times):.2f} | "
              f"{args.files / min(times):,.0f} |")
    path.unlink()


if __name__ == "__main__":
    main()
