"""The state of one run: options, loaded targets, selected checks and the item plan.

Loading happens once per process at the start of collection; the bundled suite modules read
the plan when pytest imports them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from .catalog import Check, registry
from .options import RunOptions
from .runner import Unit, plan
from .selection import select
from .targets import Target

# Target kind -> module with ``load_targets(opts) -> list[Target]``, and when it applies.
LOADERS: dict[str, tuple[str, Callable[[RunOptions], bool]]] = {
    "compose": ("pytest_ctrsec.targets.compose", lambda o: bool(o.compose)),
    "k8s": ("pytest_ctrsec.targets.kube", lambda o: bool(o.k8s or o.kube_context or o.kubeconfig)),
    "image": ("pytest_ctrsec.targets.image", lambda o: bool(o.image)),
    "dockerfile": ("pytest_ctrsec.targets.dockerfile", lambda o: bool(o.dockerfile)),
    "container": ("pytest_ctrsec.targets.container", lambda o: bool(o.container)),
    "daemon": ("pytest_ctrsec.targets.daemon", lambda o: bool(o.daemon)),
}


@dataclass
class SessionState:
    options: RunOptions
    targets: dict[str, list[Target]] = field(default_factory=dict)  # by model type
    checks: dict[str, Check] = field(default_factory=dict)  # selected, by id
    units: dict[str, list[Unit]] = field(default_factory=dict)  # by check id

    def check_options(self, check_id: str) -> dict[str, object] | None:
        """Per-check option values from configuration (none yet beyond the defaults)."""
        return None

    def load(self) -> None:
        """Load every requested target, select checks and plan the items."""
        for kind, (module, wanted) in LOADERS.items():
            if not wanted(self.options):
                continue
            for target in load_kind(kind, module, self.options):
                self.targets.setdefault(target.model_type, []).append(target)
        opts = self.options
        chosen = select(registry().values(), opts.profile, opts.select, opts.ignore)
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
