"""Which Pod Security Standards level and version judge an object.

Precedence, most specific choice first:

1. what the user asked for this run: ``--ctrsec-profile=pss-baseline|pss-restricted`` sets the
   level, ``--ctrsec-pss-version`` the version;
2. the labels of the object's Namespace (when the Namespace object is in the input, or read
   from the cluster): ``pod-security.kubernetes.io/enforce`` and ``.../enforce-version``,
   parsed as Pod Security Admission parses them (a bad level reads as ``restricted``, a bad
   version as ``latest``);
3. the default: ``restricted`` at the newest version.

Like PSA, ``latest`` and any version newer than the newest known one mean the newest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigError

NEWEST_MINOR = 37  # PSA defines policies v1.0 ... v1.37 (the conformance fixtures' newest)
LEVELS = ("privileged", "baseline", "restricted")
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION_LABEL = "pod-security.kubernetes.io/enforce-version"
PROFILE_LEVELS = {"pss-baseline": "baseline", "pss-restricted": "restricted"}
_VERSION = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class PssPolicy:
    """A level and a policy version (the minor of ``v1.N``), and why they were chosen."""

    level: str
    minor: int
    origin: str = "default"

    def __str__(self) -> str:
        return f"{self.level}:v1.{self.minor}"


def parse_version(text: str) -> int | None:
    """The policy minor version of ``latest`` or ``v1.N`` (clamped to the newest), or None.

    >>> parse_version("v1.25"), parse_version("latest"), parse_version("v1.99"), parse_version("1.2")
    (25, 37, 37, None)
    """
    if text == "latest":
        return NEWEST_MINOR
    match = _VERSION.match(text)
    return min(int(match.group(1)), NEWEST_MINOR) if match else None


def option_version(opts: Any) -> int | None:
    """``--ctrsec-pss-version`` as a minor version; a bad value is a :class:`ConfigError`."""
    raw = getattr(opts, "pss_version", None)
    if not raw:
        return None
    minor = parse_version(str(raw).strip())
    if minor is None:
        raise ConfigError(f"--ctrsec-pss-version: {raw!r} is not 'latest' or 'v1.N' "
                          f"(v1.0 ... v1.{NEWEST_MINOR})")
    return minor


def option_level(opts: Any) -> str | None:
    profile = getattr(opts, "profile", None)
    profiles = profile if isinstance(profile, (tuple, list)) else (profile,)
    for name in profiles:
        if name in PROFILE_LEVELS:
            return PROFILE_LEVELS[name]
    return None


class PolicyResolver:
    """Resolves and caches the policy of each namespace."""

    def __init__(self, opts: Any, namespace_labels: Mapping[str, Mapping[str, Any]]) -> None:
        self.level = option_level(opts)
        self.minor = option_version(opts)
        self.labels = namespace_labels
        self._cache: dict[str, PssPolicy] = {}

    def for_namespace(self, namespace: str) -> PssPolicy:
        policy = self._cache.get(namespace)
        if policy is None:
            policy = self._cache[namespace] = self._resolve(namespace)
        return policy

    def _resolve(self, namespace: str) -> PssPolicy:
        labels = self.labels.get(namespace, {})
        level, level_why = "restricted", ""
        minor, minor_why = NEWEST_MINOR, ""
        if self.level is not None:
            level, level_why = self.level, "--ctrsec-profile"
        elif ENFORCE_LABEL in labels:
            value = str(labels[ENFORCE_LABEL])
            level = value if value in LEVELS else "restricted"
            level_why = f"namespace {namespace} label {ENFORCE_LABEL}={value}"
        if self.minor is not None:
            minor, minor_why = self.minor, "--ctrsec-pss-version"
        elif ENFORCE_VERSION_LABEL in labels:
            value = str(labels[ENFORCE_VERSION_LABEL])
            parsed = parse_version(value)
            minor = NEWEST_MINOR if parsed is None else parsed
            minor_why = f"namespace {namespace} label {ENFORCE_VERSION_LABEL}={value}"
        why = "; ".join(w for w in (level_why, minor_why) if w)
        return PssPolicy(level, minor, why or "default")
