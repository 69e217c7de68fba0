"""Benchmark: Compose adapter and run-settings rules over a generated corpus of services.

Run:  python bench/runsettings_rules.py [--services 2500] [--repeat 5]

Prints one table row per stage with CPU seconds (best of ``--repeat``) and the cost per
service and per evaluation; the "registry" row is ``Check.evaluate`` of a rule that does
nothing, i.e. the part of the rules row that is not the rules themselves. No engine is used (image facts unknown), so it measures the
pure path: ComposeService -> RunSettings -> every ``compose.service`` check.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_ctrsec.catalog import Check, registry
from pytest_ctrsec.findings import Location
from pytest_ctrsec.runsettings.compose import to_run_settings
from pytest_ctrsec.targets.compose.model import ComposeProject, ComposeService

_IMAGES = ("nginx", "nginx:1.27", "postgres:16", "redis:latest", "ghcr.io/acme/api:2.3.1",
           "app@sha256:" + "ab" * 32)
_ENV = ({"LANG": "C.UTF-8", "DB_PASSWORD": "hunter2hunter2", "API_TOKEN": "${API_TOKEN}",
         "DATABASE_URL": "postgres://app:pw123456@db/app", "LOG_LEVEL": "info"},
        ["TZ=UTC", "SECRET_KEY_BASE=${SKB:?}", "DEBUG=false"])


def service_config(i: int, rng: random.Random) -> dict[str, Any]:
    """One service with a realistic mix of settings (half hardened, half not)."""
    hardened = i % 2 == 0
    conf: dict[str, Any] = {
        "image": rng.choice(_IMAGES),
        "environment": _ENV[i % 2],
        "ports": ["127.0.0.1:8080:80", "443:443", {"target": 53, "published": "53",
                                                   "protocol": "udp"}],
        "volumes": ["./data:/data", "/var/run/docker.sock:/var/run/docker.sock:ro",
                    "/etc/localtime:/etc/localtime:ro", "cache:/cache"],
        "restart": "on-failure:3" if hardened else "always",
        "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}},
    }
    if hardened:
        conf.update(user="1000:1000", read_only=True, cap_drop=["ALL"], pids_limit=200,
                    security_opt=["no-new-privileges:true"],
                    deploy={"resources": {"limits": {"memory": "512m", "cpus": "0.5"}}},
                    healthcheck={"test": ["CMD", "/bin/true"]})
    else:
        conf.update(privileged=True, cap_add=["SYS_ADMIN", "NET_ADMIN"], pid="host",
                    devices=["/dev/sda:/dev/sda"])
    return conf


def corpus(n: int) -> ComposeProject:
    rng = random.Random(7)
    services = tuple(
        ComposeService(f"svc{i}", conf, conf, Location("compose.yaml", 2 + 20 * i))
        for i, conf in ((i, service_config(i, rng)) for i in range(n)))
    return ComposeProject("bench", ("compose.yaml",), Path("/srv/bench"), services)


def best(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    project = corpus(args.services)
    checks = [c for c in registry().values() if c.model == "compose.service"]
    adapt_s, settings = best(args.repeat, lambda: [
        to_run_settings(s, project, image_lookup=None) for s in project.services])
    rules_s, verdicts = best(args.repeat, lambda: [
        c.evaluate(m) for m in settings for c in checks])
    noop = Check("bench.noop", "no-op", "low", "compose.service", lambda m: ())
    base_s, _ = best(args.repeat, lambda: [noop.evaluate(m) for m in settings
                                           for _ in checks])
    evals = len(settings) * len(checks)
    failed = sum(v.outcome == "failed" for v in verdicts)

    print(f"{'stage':<28}{'items':>10}{'CPU s':>10}{'us/item':>10}")
    print(f"{'adapter (service)':<28}{len(settings):>10}{adapt_s:>10.3f}"
          f"{adapt_s / len(settings) * 1e6:>10.1f}")
    print(f"{'rules (service x check)':<28}{evals:>10}{rules_s:>10.3f}"
          f"{rules_s / evals * 1e6:>10.2f}")
    print(f"{'  of which registry (no-op)':<28}{evals:>10}{base_s:>10.3f}"
          f"{base_s / evals * 1e6:>10.2f}")
    print(f"{'total':<28}{len(settings):>10}{adapt_s + rules_s:>10.3f}"
          f"{(adapt_s + rules_s) / len(settings) * 1e6:>10.1f}")
    print(f"({len(checks)} checks, {failed} failed evaluations)")


if __name__ == "__main__":
    main()
