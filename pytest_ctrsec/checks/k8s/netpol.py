"""NetworkPolicy rules, with full label-selector semantics.

``k8s.network-policy-default-deny`` (per namespace with workloads): for Ingress and for
Egress, some policy of the namespace selects every pod (an empty ``podSelector``) with that
policy type, and no policy selecting every pod has an allow-all rule for it. Policy types are
read as the API server defaults them: ``Ingress`` always, ``Egress`` when egress rules are
written, unless ``policyTypes`` says otherwise. An allow-all rule is one with no peers and no
ports, or a peer ``ipBlock`` of ``0.0.0.0/0`` or ``::/0`` without exceptions and no ports.

``k8s.network-policy-coverage`` (per workload): some policy of the workload's namespace
selects its pod template's labels (``matchLabels`` and ``matchExpressions``). Pods on the
host's network are out of its reach (NetworkPolicies do not apply to them), so the check does
not bind to them.

Both judge Kubernetes NetworkPolicies (``networking.k8s.io``). Where the input also holds
another engine's policies (Calico, Cilium, Antrea, AdminNetworkPolicy) that could isolate the
pods, a verdict that would fail becomes a skip naming them: their semantics are not
evaluated here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...errors import CannotEvaluate
from ...findings import Finding
from ...targets.kube.corpus import OTHER_ENGINE_POLICIES, other_engine_key
from ...targets.kube.model import KubeNamespace, KubeObject, as_list, as_map
from ...targets.kube.selectors import is_empty
from .base import k8s_check

_OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def policy_types(spec: Mapping[str, Any]) -> set[str]:
    """The directions a policy isolates, as the API server defaults ``policyTypes``."""
    written = spec.get("policyTypes")
    if isinstance(written, list) and written:
        return {str(t) for t in written}
    return {"Ingress", "Egress"} if as_list(spec.get("egress")) else {"Ingress"}


def allows_all(rule: Any, peers_key: str) -> bool:
    """Whether one ingress (``from``) or egress (``to``) rule lets every peer in or out."""
    if not isinstance(rule, dict):
        return False
    if as_list(rule.get("ports")):
        return False
    peers = as_list(rule.get(peers_key))
    if not peers:
        return True
    for peer in peers:
        block = as_map((peer or {}).get("ipBlock")) if isinstance(peer, dict) else None
        if block and block.get("cidr") in _OPEN_CIDRS and not as_list(block.get("except")):
            return True
    return False


def _spec(policy: KubeObject) -> Mapping[str, Any]:
    return as_map(policy.raw.get("spec")) or {}


def _needs_workloads(ns: KubeNamespace) -> str | None:
    return None if ns.workloads else f"namespace {ns.display} has no workloads"


def _other_engines(corpus: Any, namespace: str) -> None:
    """Skip, naming them, when other engines' policies may isolate the namespace's pods, or
    when a live cluster would not list them (then they may as well)."""
    if corpus is None:
        return
    found = corpus.other_engine_policies(namespace)
    if found:
        names = ", ".join(f"{o.kind} {o.ref.split('/', 1)[0] + '/' if o.namespace else ''}"
                          f"{o.name} ({o.group})" for o in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        raise CannotEvaluate(f"no Kubernetes NetworkPolicy does it, but {names}{more} may: "
                             "other engines' policies are not evaluated")
    for group, kind in OTHER_ENGINE_POLICIES:
        reason = corpus.forbidden(other_engine_key(group, kind))
        if reason:
            raise CannotEvaluate(f"no Kubernetes NetworkPolicy does it, and {kind} "
                                 f"({group}) policies, which may, could not be read: {reason}")


def _readable(corpus: Any) -> None:
    reason = corpus.forbidden("NetworkPolicy") if corpus is not None else None
    if reason:
        raise CannotEvaluate(f"NetworkPolicies could not be read: {reason}")


@k8s_check("k8s.network-policy-default-deny", title="Namespaces deny traffic by default",
           severity="high", model="k8s.namespace", why_not=_needs_workloads,
           refs=("C-0054", "C-0260"),
           remediation="add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, "
                       "Egress] and no rules, then allow what each workload needs")
def network_policy_default_deny(ns: KubeNamespace) -> Iterator[Finding]:
    _readable(ns.corpus)
    findings = list(_default_deny_findings(ns))
    if findings:
        _other_engines(ns.corpus, ns.name)
    yield from findings


def _default_deny_findings(ns: KubeNamespace) -> Iterator[Finding]:
    policies = ns.corpus.network_policies(ns.name) if ns.corpus else []
    everyone = [p for p in policies if is_empty(_spec(p).get("podSelector"))]
    for direction, rules_key, peers_key in (("Ingress", "ingress", "from"),
                                            ("Egress", "egress", "to")):
        isolating = [p for p in everyone if direction in policy_types(_spec(p))]
        if not isolating:
            yield Finding(f"namespace {ns.display} has no NetworkPolicy selecting every pod for "
                          f"{direction}, so {direction.lower()} traffic is allowed by default",
                          ns.location)
            continue
        for policy in isolating:
            for i, rule in enumerate(as_list(_spec(policy).get(rules_key))):
                if allows_all(rule, peers_key):
                    yield Finding(f"NetworkPolicy {policy.name} allows all {direction.lower()} "
                                  f"traffic to every pod of namespace {ns.display}",
                                  policy.locate("spec", rules_key, i))


def _host_network(obj: KubeObject) -> str | None:
    assert obj.pod is not None
    if obj.pod.spec.get("hostNetwork") is True:
        return (f"{obj.kind} {obj.name} runs on the host's network, where NetworkPolicies do "
                "not apply")
    return None


@k8s_check("k8s.network-policy-coverage", title="Every workload is selected by a NetworkPolicy",
           severity="medium", why_not=_host_network, refs=("CKV2_K8S_6", "C-0260"),
           remediation="add a NetworkPolicy whose podSelector matches the workload's pod labels")
def network_policy_coverage(obj: KubeObject) -> Iterator[Finding]:
    assert obj.pod is not None and obj.corpus is not None
    _readable(obj.corpus)
    if obj.corpus.policies_selecting(obj):
        return
    _other_engines(obj.corpus, obj.namespace)
    labels = ", ".join(f"{k}={v}" for k, v in sorted(obj.pod.labels.items())) or "no labels"
    where = f"namespace {obj.namespace}" if obj.namespace else "its namespace"
    yield Finding(f"no NetworkPolicy in {where} selects the pods of {obj.kind} {obj.name} "
                  f"({labels})", obj.locate(*obj.pod.metadata_path))
