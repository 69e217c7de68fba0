"""Image reader speed and memory against the tools a user would otherwise run.

    python bench/image/run.py                # build the ~600 MB test image if missing, then measure
    python bench/image/run.py --repeat 5 --size-mb 600 --rebuild

Measures, in the same run and on the same generated multi-layer image (random data,
3,000 small files, deletions, an opaque directory, setuid files):

- from a ``docker save`` file: our reader against GNU tar listing every nested layer
  (``tar -xOf image.tar LAYER | tar -tv`` for each layer), the C-speed anchor;
- from the engine: our reader (streaming ``GET /images/{id}/get``) against
  ``docker save IMG > /dev/null`` alone, the ceiling;
- from an OCI layout with gzip layers (skopeo), for information.

Each reader runs in a fresh process; the peak RSS is that process's (``wait4``). Prints a
table with best and median seconds, MB/s of the archive size, and peak memory.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "ctrsec-bench/layered:1"
WORK = Path(tempfile.gettempdir()) / "ctrsec-bench-image"
READER = [sys.executable, str(Path(__file__).with_name("read_once.py"))]


def build(size_mb: int) -> None:
    """A Dockerfile FROM scratch + busybox, four random-data layers (one later deleted),
    3,000 small files, deletions, an opaque directory and setuid files."""
    ctx = WORK / "context"
    shutil.rmtree(ctx, ignore_errors=True)
    ctx.mkdir(parents=True)
    shutil.copy(shutil.which("busybox") or "/usr/bin/busybox", ctx / "busybox")
    per_dir = size_mb // 4
    for name in ("rand1", "rand2", "rand3", "rand4"):
        (ctx / name).mkdir()
        for i in range(max(1, per_dir // 5)):
            (ctx / name / f"f{i}.bin").write_bytes(os.urandom(5 << 20))
    small = ctx / "small"
    for d in range(30):
        (small / f"d{d}").mkdir(parents=True)
        for i in range(100):
            (small / f"d{d}" / f"f{i}.txt").write_text(f"file {d}/{i}\n" * 20)
    (ctx / "Dockerfile").write_text("\n".join([
        "FROM scratch",
        "COPY busybox /bin/busybox",
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
        "COPY rand1/ /data/r1/",
        "COPY small/ /data/small/",
        "RUN rm -rf /data/small/d0 && mkdir -p /etc/apt && echo a > /etc/apt/x && "
        "chmod 4755 /bin/busybox",
        "COPY rand2/ /data/r2/",
        "RUN rm -rf /etc/apt && mkdir -p /etc/apt && echo b > /etc/apt/y && rm -rf /data/r2",
        "COPY rand3/ /data/r3/",
        "COPY rand4/ /data/r4/",
    ]) + "\n")
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    subprocess.run(["docker", "build", "-q", "-t", IMAGE, str(ctx)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(ctx)


def timed(cmd: list[str]) -> str:
    """Run one command from the repository root; its stdout."""
    proc = subprocess.run(cmd, capture_output=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode:
        raise SystemExit(f"{cmd} failed: {proc.stderr.decode()[-500:]}")
    return proc.stdout.decode()


_HELPER = ("import json,subprocess,resource,time,sys;c=json.loads(sys.argv[1]);"
           "t=time.perf_counter();p=subprocess.run(c['cmd'],shell=c['shell'],"
           "capture_output=True);s=time.perf_counter()-t;"
           "assert p.returncode==0,p.stderr.decode()[-400:];"
           "print(json.dumps([s,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
           "p.stdout.decode()[-300:]]))")


def once(cmd: list[str] | str, shell: bool) -> tuple[float, float, str]:
    """Seconds, peak RSS MiB and output of one run, in a fresh helper process so that the
    RSS is this command's own."""
    out = timed([sys.executable, "-c", _HELPER, json.dumps({"cmd": cmd, "shell": shell})])
    seconds, rss_kib, detail = json.loads(out)
    return seconds, rss_kib / 1024, detail


def measure(jobs: list[tuple[str, list[str] | str, bool]], repeat: int,
            size: int) -> list[dict[str, object]]:
    """Run the jobs round-robin ``repeat`` times (so a noisy neighbour hits them alike)."""
    runs: dict[str, list[float]] = {label: [] for label, _, _ in jobs}
    peaks: dict[str, float] = dict.fromkeys(runs, 0.0)
    details: dict[str, str] = {}
    for _ in range(repeat):
        for label, cmd, shell in jobs:
            seconds, peak, detail = once(cmd, shell)
            runs[label].append(seconds)
            peaks[label] = max(peaks[label], peak)
            details[label] = detail.strip().splitlines()[-1] if detail.strip() else ""
    return [{"what": label, "best": min(runs[label]), "median": statistics.median(runs[label]),
             "mbps": size / min(runs[label]) / 1e6, "peak": peaks[label],
             "detail": details[label], "runs": runs[label]} for label, _, _ in jobs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size-mb", type=int, default=600)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-oci", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    have = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True)
    if args.rebuild or have.returncode:
        print(f"building {IMAGE} (~{args.size_mb} MB) ...", flush=True)
        build(args.size_mb)
    archive = WORK / "image.tar"
    subprocess.run(f"docker save {IMAGE} > {archive}", shell=True, check=True)
    size = archive.stat().st_size
    layers = json.loads(subprocess.run(["tar", "-xOf", str(archive), "manifest.json"],
                                       capture_output=True, check=True).stdout)[0]["Layers"]
    nested = "; ".join(f"tar -xOf {archive} {layer} | tar -tv" for layer in layers)
    jobs: list[tuple[str, list[str] | str, bool]] = [
        ("GNU tar, nested listing of the save file", f"({nested}) | wc -l", True),
        ("pytest-ctrsec, docker-archive file", [*READER, f"docker-archive:{archive}"], False),
        ("docker save > /dev/null (engine alone)", f"docker save {IMAGE} > /dev/null", True),
        ("pytest-ctrsec, engine stream", [*READER, IMAGE], False),
    ]
    if not args.no_oci and shutil.which("skopeo"):
        oci = WORK / "oci"
        shutil.rmtree(oci, ignore_errors=True)
        subprocess.run(["skopeo", "copy", "-q", f"docker-daemon:{IMAGE}", f"oci:{oci}:b"],
                       check=True)
        jobs.append(("pytest-ctrsec, OCI layout (gzip layers)", [*READER, f"oci:{oci}"], False))
    rows = measure(jobs, args.repeat, size)
    print(f"\nimage {IMAGE}: {len(layers)} layers, docker save archive {size / 1e6:.0f} MB, "
          f"best/median of {args.repeat}\n")
    print(f"| {'what':<44} | best s | median s | MB/s (best) | peak RSS MiB |")
    print(f"|{'-' * 46}|--------|----------|-------------|--------------|")
    for r in rows:
        print(f"| {r['what']:<44} | {r['best']:6.2f} | {r['median']:8.2f} | "
              f"{r['mbps']:11.0f} | {r['peak']:12.1f} |")
    engine, save = rows[3], rows[2]
    pairs = sorted(e / s for e, s in zip(engine["runs"], save["runs"], strict=True))  # type: ignore[arg-type]
    print(f"\nengine reader / docker save alone: best {engine['best'] / save['best']:.2f}x, "
          f"median per round {statistics.median(pairs):.2f}x "
          f"(rounds sorted: {', '.join(f'{p:.2f}' for p in pairs)})")
    ratio = rows[1]["best"] / rows[0]["best"]  # type: ignore[operator]
    print(f"archive reader / GNU tar nested listing (best): {ratio:.2f}x")
    for r in rows[1:]:
        if r["detail"]:
            print(f"{r['what']}: {r['detail']}")


if __name__ == "__main__":
    main()
