"""Benchmark of the Compose loader: CPU time to load a corpus of Compose projects.

    python bench/compose_loader.py [--files 500] [--services 5] [--repeat 3]

Generates two corpora in a temporary folder (``typical``: about 15 lines per service;
``rich``: about 37 lines per service with ports, volumes, healthcheck, deploy, logging and
interpolated values), loads every file as its own project with ``load_project`` and prints a
table: CPU seconds (best of ``--repeat``), lines, and the ratio to what PyYAML's
``CSafeLoader`` alone takes to parse the same files (no merge, validation or normal form).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_ctrsec.targets.compose.loader import load_project  # noqa: E402

TYPICAL = """  {name}:
    image: registry.example/app{i}:1.{i}
    restart: unless-stopped
    user: "1000"
    read_only: true
    cap_drop: [ALL]
    ports:
      - "127.0.0.1:80{i:02d}:80"
    volumes:
      - cache{i}:/cache
    environment:
      APP_ENV: production
      DB_URL: postgres://app:${{DB_PASSWORD:-secret}}@db/app
    mem_limit: 512m
"""

RICH = """  {name}:
    image: registry.example/app{i}:1.{i}
    restart: unless-stopped
    user: "1000:1000"
    read_only: true
    cap_drop: [ALL]
    cap_add:
      - NET_BIND_SERVICE
    security_opt:
      - no-new-privileges:true
    ports:
      - "127.0.0.1:80{i:02d}:80"
      - target: 443
        published: "84{i:02d}"
    volumes:
      - ./data{i}:/data:ro
      - cache{i}:/cache
    environment:
      APP_ENV: production
      DB_URL: postgres://app:${{DB_PASSWORD:-secret}}@db/app
      LOG_LEVEL: info
    labels:
      - "com.example.team=core"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://localhost/health"]
      interval: 30s
      retries: 3
    deploy:
      resources:
        limits:
          memory: 512m
          cpus: "0.5"
    logging:
      driver: json-file
      options:
        max-size: 10m
"""


def write_corpus(folder: Path, template: str, files: int, services: int) -> list[Path]:
    paths = []
    for index in range(files):
        body = ["name: proj%d\nservices:\n" % index]
        body += [template.format(name=f"svc{i}", i=i) for i in range(services)]
        body.append("volumes:\n" + "".join(f"  cache{i}: {{}}\n" for i in range(services)))
        path = folder / f"c{index:03d}" / "compose.yaml"
        path.parent.mkdir(parents=True)
        path.write_text("".join(body))
        paths.append(path)
    return paths


def best_cpu(func: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--services", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, template in (("typical", TYPICAL), ("rich", RICH)):
            folder = Path(tmp) / label
            folder.mkdir()
            paths = write_corpus(folder, template, args.files, args.services)
            texts = [p.read_text() for p in paths]
            lines = sum(t.count("\n") for t in texts)
            env = {"HOME": os.environ.get("HOME", "/root")}

            def ours(paths: list[Path] = paths) -> None:
                for path in paths:
                    load_project([str(path)], environ=env)

            def pyyaml(texts: list[str] = texts) -> None:
                for text in texts:
                    yaml.load(text, Loader=yaml.CSafeLoader)

            loader_s = best_cpu(ours, args.repeat)
            pyyaml_s = best_cpu(pyyaml, args.repeat)
            rows.append((label, args.files, args.files * args.services, lines, loader_s, pyyaml_s))
    print(f"{'corpus':<8} {'files':>6} {'services':>9} {'lines':>7} {'load_project s':>15} "
          f"{'CSafeLoader s':>14} {'ratio':>6}")
    for label, files, services, lines, loader_s, pyyaml_s in rows:
        print(f"{label:<8} {files:>6} {services:>9} {lines:>7} {loader_s:>15.3f} {pyyaml_s:>14.3f} "
              f"{loader_s / pyyaml_s:>6.2f}")


if __name__ == "__main__":
    main()
