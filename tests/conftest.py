"""Shared test fixtures: the real Docker engine and test images built on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A client of the real engine. Without one the engine tests skip, except in CI
    (``CI=true``), where an unreachable engine fails the run instead."""
    from pytest_ctrsec.engine import get_client
    from pytest_ctrsec.errors import TargetUnavailable

    try:
        client = get_client()
    except TargetUnavailable as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a Docker engine: {err}", pytrace=False)
        pytest.skip(f"no Docker engine: {err}")
    yield client
