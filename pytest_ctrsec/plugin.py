"""pytest hooks of pytest-ctrsec (entry point ``ctrsec``): options, collection of the bundled
suites, and reporting. The work is done in plain modules; this file only binds them."""

from __future__ import annotations

import contextlib
import gc
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from .catalog import registry
from .errors import CtrsecError
from .options import (RunOptions, check_options, flag, ini_name, ini_type, option_fields,
                      overridden, profile_definitions, resolve, severity_overrides)
from .outcomes import RESULTS_KEY, error_results, unit_of
from .report import sarif
from .report.log import ResultLog, below_threshold, summary_lines, waiver_lines
from .runner import Result, Unit
from .selection import require_known, require_options
from .session import SessionState, current, load_waivers, set_current
from .waivers import WaiverSet

SUITES_DIR = Path(__file__).parent / "suites"
OPTIONS_KEY = pytest.StashKey[RunOptions]()

pytest_plugins = ["pytest_ctrsec.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ctrsec", "container-security checks (pytest-ctrsec)")
    for fld in option_fields():
        meta = fld.metadata
        kwargs: dict[str, Any] = {"dest": "ctrsec_" + fld.name, "help": meta["help"]}
        if meta["kind"] == "list":
            kwargs.update(action="append", default=[], metavar=meta["metavar"])
        elif meta["kind"] == "bool":
            kwargs.update(action="store_true", default=False)
        elif meta["kind"] == "daemon":
            kwargs.update(nargs="?", const="local", default=None, metavar=meta["metavar"])
        else:
            kwargs.update(default=None, metavar=meta["metavar"])
        group.addoption(flag(fld.name), **kwargs)
        parser.addini(ini_name(fld.name), meta["help"], type=ini_type(meta["kind"]),
                      default=[] if meta["kind"] == "list" else None)


def pytest_configure(config: pytest.Config) -> None:
    for kind in ("image", "dockerfile", "container", "daemon", "compose", "k8s"):
        config.addinivalue_line("markers", f"ctrsec_{kind}: a bundled {kind} check")
    config.addinivalue_line("markers", "ctrsec(id, severity, refs): a bundled ctrsec check")
    opts = _options(config)
    config.stash[OPTIONS_KEY] = opts
    # A structure-test file holds the user's own tests: --ctrsec-no-bundled keeps them.
    suites = SUITES_DIR if opts.wants_bundled else \
        SUITES_DIR / "ctrsec" / "test_structure.py" if opts.has_targets and opts.structure_test \
        else None
    if suites is not None:
        config.args.append(str(suites))
        # A user's python_files setting must not silently drop the bundled modules.
        config.addinivalue_line("python_files", "test_*.py")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Reporter(opts, _validated(opts)), "ctrsec-reporter")


def _validated(opts: RunOptions) -> WaiverSet:
    """Check configuration once on the controller, so mistakes are usage errors up front."""
    try:
        overrides = severity_overrides(opts)
        if opts.select or opts.ignore or overrides:
            checks = list(registry().values())
            require_known(checks, flag("select"), opts.select)
            require_known(checks, flag("ignore"), opts.ignore)
            require_known(checks, flag("severity"), [glob for glob, _ in overrides])
        profile_definitions(opts)
        configured = check_options(opts)
        if configured:
            require_options(registry(), configured)
        return load_waivers(opts)
    except CtrsecError as err:
        raise pytest.UsageError(str(err)) from None


@contextlib.contextmanager
def _stdin_readable(config: pytest.Config, needed: bool) -> Iterator[None]:
    """``--ctrsec-k8s=-`` reads manifests from stdin, which pytest's capture replaces."""
    capman = config.pluginmanager.getplugin("capturemanager") if needed else None
    if capman is None:
        yield
        return
    capman.suspend_global_capture(in_=True)
    try:
        yield
    finally:
        capman.resume_global_capture()


def _cache_dir(config: pytest.Config) -> str:
    """pytest's cache folder (shared by xdist workers), or a temporary one without it."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return str(cache.mkdir("ctrsec"))
    return str(Path(tempfile.gettempdir()) / "pytest-ctrsec-cache")


def _options(config: pytest.Config) -> RunOptions:
    cli = {f.name: config.getoption("ctrsec_" + f.name) for f in option_fields()}
    ini = {f.name: config.getini(ini_name(f.name)) for f in option_fields()}
    ini_dir = config.inipath.parent if config.inipath else None
    try:
        return resolve(cli, ini, ini_dir)
    except CtrsecError as err:
        raise pytest.UsageError(str(err)) from None


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    state = SessionState(session.config.stash[OPTIONS_KEY], cache_dir=_cache_dir(session.config))
    # The loaded targets live until the end: keep the collector from scanning the growing
    # heap again and again while they are built, and from scanning them afterwards (on a
    # large corpus that was more than the checks themselves).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with _stdin_readable(session.config, "-" in state.options.k8s):
            state.load()
    except CtrsecError as err:
        raise pytest.UsageError(str(err)) from None
    finally:
        if was_enabled:
            gc.enable()
    set_current(state)
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """SBOMs are written where the images were read: the only process, or xdist's first
    worker (every worker loads the same targets)."""
    state = current()
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    if state is None or worker not in (None, "gw0"):
        return
    try:
        state.write_sboms()
    except (CtrsecError, OSError) as err:
        session.config.get_terminal_writer().line(f"ERROR: --ctrsec-sbom: {err}", red=True)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


def pytest_unconfigure(config: pytest.Config) -> None:
    set_current(None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    chk = getattr(metafunc.function, "ctrsec_check", None)
    state = current()
    if chk is None or state is None:
        return
    units = state.units[chk.id]
    metafunc.parametrize("ctrsec_unit", units, ids=[u.label for u in units])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        unit = unit_of(item)
        if unit is not None:
            _add_properties(item, unit)


def _add_properties(item: pytest.Item, unit: Unit) -> None:
    """Check metadata as JUnit properties (set at collection: JUnit reads them from the
    item, and markers do not reach an xdist controller)."""
    chk = unit.check
    state = current()
    severity = state.severity_of(chk) if state is not None else chk.severity  # overrides
    item.user_properties.extend([
        ("ctrsec.id", chk.id), ("ctrsec.title", chk.title), ("ctrsec.severity", severity),
        ("ctrsec.refs", ", ".join(chk.refs)),
        ("ctrsec.target", unit.targets[0].name if len(unit.targets) == 1 else unit.label),
    ])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    """A bundled item makes a result and a report row per target, kept to the end of the
    run: with the collector running, it would scan them again and again as they pile up
    (a third of the item's time on a large corpus). So what earlier tests left is
    collected first (the heap since the last freeze: small), the collector is paused for
    the item, and what the item made is then moved out of its sight, like the loaded
    targets (scanning it once more would cost as much as the item's own rows)."""
    if unit_of(item) is None:
        return (yield)
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.collect()
    gc.disable()
    try:
        return (yield)
    finally:
        if was_enabled:
            gc.enable()
            gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    results = item.stash.get(RESULTS_KEY, None)
    if report.when == "call" and results is not None:
        report.ctrsec_results = _rows(item, results)  # type: ignore[attr-defined]
    elif report.when in ("setup", "call") and report.failed:
        # the item failed before its check gave results (a setup error, a check that
        # crashed): its targets are errors in the reports, not missing from them
        rows = _rows(item, error_results(item, _why(report)))
        if rows:
            report.ctrsec_results = rows  # type: ignore[attr-defined]
    return report


def _why(report: pytest.TestReport) -> str:
    """One line: the exception pytest shows in its short summary, else the last line."""
    crash = getattr(report.longrepr, "reprcrash", None)
    lines = crash.message.strip().splitlines() if crash is not None else []
    lines = lines or report.longreprtext.strip().splitlines()[-1:]
    return lines[0] if lines else f"{report.when} failed"


def _rows(item: pytest.Item, results: list[Result]) -> list[Any]:
    """The report rows of an item's results: compact rows in this process, dicts from an
    xdist worker (they travel to the controller, which reads them back as rows)."""
    nodeid = item.nodeid
    if hasattr(item.config, "workerinput"):
        return [r.to_json(nodeid) for r in results]
    return [r.row(nodeid) for r in results]


def pytest_report_header(config: pytest.Config) -> list[str]:
    opts = config.stash.get(OPTIONS_KEY, None)
    if opts is None or not opts.has_targets:
        return []
    given = [f"{flag(n)}={','.join(v) if isinstance(v, tuple) else v}"
             for n in ("image", "dockerfile", "container", "daemon", "compose", "k8s",
                       "kube_context") if (v := getattr(opts, n))]
    return ["ctrsec: " + " ".join(given)]


class Reporter:
    """Gathers results on the controller (the only process that writes reports)."""

    def __init__(self, opts: RunOptions, waivers: WaiverSet) -> None:
        self.opts = opts
        self.waivers = waivers
        self.log = ResultLog()
        self.failures = 0
        self.blocking = 0  # failures at or above --ctrsec-fail-on, or not ctrsec checks
        self.unwritten: set[str] = set()  # reports that could not be written

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        rows = getattr(report, "ctrsec_results", None)
        if rows:
            self.log.add(rows)
        if report.failed:
            self.failures += 1
            self.blocking += not below_threshold(rows or [], self.opts.fail_on)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if session.config.option.collectonly:
            return  # nothing ran: an empty report would overwrite the last real one
        overrides = severity_overrides(self.opts)
        self._write(session, "json", lambda path: self.log.write_json(path))
        self._write(session, "sarif", lambda path: sarif.write(
            path, self.log.sorted_rows(),
            lambda check_id, default: overridden(check_id, default, overrides)))
        # Report everything, but only fail the run for what reaches the threshold. A run
        # that stopped early (-x, --maxfail) did not run everything: it cannot pass.
        stopped = session.shouldfail or session.shouldstop
        if session.exitstatus == pytest.ExitCode.TESTS_FAILED and self.failures \
                and not self.blocking and not stopped:
            session.exitstatus = pytest.ExitCode.OK
        if self.unwritten:  # a gate whose report is missing must not pass
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def _write(self, session: pytest.Session, name: str, write: Callable[[str], None]) -> None:
        """Write one report; a path that cannot be written is one line, not a traceback."""
        path = getattr(self.opts, name)
        if not path:
            return
        try:
            write(path)
        except OSError as err:
            session.config.get_terminal_writer().line(
                f"ERROR: {flag(name)}: {path}: {err.strerror or err}", red=True)
            self.unwritten.add(name)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.log.rows:
            return
        terminalreporter.write_sep("=", "ctrsec summary")
        for line in summary_lines(self.log) + waiver_lines(self.log, self.waivers.waivers):
            terminalreporter.write_line(line)
        for name, path in (("JSON", self.opts.json), ("SARIF", self.opts.sarif)):
            if path and name.lower() not in self.unwritten:
                terminalreporter.write_line(f"{name} report: {path}")
