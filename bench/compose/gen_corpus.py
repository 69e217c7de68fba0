"""Generate a Compose corpus: N projects (default 500) of 3 to 7 services each (about 2,500
services), one ``compose.yaml`` per project folder, mixing hardened and careless services the
way real repositories do (deterministic for a given seed).

    python bench/compose/gen_corpus.py OUT_DIR [--projects 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import yaml

IMAGES = ["nginx:1.27", "postgres:16.4", "redis", "registry.example/app/api:2.3.1",
          "registry.example/app/worker:latest", "python:3.12-slim",
          "ghcr.io/acme/web@sha256:" + "ab" * 32, "grafana/grafana:11.1.0", "busybox:stable"]


def service(rng: random.Random, i: int) -> dict[str, Any]:
    hardened = rng.random() < 0.4
    svc: dict[str, Any] = {"image": rng.choice(IMAGES)}
    if hardened:
        svc.update({"user": "10001:10001", "read_only": True, "cap_drop": ["ALL"],
                    "security_opt": ["no-new-privileges:true"], "mem_limit": "256m",
                    "cpus": 0.5, "pids_limit": 100, "restart": "on-failure:3",
                    "healthcheck": {"test": ["CMD", "/healthz"], "interval": "30s"},
                    "logging": {"driver": "json-file", "options": {"max-size": "10m",
                                                                    "max-file": "3"}}})
    else:
        if rng.random() < 0.2:
            svc["privileged"] = True
        if rng.random() < 0.3:
            svc["cap_add"] = rng.sample(["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "CHOWN"], 2)
        if rng.random() < 0.15:
            svc["network_mode"] = "host"
        if rng.random() < 0.3:
            svc["user"] = rng.choice(["root", "0:0", "app"])
        svc["restart"] = rng.choice(["always", "unless-stopped", "no"])
    if rng.random() < 0.6:
        port = rng.choice([80, 443, 5432, 8080, 9000 + i])
        host = rng.choice(["", "127.0.0.1:", "0.0.0.0:"])
        svc["ports"] = [f"{host}{port}:{port}"]
    vols = []
    if rng.random() < 0.1:
        vols.append("/var/run/docker.sock:/var/run/docker.sock:ro")
    if rng.random() < 0.3:
        vols.append(f"./data{i}:/data")
    if rng.random() < 0.1:
        vols.append({"type": "bind", "source": "/etc", "target": "/host-etc", "read_only": True})
    if vols:
        svc["volumes"] = vols
    env = {"LOG_LEVEL": "info", "PORT": str(8000 + i)}
    if rng.random() < 0.25:
        env["DB_PASSWORD"] = rng.choice(["${DB_PASSWORD}", "s3cr3t-" + str(rng.randrange(10**6))])
    if rng.random() < 0.1:
        env["DATABASE_URL"] = "postgres://app:hunter2@db:5432/app"
    svc["environment"] = env
    return svc


def project(rng: random.Random, n: int) -> dict[str, Any]:
    names = ["web", "api", "worker", "db", "cache", "proxy", "scheduler", "metrics"]
    count = rng.randint(3, 7)
    services = {f"{names[j % len(names)]}{j // len(names) or ''}": service(rng, j)
                for j in range(count)}
    return {"name": f"project{n:04d}", "services": services}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    total = 0
    for n in range(args.projects):
        folder = args.out / f"p{n:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        doc = project(rng, n)
        total += len(doc["services"])
        (folder / "compose.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    print(f"{args.projects} projects, {total} services in {args.out}")


if __name__ == "__main__":
    main()
