"""The check registry: each check is a pure function with its metadata beside it.

A check function takes a target model (and its options) and yields :class:`Finding`
objects; yielding nothing means the target passes. Raising :class:`CannotEvaluate` means
the check cannot judge this target (a skip with the reason). Nothing here knows pytest, so
a rule is unit-tested with a model in and findings out::

    >>> from pytest_ctrsec.catalog import registry
    >>> verdict = registry()["compose.no-privileged"].evaluate(settings)   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check on one model."""

    outcome: str  # "passed", "failed", "skipped" or "error"
    findings: tuple[Finding, ...] = ()
    reason: str = ""

    def severity(self, default: str) -> str:
        """The most severe of the findings' own severities and ``default``."""
        sevs = [f.severity or default for f in self.findings] or [default]
        return max(sevs, key=severity_rank)


_PASSED = Verdict("passed")


def _FAILED(findings: tuple[Finding, ...]) -> Verdict:
    return Verdict("failed", findings)


_REGISTRY: dict[str, Check] = {}
_CHECK_MODULES = (
    "pytest_ctrsec.checks.runsettings",
    "pytest_ctrsec.checks.compose",
    "pytest_ctrsec.checks.container",
    "pytest_ctrsec.checks.daemon",
    "pytest_ctrsec.checks.image",
    "pytest_ctrsec.checks.vulns",
    "pytest_ctrsec.checks.dockerfile",
    "pytest_ctrsec.checks.k8s",
)
_loaded = False


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
    _REGISTRY[chk.id] = chk


def registry() -> dict[str, Check]:
    """Every bundled check by id, importing the check modules on first use."""
    global _loaded
    if not _loaded:
        _loaded = True
        for name in _CHECK_MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as err:
                # A check area not built yet is simply absent; anything else is a bug.
                if err.name != name:
                    raise
    return _REGISTRY


def get(check_id: str) -> Check:
    """The check with this id, or a :class:`ConfigError` naming the known ids' kinds."""
    try:
        return registry()[check_id]
    except KeyError:
        raise ConfigError(f"unknown check id {check_id!r}") from None
