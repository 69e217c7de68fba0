"""RBAC rules, judged on what subjects can actually do: each RoleBinding and
ClusterRoleBinding is resolved to its role (aggregated ClusterRoles expanded; the default
``cluster-admin``, ``admin``, ``edit`` and ``view`` known when a manifest binds them without
defining them) and every rule is inspected, wildcards included (``*`` verbs, resources and
groups grant everything they match).

Kubernetes' own bootstrap policy (objects named ``system:*`` or labelled
``kubernetes.io/bootstrapping: rbac-defaults``) is not judged, and neither are grants to
``system:`` users and groups (``system:masters``, ``system:nodes``...), except by
``k8s.rbac-no-anonymous-binding``, which looks at exactly those."""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import CannotEvaluate
from ...findings import Finding
from ...targets.kube.model import KubeObject, as_list
from ...targets.kube.rbac import (RBAC_GROUP, Rule, Subject, UnknownRole, binding_rules,
                                  is_builtin, role_ref, subjects)
from .base import k8s_check

BINDINGS = ("RoleBinding", "ClusterRoleBinding")
ROLES = ("Role", "ClusterRole")

# Default bindings of the public groups in every cluster: role names allowed for them.
PUBLIC_DEFAULTS = {
    "system:authenticated": {"system:basic-user", "system:discovery", "system:public-info-viewer"},
    "system:unauthenticated": {"system:public-info-viewer"},
    "system:anonymous": {"system:public-info-viewer"},
}

# (verb, resource, group) a subject must not be granted, and why.
ESCALATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("escalate", "roles", RBAC_GROUP, "grant itself more than it has"),
    ("escalate", "clusterroles", RBAC_GROUP, "grant itself more than it has"),
    ("bind", "roles", RBAC_GROUP, "bind roles it does not hold"),
    ("bind", "clusterroles", RBAC_GROUP, "bind roles it does not hold"),
    ("impersonate", "users", "", "act as any user"),
    ("impersonate", "groups", "", "act as any group"),
    ("impersonate", "serviceaccounts", "", "act as any service account"),
    ("impersonate", "userextras", "authentication.k8s.io", "act with any user attributes"),
    ("impersonate", "uids", "authentication.k8s.io", "act as any user id"),
    ("create", "pods/exec", "", "run commands in pods"),
    ("create", "pods/attach", "", "attach to pods"),
    ("create", "nodes/proxy", "", "reach kubelet APIs"),
    ("create", "serviceaccounts/token", "", "mint service-account tokens"),
)


def _not_builtin(obj: KubeObject) -> str | None:
    return f"{obj.kind} {obj.name} is part of Kubernetes' bootstrap policy" if is_builtin(
        obj) else None


def _rules(binding: KubeObject) -> list[Rule]:
    try:
        return binding_rules(binding)
    except UnknownRole as why:
        raise CannotEvaluate(f"{binding.kind} {binding.name}: {why}") from None


def _users(binding: KubeObject) -> list[Subject]:
    """The subjects that are not Kubernetes' own ``system:`` users and groups."""
    return [s for s in subjects(binding) if not s.is_system]


def _who(found: list[Subject]) -> str:
    return ", ".join(str(s) for s in found)


def _role_text(binding: KubeObject) -> str:
    kind, name = role_ref(binding)
    return f"{kind} {name}"


@k8s_check("k8s.rbac-no-wildcards", title="RBAC rules name their groups, resources and verbs",
           severity="high", kinds=ROLES, why_not=_not_builtin,
           refs=("CKV_K8S_49", "C-0187"),
           remediation="list the API groups, resources and verbs the role needs instead of '*'")
def rbac_no_wildcards(obj: KubeObject) -> Iterator[Finding]:
    for i, rule in enumerate(as_list(obj.raw.get("rules"))):
        if not isinstance(rule, dict):
            continue
        wild = [key for key in ("apiGroups", "resources", "verbs", "nonResourceURLs")
                if "*" in as_list(rule.get(key))]
        if wild:
            yield Finding(f"{obj.kind} {obj.name} rule {i + 1} uses '*' in {', '.join(wild)}",
                          obj.locate("rules", i))


def _full_wildcard(rule: Rule) -> bool:
    return "*" in rule.verbs and "*" in rule.resources and "*" in rule.api_groups


@k8s_check("k8s.rbac-no-cluster-admin-binding", title="Nobody is bound to cluster-admin",
           severity="critical", kinds=BINDINGS, why_not=_not_builtin,
           refs=("C-0185", "C-0035"),
           remediation="bind a role that grants only what the subject needs")
def rbac_no_cluster_admin_binding(obj: KubeObject) -> Iterator[Finding]:
    users = _users(obj)
    if not users:
        return
    kind, name = role_ref(obj)
    if kind == "ClusterRole" and name == "cluster-admin":
        how = "cluster-admin"
    else:
        full = [r for r in _rules(obj) if _full_wildcard(r)]
        if not full:
            return
        how = f"{kind} {name}, which allows every verb on every resource ({full[0].where})"
    scope = f" in namespace {obj.namespace}" if obj.kind == "RoleBinding" else ""
    yield Finding(f"{obj.kind} {obj.name} grants {how}{scope} to {_who(users)}",
                  obj.locate("roleRef"))


@k8s_check("k8s.rbac-no-secret-read", title="No subject can read Secrets", severity="high",
           kinds=BINDINGS, why_not=_not_builtin, refs=("CKV2_K8S_5", "C-0015", "C-0186"),
           remediation="grant get, list and watch on secrets to nobody; mount the Secrets a "
                       "workload needs instead")
def rbac_no_secret_read(obj: KubeObject) -> Iterator[Finding]:
    users = _users(obj)
    kind, name = role_ref(obj)
    if not users or name.startswith("system:"):
        return
    for rule in _rules(obj):
        verbs = [v for v in ("get", "list", "watch") if rule.allows(v, "secrets")]
        if verbs:
            yield Finding(f"{obj.kind} {obj.name} lets {_who(users)} {', '.join(verbs)} "
                          f"secrets{rule.names_note} through {rule.where}",
                          obj.locate("roleRef"))


@k8s_check("k8s.rbac-no-privilege-escalation", title="No subject can escalate, bind, "
           "impersonate or exec", severity="critical", kinds=BINDINGS, why_not=_not_builtin,
           refs=("CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157", "CKV_K8S_158", "CKV2_K8S_1",
                 "CKV2_K8S_2", "CKV2_K8S_3", "C-0002", "C-0191"),
           remediation="remove escalate, bind and impersonate verbs and create on pods/exec, "
                       "pods/attach, nodes/proxy and serviceaccounts/token")
def rbac_no_privilege_escalation(obj: KubeObject) -> Iterator[Finding]:
    users = _users(obj)
    if not users:
        return
    for rule in _rules(obj):
        granted = [(verb, res, why) for verb, res, group, why in ESCALATIONS
                   if rule.allows(verb, res, group)]
        if granted:
            what = "; ".join(f"{verb} {res} ({why})" for verb, res, why in granted)
            yield Finding(f"{obj.kind} {obj.name} lets {_who(users)} {what} through "
                          f"{rule.where}", obj.locate("roleRef"))


def _not_default_binding(obj: KubeObject) -> str | None:
    labels = obj.labels
    if str(labels.get("kubernetes.io/bootstrapping")) == "rbac-defaults":
        return f"{obj.kind} {obj.name} is part of Kubernetes' bootstrap policy"
    return None


@k8s_check("k8s.rbac-no-anonymous-binding", title="Nothing is granted to anonymous or all "
           "authenticated users beyond the defaults", severity="critical", kinds=BINDINGS,
           why_not=_not_default_binding, refs=("C-0262",),
           remediation="bind roles to named users, groups or service accounts, never to "
                       "system:anonymous, system:unauthenticated or system:authenticated")
def rbac_no_anonymous_binding(obj: KubeObject) -> Iterator[Finding]:
    _, name = role_ref(obj)
    for subject in subjects(obj):
        allowed = PUBLIC_DEFAULTS.get(subject.name)
        if allowed is not None and name not in allowed:
            yield Finding(f"{obj.kind} {obj.name} grants {_role_text(obj)} to {subject}",
                          obj.locate("subjects", subject.index))
