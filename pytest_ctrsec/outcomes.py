"""Turning the results of one bundled item into pytest's outcome (pass, fail, skip)."""

from __future__ import annotations

from typing import Any

import pytest

from .runner import Result, Unit, failure_message, run_unit
from .session import current

RESULTS_KEY = pytest.StashKey[list[Result]]()


def run_bundled(item: pytest.Item, unit: Unit) -> None:
    """Run the unit's check on its targets, keep the results on the item for the reports,
    and fail (no traceback) when a target fails, skip when none could be judged."""
    state = current()
    options = state.check_options(unit.check.id) if state else None
    results = run_unit(unit, options)
    item.stash[RESULTS_KEY] = results
    if any(r.outcome == "failed" for r in results):
        pytest.fail(failure_message(results), pytrace=False)
    if results and all(r.outcome == "skipped" for r in results):
        reasons = sorted({r.reason for r in results})
        pytest.skip(f"{unit.check.id}: cannot evaluate: " + "; ".join(reasons))


def error_results(item: pytest.Item, why: str) -> list[Result]:
    """When an item errors before its check ran, every target it covers is an error."""
    unit: Any = getattr(getattr(item, "callspec", None), "params", {}).get("ctrsec_unit")
    if not isinstance(unit, Unit):
        return []
    return [Result(unit.check, t, "error", unit.check.severity, (), why) for t in unit.targets]
