"""The state of one run: options, loaded targets, selected checks and the item plan.

Loading happens once per process at the start of collection; the bundled suite modules read
the plan when pytest imports them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from .catalog import Check, registry
from .options import RunOptions, profile_definitions, severity_overrides
from .runner import Unit, plan
from .selection import select
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

    def check_options(self, check_id: str) -> dict[str, object] | None:
        """Per-check option values from configuration (none yet beyond the defaults)."""
        return None

    def severity_of(self, check: Check) -> str:
        """The check's severity after configured overrides (the last matching one wins)."""
        found = [sev for glob, sev in self.overrides if fnmatchcase(check.id, glob)]
        return found[-1] if found else check.severity

    def load(self) -> None:
        """Load every requested target, select checks and plan the items."""
        for kind, (module, wanted) in LOADERS.items():
            if not wanted(self.options):
                continue
            for target in load_kind(kind, module, self.options):
                self.targets.setdefault(target.model_type, []).append(target)
        opts = self.options
        self.overrides = severity_overrides(opts)
        if self.waivers is None:
            self.waivers = None if opts.strict else load_waivers(opts)
        chosen = select(registry().values(), opts.profile, opts.select, opts.ignore,
                        profile_definitions(opts))
        self.checks = {c.id: c for c in chosen}
        self.units = plan(chosen, self.targets, opts.granularity, opts.max_items)


def load_kind(kind: str, module: str, opts: RunOptions) -> list[Target]:
    """Targets of one kind; a kind whose loader is not built yet says so."""
    from .errors import ConfigError

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name and module.startswith(err.name):
            raise ConfigError(f"--ctrsec-{kind}: this target kind is not available in this "
                              "version of pytest-ctrsec") from None
        raise
    return list(mod.load_targets(opts))


_current: SessionState | None = None


def current() -> SessionState | None:
    """The state of the run in this process, once collection started."""
    return _current


def set_current(state: SessionState | None) -> None:
    global _current
    _current = state
