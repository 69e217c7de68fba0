"""Which bundled checks run: profiles, ``--ctrsec-select`` and ``--ctrsec-ignore``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase

from .catalog import Check, did_you_mean
from .errors import ConfigError

BUILTIN_PROFILES = ("default", "all", "cis-docker", "pss-baseline", "pss-restricted")


def matches(check: Check, pattern: str) -> bool:
    """An id glob (``compose.no-*``) or a reference glob (``CIS 5.*``, ``CL-0002``).

    >>> from pytest_ctrsec.catalog import Check
    >>> c = Check("compose.no-privileged", "t", "critical", "compose.service", print,
    ...           refs=("CIS 5.5", "CL-0002"))
    >>> matches(c, "compose.*"), matches(c, "CIS 5.*"), matches(c, "CIS 4.*")
    (True, True, False)
    """
    pattern = pattern.strip()
    if fnmatchcase(check.id, pattern):
        return True
    return any(fnmatchcase(ref, pattern) for ref in check.refs)


def in_profile(check: Check, profile: str | None,
               defined: Mapping[str, Sequence[str]] | None = None) -> bool:
    """Built-in and user-defined profiles; the Pod Security levels themselves are applied
    by the k8s checks."""
    if defined and profile in defined:
        return any(matches(check, p) for p in defined[profile])
    if profile in (None, "default", "all"):
        return True
    if profile == "cis-docker":
        return any(ref.startswith("CIS ") for ref in check.refs)
    if profile in ("pss-baseline", "pss-restricted"):
        # the catalogue's "select them": the Pod Security Standards checks, at that level
        return check.id.startswith("k8s.pss-")
    if profile in check.profiles:
        return True
    known = [*BUILTIN_PROFILES, *(defined or {})]
    raise ConfigError(f"--ctrsec-profile: unknown profile {profile!r}; known: "
                      f"{', '.join(known)}")


def select(checks: Iterable[Check], profile: str | None, include: Iterable[str],
           exclude: Iterable[str], defined: Mapping[str, Sequence[str]] | None = None
           ) -> list[Check]:
    """The checks to run, in registry order."""
    include, exclude = list(include), list(exclude)
    chosen = []
    for chk in checks:
        if not in_profile(chk, profile, defined):
            continue
        if include and not any(matches(chk, p) for p in include):
            continue
        if any(matches(chk, p) for p in exclude):
            continue
        chosen.append(chk)
    return chosen


def require_known(checks: Sequence[Check], option: str, patterns: Iterable[str]) -> None:
    """A pattern that matches no bundled check is a typo, and silently doing nothing would
    hide it (a select that runs no check, an ignore or override that never applies)."""
    for pattern in patterns:
        if any(matches(c, pattern) for c in checks):
            continue
        hint = did_you_mean(pattern.strip(), [c.id for c in checks])
        raise ConfigError(f"{option}: {pattern!r} matches no check id or reference{hint}")


def require_options(checks: Mapping[str, Check],
                    configured: Mapping[str, Mapping[str, object]]) -> None:
    """``--ctrsec-check-option`` names a check and one of its options: a typo would be
    ignored (an unknown id) or crash every item of the check (an unknown option)."""
    option = "--ctrsec-check-option"
    for check_id, values in configured.items():
        chk = checks.get(check_id)
        if chk is None:
            hint = did_you_mean(check_id, list(checks))
            raise ConfigError(f"{option}: unknown check id {check_id!r}{hint}")
        unknown = sorted(set(values) - set(chk.options))
        if unknown:
            known = ", ".join(sorted(chk.options)) or "none"
            raise ConfigError(f"{option}: {check_id} has no option {unknown[0]!r}; "
                              f"its options: {known}")

