"""Registration of run-settings rules under both target kinds, and message helpers.

A rule is written once over :class:`RunSettings` and registered twice: ``compose.<slug>``
(the model is the service's RunSettings) and ``container.<slug>`` (the model is a container
object whose ``.settings`` is its RunSettings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ...catalog import check
from ...findings import Finding
from ...runsettings.model import RunSettings

Rule = Callable[..., Iterable[Finding]]


def runsettings_check(slug: str, *, title: str, severity: str, refs: Iterable[str],
                      remediation: str, profiles: Iterable[str] = (),
                      options: Mapping[str, Any] | None = None) -> Callable[[Rule], Rule]:
    """Register ``rule(settings, **options)`` as ``compose.<slug>`` and ``container.<slug>``."""
    meta: dict[str, Any] = dict(title=title, severity=severity, refs=tuple(refs),
                                remediation=remediation, profiles=tuple(profiles),
                                options=options)

    def register(rule: Rule) -> Rule:
        check(f"compose.{slug}", model="compose.service", **meta)(rule)
        check(f"container.{slug}", model="container", **meta)(on_container(rule))
        return rule

    return register


def on_container(rule: Rule) -> Rule:
    """The rule applied to a container model's ``.settings``."""

    def run(model: Any, **options: Any) -> Iterable[Finding]:
        return rule(model.settings, **options)

    run.__name__ = rule.__name__
    run.__doc__ = rule.__doc__
    return run


def who(s: RunSettings) -> str:
    """``service web`` or ``container web``."""
    return f"{s.kind} {s.name}"


def spell(s: RunSettings, compose: str, docker: str) -> str:
    """The setting as the user wrote it: Compose key or ``docker run`` flag."""
    return compose if s.kind == "service" else docker
