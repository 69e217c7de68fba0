"""Registering Kubernetes rules: which objects each rule judges, and the skips.

A rule declares the kinds it judges (``WORKLOAD`` for every object with a pod template, or a
set of kinds named with their API group, ``networking.k8s.io/Ingress``, or alone for the core
group, ``ConfigMap``: a Knative ``serving.knative.dev/Service`` or a Calico NetworkPolicy is
not what a rule about the built-in kind means) and optionally a finer predicate that returns
the reason it does not apply.
:func:`applies` answers, for the plugin's binding, whether a (check, target) pair should exist
at all: a Pod Security check replaced at the object's level, a ConfigMap under a probe rule,
are simply not bound. Called anyway, the rule skips with that reason; on a kind a live
cluster refused to list (:class:`Unavailable`) it skips with the cluster's reason."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ...catalog import Check, CheckFunc, check
from ...errors import CannotEvaluate
from ...targets.kube.model import KubeNamespace, KubeObject, Unavailable

WORKLOAD = "workload"  # objects with a pod template (built-in or mapped custom kinds)
WhyNot = Callable[[Any], "str | None"]


def k8s_check(id: str, *, title: str, severity: str, kinds: str | Iterable[str] = WORKLOAD,
              model: str = "k8s.object", why_not: WhyNot | None = None,
              refs: Iterable[str] = (), remediation: str = "", profiles: Iterable[str] = (),
              options: Mapping[str, Any] | None = None) -> Callable[[CheckFunc], CheckFunc]:
    """Register a Kubernetes rule (see :func:`pytest_ctrsec.catalog.check`)."""
    scope = kinds if isinstance(kinds, str) else frozenset(kinds)

    def decorate(func: CheckFunc) -> CheckFunc:
        def excluded(target_model: Any) -> str | None:
            return _excluded(target_model, scope, why_not)

        @functools.wraps(func)
        def rule(target_model: Any, **kwargs: Any) -> Any:
            if isinstance(target_model, Unavailable):
                raise CannotEvaluate(target_model.reason)
            reason = excluded(target_model)
            if reason:
                raise CannotEvaluate(reason)
            return func(target_model, **kwargs)

        rule.ctrsec_excluded = excluded  # type: ignore[attr-defined]
        rule.ctrsec_scope = scope  # type: ignore[attr-defined]
        rule.ctrsec_applies = lambda m: _applies(rule, m)  # type: ignore[attr-defined]
        check(id, title=title, severity=severity, model=model, refs=refs,
              remediation=remediation, profiles=profiles, options=options)(rule)
        return func

    return decorate


def applies(chk: Check, target_model: Any) -> bool:
    """Whether the plugin should bind ``chk`` to a target with this model at all."""
    return _applies(chk.func, target_model)


def _applies(func: Any, target_model: Any) -> bool:
    excluded = getattr(func, "ctrsec_excluded", None)
    if excluded is None:
        return True
    if isinstance(target_model, Unavailable):
        scope = func.ctrsec_scope
        return target_model.workload if scope == WORKLOAD else target_model.kind in {
            k.rpartition("/")[2] for k in scope}
    return excluded(target_model) is None


def kind_key(obj: KubeObject) -> str:
    """``group/Kind``, or ``Kind`` for the core group: how rules name the kinds they judge."""
    group = obj.group
    return f"{group}/{obj.kind}" if group else obj.kind


def _excluded(target_model: Any, scope: Any, why_not: WhyNot | None) -> str | None:
    if isinstance(target_model, KubeObject):
        if scope == WORKLOAD:
            if target_model.pod is None:
                return f"{target_model.kind} {target_model.name} has no pod template"
        elif kind_key(target_model) not in scope:
            return f"not a {' or '.join(sorted(scope))}"
    elif not isinstance(target_model, KubeNamespace):
        return "not a Kubernetes object"
    return why_not(target_model) if why_not else None
