"""Assertion helpers for user tests.

    def test_web_is_hardened(ctrsec_compose):
        assert_check("compose.no-privileged", ctrsec_compose)
        assert_check("compose.user-not-root", ctrsec_compose.service("web"))

A subject is a :class:`Target`, a list of them, or any model with a ``ctrsec_targets()``
method (a Compose project, one of its services...). The check runs on every subject target
whose model type matches the check.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    if isinstance(subject, Iterable) and not isinstance(subject, (str, bytes)):
        return [t for item in subject for t in subject_targets(item)]
    raise TypeError(f"cannot check a {type(subject).__name__}: pass a ctrsec target or model")


def run_check(check_id: str, subject: Any, **options: Any) -> list[Result]:
    """Run one bundled check on a subject; one :class:`Result` per matching target."""
    chk = get(check_id)
    targets = tuple(t for t in subject_targets(subject) if t.model_type == chk.model)
    if not targets:
        raise ValueError(f"{check_id} judges {chk.model} targets; the subject has none")
    return run_unit(Unit(chk, targets, check_id), options or None)


def assert_check(check_id: str, subject: Any, **options: Any) -> None:
    """Fail the test with the check's findings when any target fails it; skip when no
    target could be judged (the reason says why)."""
    __tracebackhide__ = True
    results = run_check(check_id, subject, **options)
    if any(r.outcome == "failed" for r in results):
        raise AssertionError(failure_message(results))
    if all(r.outcome == "skipped" for r in results):
        pytest.skip(f"{check_id}: cannot evaluate: " + "; ".join(sorted({r.reason for r in results})))


def assert_fails(check_id: str, subject: Any, **options: Any) -> list[Result]:
    """The opposite: the check must fail on the subject (for testing hardening guards)."""
    __tracebackhide__ = True
    results = run_check(check_id, subject, **options)
    if not any(r.outcome == "failed" for r in results):
        outcomes = ", ".join(f"{r.target.name}: {r.outcome}" for r in results)
        raise AssertionError(f"{check_id} was expected to fail, got {outcomes}")
    return results
