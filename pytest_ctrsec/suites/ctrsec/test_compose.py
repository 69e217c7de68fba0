"""Bundled compose checks (one test function per check; see pytest_ctrsec.suites)."""

from pytest_ctrsec.suites import bind

bind(globals(), "compose")
