"""Running-container checks: time per container, and where it goes.

    python bench/containers/run.py                 # 50 containers, 3 repeats
    python bench/containers/run.py --count 50 --repeat 5 --keep

Starts ``--count`` containers on the local engine (busybox from tests/images.py; half of
them hardened, half with careless flags; label ``ctrsec.bench``), then measures:

1. in process, the loader on exactly those containers (``label:ctrsec.bench=...``), with every
   Engine API call timed, so the table splits the time into engine calls (by endpoint) and
   our own code (adapter, parsing, model building);
2. in process, every registered ``container.*`` check on the loaded models;
3. whole processes: ``pytest --ctrsec-container=running`` (with the JSON report), with one
   test item per container and check and with one item per check, against pytest collecting
   nothing; per container = (difference) / containers checked. ``running`` takes every
   running container of the engine, so the count is read back from the JSON report. Skipped
   while the plugin does not offer the option.

Everything started is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from images import build_image  # noqa: E402

from pytest_ctrsec.catalog import registry  # noqa: E402
from pytest_ctrsec.engine import get_client  # noqa: E402
from pytest_ctrsec.options import option_fields  # noqa: E402
from pytest_ctrsec.targets.container import load_containers  # noqa: E402
from pytest_ctrsec.targets.daemon import load_daemon  # noqa: E402

IMAGE = "ctrsec-bench/container:1"
TIMED = ("containers", "inspect_container", "top", "inspect_image", "inspect_volume", "head",
         "get_archive", "info", "version", "networks")


def start(client: Any, count: int, tag: str) -> list[Any]:
    build_image(client, IMAGE, ['CMD ["sleep", "3600"]'])
    made = []
    for n in range(count):
        careless = n % 2 == 1
        args: dict[str, Any] = dict(labels={"ctrsec.bench": tag}, detach=True,
                                    name=f"ctrsec-bench-{tag}-{n}")
        if careless:
            args.update(environment={"API_TOKEN": "tok-" + uuid.uuid4().hex}, cap_add=["NET_ADMIN"])
        else:
            args.update(user="1000", cap_drop=["ALL"], read_only=True, mem_limit="32m",
                        pids_limit=32, security_opt=["no-new-privileges"])
        made.append(client.containers.run(IMAGE, **args))
    return made


@contextmanager
def timed_api(client: Any) -> Iterator[dict[str, list[float]]]:
    """Time every call of the SDK's low-level client methods the loaders use."""
    spent: dict[str, list[float]] = defaultdict(list)
    api = client.api
    originals = {name: getattr(api, name) for name in TIMED}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - t0)
        return timed

    for name, fn in originals.items():
        setattr(api, name, wrap(name, fn))
    try:
        yield spent
    finally:
        for name in originals:
            delattr(api, name)  # the instance attribute; the class method shows again


def in_process(client: Any, tag: str, repeat: int) -> tuple[list[str], int]:
    """Rows for the load and check phases (medians over ``repeat``)."""
    loads, engine, checks, calls = [], defaultdict(list), [], defaultdict(int)
    count = 0
    container_checks = [c for c in registry().values() if c.model == "container"]
    for _ in range(repeat):
        load_daemon.cache_clear()
        with timed_api(client) as spent:
            t0 = time.perf_counter()
            models = load_containers([f"label:ctrsec.bench={tag}"])
            loads.append(time.perf_counter() - t0)
        for name, times in spent.items():
            engine[name].append(sum(times))
            calls[name] = len(times)
        t0 = time.perf_counter()
        for model in models:
            for chk in container_checks:
                chk.evaluate(model)
        checks.append(time.perf_counter() - t0)
        count = len(models)
    med = statistics.median
    total_engine = sum(med(v) for v in engine.values())
    load = med(loads)
    rows = [f"{'phase':<34}{'calls':>7}{'total ms':>11}{'ms/container':>14}{'share':>8}"]
    for name in sorted(engine, key=lambda n: -med(engine[n])):
        rows.append(_row(f"  engine: {name}", calls[name], med(engine[name]), count, load))
    rows.append(_row("engine calls, all", sum(calls.values()), total_engine, count, load))
    rows.append(_row("our code in the loader", 0, load - total_engine, count, load))
    rows.append(_row("load, total", 0, load, count, load))
    rows.append(_row(f"{len(container_checks)} container checks", 0, med(checks), count, None))
    return rows, count


def _row(name: str, calls: int, seconds: float, count: int, whole: float | None) -> str:
    share = f"{100 * seconds / whole:.0f}%" if whole else "-"
    return (f"{name:<34}{calls or '':>7}{seconds * 1000:>11.1f}"
            f"{seconds * 1000 / max(count, 1):>14.2f}{share:>8}")


def whole_process(repeat: int) -> list[str]:
    """Median wall time of the plugin run (one item per container and check, and one item per
    check for all containers of the engine) against pytest collecting nothing."""
    if "container" not in {f.name for f in option_fields()}:
        return ["whole process: skipped, --ctrsec-container is not offered by the plugin yet"]
    work = Path(tempfile.mkdtemp(prefix="ctrsec-bench-containers-"))
    report = work / "out.json"
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    fixed = _median_wall(base, work, repeat)
    lines = [f"whole process (median of {repeat}); pytest collecting nothing: {fixed:.2f} s"]
    for granularity in ("object", "source"):
        run = [*base, "--ctrsec-container=running", f"--ctrsec-granularity={granularity}",
               f"--ctrsec-json={report}"]
        wall = _median_wall(run, work, repeat)
        rows = json.loads(report.read_text())["results"]
        targets = len({r["target"] for r in rows})
        per = (wall - fixed) / max(targets, 1)
        lines.append(f"  --ctrsec-container=running --ctrsec-granularity={granularity:<7}"
                     f"{wall:7.2f} s  {targets} containers, {len(rows)} results, "
                     f"{per * 1000:.0f} ms per container beyond start-up")
    return lines


def _median_wall(cmd: list[str], cwd: Path, repeat: int) -> float:
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args()
    client = get_client(None)  # the key the loaders use
    tag = uuid.uuid4().hex[:8]
    made = start(client, args.count, tag)
    try:
        rows, count = in_process(client, tag, args.repeat)
        print(f"containers loaded: {count} (label ctrsec.bench={tag}), median of {args.repeat}")
        print("\n".join(rows))
        print()
        print("\n".join(whole_process(args.repeat)))
    finally:
        if not args.keep:
            for container in made:
                container.remove(force=True)


if __name__ == "__main__":
    main()
