"""Bundled test modules. pytest collects ``suites/`` when a target option is given; each
module under ``ctrsec/`` binds the selected checks of one target kind as test functions
``test_<rule>``, parametrized over the units of the plan (``test_<rule>[<target>]``)."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import pytest

from ..catalog import Check
from ..session import current

KIND_MARKERS = ("image", "dockerfile", "container", "daemon", "compose", "k8s")


def bind(namespace: MutableMapping[str, Any], kind: str) -> None:
    """Define one test function per selected check of ``kind`` that has targets."""
    state = current()
    if state is None:
        return
    for chk in state.checks.values():
        if chk.kind == kind and state.units.get(chk.id):
            namespace[chk.test_name] = _make_test(chk)


def _make_test(chk: Check) -> Callable[..., None]:
    from ..outcomes import run_bundled

    def test(request: pytest.FixtureRequest, ctrsec_unit: Any) -> None:
        run_bundled(request.node, ctrsec_unit)

    test.__name__ = test.__qualname__ = chk.test_name
    test.__doc__ = f"{chk.id}: {chk.title}"
    test.ctrsec_check = chk  # type: ignore[attr-defined]
    marked = pytest.mark.ctrsec(id=chk.id, severity=chk.severity, refs=list(chk.refs))(test)
    return getattr(pytest.mark, f"ctrsec_{chk.kind}")(marked)
