"""The check registry: each check is a pure function with its metadata beside it.

A check function takes a target model (and its options) and yields :class:`Finding`
objects; yielding nothing means the target passes. Raising :class:`CannotEvaluate` means
the check cannot judge this target (a skip with the reason). Nothing here knows pytest, so
a rule is unit-tested with a model in and findings out::

    >>> from pytest_ctrsec.catalog import registry
    >>> verdict = registry()["compose.no-privileged"].evaluate(settings)   # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .errors import CannotEvaluate, ConfigError, CtrsecError
from .findings import SEVERITIES, Finding, severity_rank

CheckFunc = Callable[..., Iterable[Finding]]

# Target model types a check can bind to. The part before the dot is the target kind that
# reports show ("compose", "k8s", ...); the part after says which object of it is judged.
MODEL_TYPES: tuple[str, ...] = (
    "compose.service",
    "compose.project",
    "container",
    "daemon",
    "image",
    "dockerfile",
    "k8s.object",
    "k8s.namespace",
    "k8s.cluster",
)


@dataclass(frozen=True)
class Check:
    """Metadata and rule of one bundled best practice."""

    id: str
    title: str
    severity: str
    model: str
    func: CheckFunc = field(repr=False, compare=False)
    refs: tuple[str, ...] = ()
    remediation: str = ""
    profiles: frozenset[str] = frozenset()
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def kind(self) -> str:
        """The target kind: ``compose`` for ``compose.no-privileged``."""
        return self.id.split(".", 1)[0]

    @property
    def slug(self) -> str:
        """The rule without its kind: ``no-privileged``."""
        return self.id.split(".", 1)[1]

    @property
    def test_name(self) -> str:
        """The bundled test function's name: ``test_no_privileged``."""
        return "test_" + self.slug.replace("-", "_").replace(".", "_")

    def applies_to(self, model: Any) -> bool:
        """Whether the check is bound to this model at all (a rule about pod templates is not
        bound to a ConfigMap; a rule may say so with a ``ctrsec_applies`` attribute)."""
        hook = getattr(self.func, "ctrsec_applies", None)
        return True if hook is None else bool(hook(model))

    def evaluate(self, model: Any, options: Mapping[str, Any] | None = None) -> Verdict:
        """Run the rule on one model; never raises for a :class:`CannotEvaluate`."""
        try:
            if options:
                findings = tuple(self.func(model, **{**self.options, **options}))
            elif self.options:
                findings = tuple(self.func(model, **self.options))
            else:
                findings = tuple(self.func(model))
        except CannotEvaluate as why:
            return Verdict("skipped", (), str(why))
        except CtrsecError as err:
            # The target could not be read (an image the engine lost, a broken archive):
            # an error of this target, said in one line, not a crash of the run.
            return Verdict("error", (), str(err))
        return _FAILED(findings) if findings else _PASSED


class Verdict(NamedTuple):
    """The outcome of one check on one model (a named tuple: made for every failure of a
    large corpus, where a frozen dataclass cost five times as much to make)."""

    outcome: str  # "passed", "failed", "skipped" or "error"
    findings: tuple[Finding, ...] = ()
    reason: str = ""

    def severity(self, default: str) -> str:
        """The most severe of the findings' own severities and ``default``."""
        sevs = [f.severity or default for f in self.findings] or [default]
        return max(sevs, key=severity_rank)


_PASSED = Verdict("passed")


def _FAILED(findings: tuple[Finding, ...]) -> Verdict:
    return _new_tuple(Verdict, ("failed", findings, ""))


_new_tuple = tuple.__new__  # without the named tuple's Python-level __new__ (hot path)


_REGISTRY: dict[str, Check] = {}  # in the order of _CHECK_MODULES, however imported
# The check modules, with the target kinds whose checks each registers: a run imports only
# the modules of the kinds it has targets of (the others pull in image, vulnerability and
# Kubernetes machinery that a Compose run never uses). tests/test_catalog_modules.py holds
# these kinds to what each module registers.
_CHECK_MODULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("pytest_ctrsec.checks.runsettings", frozenset({"compose", "container"})),
    ("pytest_ctrsec.checks.compose", frozenset({"compose"})),
    ("pytest_ctrsec.checks.container", frozenset({"container"})),
    ("pytest_ctrsec.checks.daemon", frozenset({"daemon"})),
    ("pytest_ctrsec.checks.image", frozenset({"image"})),
    ("pytest_ctrsec.checks.vulns", frozenset({"image"})),
    ("pytest_ctrsec.checks.dockerfile", frozenset({"dockerfile"})),
    ("pytest_ctrsec.checks.k8s", frozenset({"k8s"})),
)
_loaded = False  # every check module imported (or importing switched off)
_imported: set[str] = set()


def check(
    id: str,
    *,
    title: str,
    severity: str,
    model: str,
    refs: Iterable[str] = (),
    remediation: str = "",
    profiles: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated function as the rule of check ``id``."""

    def register(func: CheckFunc) -> CheckFunc:
        add(Check(id, title, severity, model, func, tuple(refs), remediation,
                  frozenset(profiles), dict(options or {})))
        return func

    return register


def add(chk: Check) -> None:
    """Add one check to the registry, validating its metadata."""
    if chk.severity not in SEVERITIES:
        raise ValueError(f"{chk.id}: severity {chk.severity!r} not in {SEVERITIES}")
    if chk.model not in MODEL_TYPES:
        raise ValueError(f"{chk.id}: model {chk.model!r} not in {MODEL_TYPES}")
    if chk.id in _REGISTRY:
        raise ValueError(f"{chk.id}: registered twice")
    last = next(reversed(_REGISTRY.values()), None)  # the registry is kept in rank order
    _REGISTRY[chk.id] = chk
    if last is not None and module_rank(last) > module_rank(chk):
        # Modules imported out of order (some kinds first): keep the catalogue's order.
        ordered = sorted(_REGISTRY.values(), key=module_rank)
        _REGISTRY.clear()
        _REGISTRY.update((c.id, c) for c in ordered)


def module_rank(chk: Check) -> int:
    """The position of the check's module in the catalogue (others after every one)."""
    module = getattr(chk.func, "__module__", "") or ""
    for rank, (name, _) in enumerate(_CHECK_MODULES):
        if module == name or module.startswith(name + "."):
            return rank
    return len(_CHECK_MODULES)


def registry(kinds: Iterable[str] | None = None) -> dict[str, Check]:
    """Every bundled check by id, importing the check modules on first use. With ``kinds``
    (target kinds: ``compose``, ``k8s``...), the checks of those kinds only, and only their
    modules are imported."""
    global _loaded
    if kinds is None:
        if not _loaded:
            _loaded = True
            _import_modules(name for name, _ in _CHECK_MODULES)
        return _REGISTRY
    wanted = frozenset(kinds)
    if not _loaded:
        _import_modules(name for name, registers in _CHECK_MODULES if registers & wanted)
    return {i: c for i, c in _REGISTRY.items() if c.kind in wanted}


def _import_modules(names: Iterable[str]) -> None:
    for name in names:
        if name in _imported:
            continue
        _imported.add(name)
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            # A check area not built yet is simply absent; anything else is a bug.
            if err.name != name:
                raise


def get(check_id: str) -> Check:
    """The check with this id, or a :class:`ConfigError` suggesting the nearest id.

    >>> try:
    ...     get("compose.no-privilege")
    ... except ConfigError as err:
    ...     print(err)
    unknown check id 'compose.no-privilege' (did you mean compose.no-privileged?)
    """
    known = registry()
    try:
        return known[check_id]
    except KeyError:
        hint = did_you_mean(check_id, list(known))
        raise ConfigError(f"unknown check id {check_id!r}{hint}") from None


def did_you_mean(name: str, ids: Sequence[str]) -> str:
    """`` (did you mean X?)`` with the id nearest to a mistyped one, or ``""``."""
    close = difflib.get_close_matches(name, ids, n=1)
    return f" (did you mean {close[0]}?)" if close else ""
