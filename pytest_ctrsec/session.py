"""The state of one run: options, loaded targets, selected checks and the item plan.

Loading happens once per process at the start of collection; the bundled suite modules read
the plan when pytest imports them.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .catalog import Check, registry
from .errors import ConfigError
from .options import (RunOptions, check_options, overridden, profile_definitions,
                      severity_overrides)
from .runner import Unit, plan
from .selection import BUILTIN_PROFILES, select
from .targets import Target
from .waivers import WaiverSet, load_file

# Target kind -> module with ``load_targets(opts) -> list[Target]``, and when it applies.
LOADERS: dict[str, tuple[str, Callable[[RunOptions], bool]]] = {
    "compose": ("pytest_ctrsec.targets.compose", lambda o: bool(o.compose)),
    "k8s": ("pytest_ctrsec.targets.kube", lambda o: bool(o.k8s or o.kube_context or o.kubeconfig)),
    "image": ("pytest_ctrsec.targets.image", lambda o: bool(o.image)),
    "dockerfile": ("pytest_ctrsec.targets.dockerfile", lambda o: bool(o.dockerfile)),
    "container": ("pytest_ctrsec.targets.container", lambda o: bool(o.container)),
    "daemon": ("pytest_ctrsec.targets.daemon", lambda o: bool(o.daemon)),
}


def load_waivers(opts: RunOptions) -> WaiverSet:
    """The waivers in force: none under --ctrsec-strict (annotations included)."""
    if opts.strict or not opts.waivers:
        return WaiverSet()
    return WaiverSet(load_file(opts.waivers))


@dataclass
class SessionState:
    options: RunOptions
    waivers: WaiverSet | None = None
    targets: dict[str, list[Target]] = field(default_factory=dict)  # by model type
    checks: dict[str, Check] = field(default_factory=dict)  # selected, by id
    units: dict[str, list[Unit]] = field(default_factory=dict)  # by check id
    overrides: list[tuple[str, str]] = field(default_factory=list)

    structure_tests: list[Any] = field(default_factory=list)  # container-structure-test cases
    cache_dir: str | None = None  # where expensive analyses are shared (xdist workers too)
    options_by_check: dict[str, dict[str, object]] = field(default_factory=dict)

    def check_options(self, check_id: str) -> dict[str, object] | None:
        """Option values configured for this check (``--ctrsec-check-option``)."""
        return self.options_by_check.get(check_id)

    def severity_of(self, check: Check) -> str:
        """The check's severity after configured overrides (the last matching one wins)."""
        return overridden(check.id, check.severity, self.overrides)

    def load(self) -> None:
        """Load every requested target, select checks and plan the items."""
        for kind, (module, wanted) in LOADERS.items():
            if not wanted(self.options):
                continue
            for target in load_kind(kind, module, self.options, self.cache_dir):
                self.targets.setdefault(target.model_type, []).append(target)
        opts = self.options
        self.overrides = severity_overrides(opts)
        self.options_by_check = check_options(opts)
        if self.waivers is None:
            self.waivers = None if opts.strict else load_waivers(opts)
        defined = profile_definitions(opts)
        chosen = select(self._catalogue(defined).values(), opts.profile, opts.select,
                        opts.ignore, defined)
        self.checks = {c.id: c for c in chosen}
        self.units = plan(chosen, self.targets, opts.granularity, opts.max_items)
        self._feed_vulnerability_check()
        self.structure_tests = structure_cases(opts, self.targets.get("image", []))


    def _catalogue(self, defined: dict[str, tuple[str, ...]]) -> dict[str, Check]:
        """The checks to select from: those of the kinds loaded (only their modules are
        imported). Without targets there is nothing to run, and the catalogue is read only
        when the profile is none of the built-in or defined ones (whether a check declares
        it decides between a run and an unknown-profile error)."""
        kinds = {model_type.split(".", 1)[0] for model_type in self.targets}
        profile = self.options.profile
        if not kinds and profile is not None and profile not in BUILTIN_PROFILES \
                and profile not in defined:
            return registry()
        return registry(kinds)

    def _feed_vulnerability_check(self) -> None:
        """The vulnerability check needs the opened OSV database (or scan reports) and the
        waivers that accept single advisories."""
        if not self.targets.get("image"):
            return
        from .checks.vulns import CHECK_ID, runtime_options  # the OSV machinery: images only

        if CHECK_ID not in self.checks:
            return
        accepted = self.waivers.waivers if self.waivers else ()
        extra = runtime_options(self.options, accepted, self.cache_dir)
        self.options_by_check[CHECK_ID] = {**self.options_by_check.get(CHECK_ID, {}), **extra}

    def write_sboms(self) -> list[str]:
        """A CycloneDX SBOM per image target into ``--ctrsec-sbom``."""
        if not self.options.sbom:
            return []
        from .sbom import write_sbom  # CycloneDX costs a tenth of a second to import

        return [str(write_sbom(t.model, self.options.sbom)) for t in self.targets.get("image", [])]


def load_kind(kind: str, module: str, opts: RunOptions,
              cache_dir: str | None = None) -> list[Target]:
    """Targets of one kind; a kind whose loader is not built yet says so."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name and module.startswith(err.name):
            raise ConfigError(f"--ctrsec-{kind}: this target kind is not available in this "
                              "version of pytest-ctrsec") from None
        raise
    if "cache_dir" in inspect.signature(mod.load_targets).parameters:
        return list(mod.load_targets(opts, cache_dir=cache_dir))
    return list(mod.load_targets(opts))


def structure_cases(opts: RunOptions, images: list[Target]) -> list[Any]:
    """One case per (structure test file, test, image)."""
    if not opts.structure_test:
        return []
    if not images:
        raise ConfigError("--ctrsec-structure-test needs an image: pass --ctrsec-image=REF")
    from .structure_test import load_structure_tests

    tests = [t for path in opts.structure_test for t in load_structure_tests(path)]
    return [StructureCase(t, image) for image in images for t in tests]


@dataclass(frozen=True)
class StructureCase:
    """A container-structure-test test bound to one image."""

    test: Any
    image: Target

    @property
    def id(self) -> str:
        return f"{self.image.label}::{self.test.test_id}"


_current: SessionState | None = None


def current() -> SessionState | None:
    """The state of the run in this process, once collection started."""
    return _current


def set_current(state: SessionState | None) -> None:
    global _current
    _current = state
