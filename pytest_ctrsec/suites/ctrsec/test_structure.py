"""container-structure-test files (``--ctrsec-structure-test``) as pytest tests: one test per
(file, test, image), ``test_structure[<image>::<kind>[<name>]]``."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_ctrsec.errors import CannotEvaluate
from pytest_ctrsec.session import StructureCase, current

_handles: dict[str, Any] = {}


def _handle(case: StructureCase) -> Any:
    """One image handle per image, prefetching every file its tests read in one pass."""
    from pytest_ctrsec.image_api import ImageHandle
    from pytest_ctrsec.structure_test import prefetch

    state = current()
    key = case.image.name
    if key not in _handles:
        allow = bool(state and state.options.allow_run)
        handle = ImageHandle(case.image.model, allow_run=allow)
        prefetch([c.test for c in (state.structure_tests if state else [])
                  if c.image.name == key], handle)
        _handles[key] = handle
    return _handles[key]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    state = current()
    cases = state.structure_tests if state else []
    metafunc.parametrize("ctrsec_structure_case", cases, ids=[c.id for c in cases])


def _run(case: StructureCase) -> None:
    state = current()
    if case.test.needs_run and not (state and state.options.allow_run):
        pytest.skip(f"{case.test.test_id} starts a container: pass --ctrsec-allow-run")
    failure = skip = None
    try:
        case.test.run(_handle(case))
    except CannotEvaluate as why:
        skip = str(why)
    except AssertionError as err:
        failure = str(err).splitlines()[0] if str(err) else "assertion failed"
    # Outside the handlers, so the report shows the one line and no chained traceback.
    if skip:
        pytest.skip(skip)
    if failure:
        pytest.fail(f"{case.test.path}:{case.test.line}: {case.test.test_id}: {failure}",
                    pytrace=False)


if current() is not None and current().structure_tests:  # type: ignore[union-attr]
    def test_structure(ctrsec_structure_case: StructureCase) -> None:
        """A container-structure-test test against an image."""
        _run(ctrsec_structure_case)
