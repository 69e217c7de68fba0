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
    if state is None:
        results = run_unit(unit)
    else:
        results = run_unit(unit, state.check_options(unit.check.id),
                           state.severity_of(unit.check), state.waivers,
                           not state.options.no_annotation_waivers)
    item.stash[RESULTS_KEY] = results
    errors = [r for r in results if r.outcome == "error"]
    if errors:
        pytest.fail("\n".join(f"{r.target.name}: {r.reason}" for r in errors), pytrace=False)
    if any(r.outcome == "failed" for r in results):
        pytest.fail(failure_message(results), pytrace=False)
    waived = [r for r in results if r.outcome == "waived"]
    if waived:
        reasons = sorted({r.reason for r in waived})  # "not run: ..." for run: false
        pytest.xfail(f"{unit.check.id}: waived: " + "; ".join(reasons))
    if results and all(r.outcome == "skipped" for r in results):
        reasons = sorted({r.reason for r in results})
        pytest.skip(f"{unit.check.id}: cannot evaluate: " + "; ".join(reasons))


def unit_of(item: pytest.Item) -> Unit | None:
    """The unit a bundled item runs (``None`` for any other test)."""
    unit: Any = getattr(getattr(item, "callspec", None), "params", {}).get("ctrsec_unit")
    return unit if isinstance(unit, Unit) else None


def error_results(item: pytest.Item, why: str) -> list[Result]:
    """When an item errors before its check ran, every target it covers is an error."""
    unit = unit_of(item)
    if unit is None:
        return []
    return [Result(unit.check, t, "error", unit.check.severity, (), why) for t in unit.targets]
