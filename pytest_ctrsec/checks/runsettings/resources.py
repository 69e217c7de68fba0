"""Resource limits, restart policy and health checking."""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import CannotEvaluate
from ...findings import Finding
from ...runsettings.model import RunSettings
from ._register import runsettings_check, spell, who

MAX_RESTARTS = 5


@runsettings_check(
    "memory-limited", title="Memory limited", severity="medium",
    refs=("CIS 5.11", "CL-0026"),
    remediation="Set `deploy.resources.limits.memory` (or `mem_limit`) / `--memory`.")
def memory_limited(s: RunSettings) -> Iterator[Finding]:
    if not (s.memory_limit and s.memory_limit > 0):
        how = spell(s, "deploy.resources.limits.memory (or mem_limit)", "--memory")
        yield Finding(f"{who(s)} has no memory limit; set {how}", s.locate("memory_limit"))


@runsettings_check(
    "cpu-limited", title="CPU limited or weighted", severity="low",
    refs=("CIS 5.12", "CL-0026"),
    remediation="Set `deploy.resources.limits.cpus` (or `cpus`, `cpu_shares`) / `--cpus`.")
def cpu_limited(s: RunSettings) -> Iterator[Finding]:
    limited = (s.cpu_limit or 0) > 0 or (s.cpu_shares or 0) > 0
    if not limited:
        how = spell(s, "deploy.resources.limits.cpus (or cpus, cpu_shares)",
                    "--cpus or --cpu-shares")
        yield Finding(f"{who(s)} has no CPU limit or shares; set {how}", s.locate("cpu_limit"))


@runsettings_check(
    "pids-limited", title="PIDs limited", severity="medium", refs=("CIS 5.29",),
    remediation="Set `deploy.resources.limits.pids` (or `pids_limit`) / `--pids-limit` to a "
                "positive number.")
def pids_limited(s: RunSettings) -> Iterator[Finding]:
    if not (s.pids_limit and s.pids_limit > 0):
        how = spell(s, "deploy.resources.limits.pids (or pids_limit)", "--pids-limit")
        yield Finding(f"{who(s)} has no PIDs limit, so a fork bomb can exhaust the host; "
                      f"set {how}", s.locate("pids_limit"))


@runsettings_check(
    "restart-policy-bounded", title="Restart policy bounded", severity="low",
    refs=("CIS 5.15",),
    remediation=f"Use `restart: \"on-failure:{MAX_RESTARTS}\"` (or `no`) / "
                f"`--restart on-failure:{MAX_RESTARTS}`.")
def restart_policy_bounded(s: RunSettings) -> Iterator[Finding]:
    policy = (s.restart_policy or "no").strip().lower()
    if policy == "no":
        return
    retries = s.restart_max_retries or 0
    if policy == "on-failure" and 0 < retries <= MAX_RESTARTS:
        return
    if policy == "on-failure":
        why = "retries forever" if retries <= 0 else f"retries {retries} times"
        shown = f"on-failure:{retries}" if retries else policy
    else:
        why, shown = "restarts without bound", policy
    yield Finding(f"{who(s)} {why} (restart policy {shown}); use on-failure with at most "
                  f"{MAX_RESTARTS} retries", s.locate("restart_policy"))


def _disabled(test: tuple[str, ...] | None) -> bool:
    return test is not None and len(test) > 0 and test[0].strip().upper() == "NONE"


@runsettings_check(
    "healthcheck-defined", title="Health check defined", severity="low",
    refs=("CIS 5.27", "CIS 4.6"),
    remediation="Add a `healthcheck:` (`--health-cmd`) or a HEALTHCHECK to the image, and do "
                "not disable it.")
def healthcheck_defined(s: RunSettings) -> Iterator[Finding]:
    where = s.locate("healthcheck")
    if s.healthcheck_disabled or _disabled(s.healthcheck):
        yield Finding(f"{who(s)} disables its health check; remove "
                      f"{spell(s, 'disable: true / test: [NONE]', '--no-healthcheck')}", where)
        return
    if s.healthcheck:
        return
    if s.image is None and s.kind != "service":
        # A container's inspect data already merges the image's HEALTHCHECK.
        yield Finding(f"{who(s)} runs without a health check; recreate it with "
                      f"--health-cmd or add HEALTHCHECK to its image", where)
        return
    if s.image is None:
        raise CannotEvaluate(f"{who(s)} defines no health check and its image "
                             f"{s.image_ref or '(built, no image name)'} is not in the local "
                             f"engine, so an inherited HEALTHCHECK is unknown")
    if s.image.healthcheck is None or _disabled(s.image.healthcheck):
        yield Finding(f"{who(s)} has no health check: none of its own and its image "
                      f"{s.image.ref} has no HEALTHCHECK; add "
                      f"{spell(s, 'healthcheck:', '--health-cmd')}", where)
