"""Assertion helpers for user tests.

    def test_web_is_hardened(ctrsec_compose):
        assert_check("compose.no-privileged", ctrsec_compose)
        assert_check("compose.user-not-root", ctrsec_compose.service("web"))

    def test_guard_still_bites(ctrsec_k8s):
        assert_fails("k8s.pss-privileged", ctrsec_k8s.object("Deployment", "debug", "ops"))

A subject is what a fixture returns (a Compose project or one of its services, an image, a
Dockerfile, a container, the daemon, a Kubernetes corpus, one of its objects or namespaces),
a :class:`Target`, or a list of these. The check runs on every subject target whose model type
matches the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from .catalog import get
from .runner import Result, Unit, failure_message, run_unit
from .targets import Target


def subject_targets(subject: Any) -> list[Target]:
    """The targets a subject stands for."""
    if isinstance(subject, Target):
        return [subject]
    if hasattr(subject, "ctrsec_targets"):
        return list(subject.ctrsec_targets())
    # A mapping (a raw config, an inspect document) is not a list of subjects: iterating it
    # would complain about its first key instead of about the mapping.
    if isinstance(subject, Iterable) and not isinstance(subject, (str, bytes, Mapping)):
        return [t for item in subject for t in subject_targets(item)]
    raise TypeError(f"cannot check a {type(subject).__name__}: pass what a ctrsec fixture "
                    "returns (a project, service, image, Dockerfile, container, daemon, "
                    "Kubernetes corpus or object) or a Target")


def run_check(check_id: str, subject: Any, **options: Any) -> list[Result]:
    """Run one bundled check on a subject; one :class:`Result` (``.outcome``,
    ``.findings``, ``.reason``, ``.target``) per target of the check's kind.

    >>> [r.outcome for r in run_check("compose.memory-limited", ctrsec_compose)]
    ... # doctest: +SKIP
    ['passed', 'failed', 'passed']
    """
    chk = get(check_id)
    every = subject_targets(subject)
    targets = tuple(t for t in every if t.model_type == chk.model)
    if not targets:
        has = ", ".join(dict.fromkeys(t.model_type for t in every)) or "no targets"
        raise ValueError(f"{check_id} judges {chk.model} targets; the subject "
                         f"{_names(every)} has {has}")
    return run_unit(Unit(chk, targets, check_id), options or None)


def _names(targets: list[Target], limit: int = 3) -> str:
    names = [t.name for t in targets[:limit]]
    more = f" and {len(targets) - limit} more" if len(targets) > limit else ""
    return "(" + ", ".join(names) + more + ")" if names else "(empty)"


def assert_check(check_id: str, subject: Any, **options: Any) -> None:
    """Fail the test with the check's findings (what, where, how to fix, refs) when any
    target fails it; skip when no target could be judged (the reason says why). Keyword
    arguments are the check's options (``min_severity="high"``).

    >>> assert_check("image.user-not-root", ctrsec_image)  # doctest: +SKIP
    >>> assert_check("compose.read-only-rootfs", ctrsec_compose.service("web"))
    ... # doctest: +SKIP
    """
    __tracebackhide__ = True
    results = run_check(check_id, subject, **options)
    if any(r.outcome == "failed" for r in results):
        raise AssertionError(failure_message(results))
    if all(r.outcome == "skipped" for r in results):
        pytest.skip(f"{check_id}: cannot evaluate: " + "; ".join(sorted({r.reason for r in results})))


def assert_fails(check_id: str, subject: Any, **options: Any) -> list[Result]:
    """The opposite: the check must fail on at least one subject target (for testing that
    a guard still bites, or that a known-bad fixture stays bad); returns the results.

    >>> failed = assert_fails("compose.no-secrets-in-env", ctrsec_compose.service("db"))
    ... # doctest: +SKIP
    """
    __tracebackhide__ = True
    results = run_check(check_id, subject, **options)
    if not any(r.outcome == "failed" for r in results):
        outcomes = "; ".join(f"{r.target.name}: {r.outcome}"
                             + (f" ({r.reason})" if r.reason else "") for r in results)
        raise AssertionError(f"{check_id} was expected to fail on the subject but did not: "
                             f"{outcomes}")
    return results
