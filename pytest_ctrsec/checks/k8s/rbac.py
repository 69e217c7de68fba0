"""RBAC rules, judged on what subjects can actually do: each RoleBinding and
ClusterRoleBinding is resolved to its role (aggregated ClusterRoles expanded; the default
``cluster-admin``, ``admin``, ``edit`` and ``view`` known when a manifest binds them without
defining them) and every rule is inspected, wildcards included (``*`` verbs, resources and
groups grant everything they match).

Kubernetes' own bootstrap policy (objects named ``system:*`` or labelled
``kubernetes.io/bootstrapping: rbac-defaults``) is not judged, and neither are grants to
Kubernetes' components (``system:masters``, ``system:nodes``, ``system:kube-scheduler``...).
Grants to the ``system:`` names that stand for workloads (``system:serviceaccount:ns:name``,
the groups ``system:serviceaccounts[:ns]``) or for everyone (``system:authenticated``,
``system:unauthenticated``, ``system:anonymous``) are judged like any other."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from ...errors import CannotEvaluate
from ...findings import Finding
from ...targets.kube.model import KubeObject, as_list
from ...targets.kube.rbac import (PUBLIC_SUBJECTS, RBAC_GROUP, Rule, Subject, UnknownRole,
                                  binding_rules, is_builtin, role_ref, subjects)
from .base import k8s_check

BINDINGS = (f"{RBAC_GROUP}/RoleBinding", f"{RBAC_GROUP}/ClusterRoleBinding")
ROLES = (f"{RBAC_GROUP}/Role", f"{RBAC_GROUP}/ClusterRole")

# What every cluster grants the public groups by default (system:public-info-viewer to all,
# system:discovery and system:basic-user to the authenticated): role names, and the
# non-resource URLs and resources a custom role may grant them without going beyond.
PUBLIC_DEFAULTS = {
    "system:authenticated": {"system:basic-user", "system:discovery", "system:public-info-viewer"},
    "system:unauthenticated": {"system:public-info-viewer"},
    "system:anonymous": {"system:public-info-viewer"},
}
_PUBLIC_URLS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})
_DISCOVERY_URLS = _PUBLIC_URLS | {"/api", "/api/*", "/apis", "/apis/*", "/openapi",
                                  "/openapi/*"}
_SELF_REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews",
                           "selfsubjectreviews"})

# (verb, resource, API group, what it lets a subject do). Adjacent rows on the same resource
# are reported together ("create, get pods/exec (...)"), with the first granted row's words.
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
    # a WebSocket upgrade is a GET: before Kubernetes v1.35 get alone allowed exec and attach
    ("get", "pods/exec", "", "run commands in pods over WebSocket, before Kubernetes v1.35"),
    ("create", "pods/attach", "", "attach to pods"),
    ("get", "pods/attach", "", "attach to pods over WebSocket, before Kubernetes v1.35"),
    ("create", "nodes/proxy", "", "reach kubelet APIs, exec in any pod of the node included"),
    # the kubelet authorizes its WebSocket exec with the GET verb on nodes/proxy
    ("get", "nodes/proxy", "",
     "run commands in any pod of the node through the kubelet's WebSocket API"),
    ("create", "serviceaccounts/token", "", "mint service-account tokens"),
    ("create", "mutatingwebhookconfigurations", _ADMISSION := "admissionregistration.k8s.io",
     "rewrite any object as it is admitted, pods included"),
    ("update", "mutatingwebhookconfigurations", _ADMISSION,
     "rewrite any object as it is admitted, pods included"),
    ("patch", "mutatingwebhookconfigurations", _ADMISSION,
     "rewrite any object as it is admitted, pods included"),
    ("create", "validatingwebhookconfigurations", _ADMISSION, "switch admission policies off"),
    ("update", "validatingwebhookconfigurations", _ADMISSION, "switch admission policies off"),
    ("patch", "validatingwebhookconfigurations", _ADMISSION, "switch admission policies off"),
)
_CSR_GROUP = "certificates.k8s.io"


def _not_builtin(obj: KubeObject) -> str | None:
    return f"{obj.kind} {obj.name} is part of Kubernetes' bootstrap policy" if is_builtin(
        obj) else None


def _rules(binding: KubeObject) -> list[Rule]:
    try:
        return binding_rules(binding)
    except UnknownRole as why:
        raise CannotEvaluate(f"{binding.kind} {binding.name}: {why}") from None


def _users(binding: KubeObject) -> list[Subject]:
    """The subjects that are not Kubernetes' own components."""
    return [s for s in subjects(binding) if not s.is_component]


def _scope(binding: KubeObject) -> str:
    return f" in namespace {binding.namespace}" if binding.kind == "RoleBinding" else ""


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
        # "pods/*" or "*/scale" grant every subresource, or one on every resource
        partial = sorted({str(r) for r in as_list(rule.get("resources"))
                          if "*" in str(r) and str(r) != "*"})
        if partial:
            wild.append(f"resources ({', '.join(partial)})")
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
    yield Finding(f"{obj.kind} {obj.name} grants {how}{_scope(obj)} to {_who(users)}",
                  obj.locate("roleRef"))


@k8s_check("k8s.rbac-no-secret-read", title="No subject can read Secrets", severity="high",
           kinds=BINDINGS, why_not=_not_builtin, refs=("CKV2_K8S_5", "C-0015", "C-0186"),
           remediation="grant get, list and watch on secrets to nobody; mount the Secrets a "
                       "workload needs instead")
def rbac_no_secret_read(obj: KubeObject) -> Iterator[Finding]:
    users = _users(obj)
    _, name = role_ref(obj)
    if not users or name.startswith("system:"):
        return
    for rule in _rules(obj):
        verbs = [v for v in ("get", "list", "watch") if rule.allows(v, "secrets")]
        if verbs:
            yield Finding(f"{obj.kind} {obj.name} lets {_who(users)} {', '.join(verbs)} "
                          f"secrets{rule.names_note} through {rule.where}{_scope(obj)}",
                          obj.locate("roleRef"))


@k8s_check("k8s.rbac-no-privilege-escalation", title="No subject can escalate, bind, "
           "impersonate or exec", severity="critical", kinds=BINDINGS, why_not=_not_builtin,
           refs=("CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157", "CKV_K8S_158", "CKV2_K8S_1",
                 "CKV2_K8S_2", "CKV2_K8S_3", "C-0002", "C-0191"),
           remediation="remove escalate, bind and impersonate verbs, create or get on "
                       "pods/exec, pods/attach and nodes/proxy, create on "
                       "serviceaccounts/token, writes to webhook configurations and CSR "
                       "approval, or bind the role only to those who administer the cluster")
def rbac_no_privilege_escalation(obj: KubeObject) -> Iterator[Finding]:
    users = _users(obj)
    if not users:
        return
    rules = _rules(obj)
    for rule in rules:
        what = _escalations(rule)
        if what:
            yield Finding(f"{obj.kind} {obj.name} lets {_who(users)} {what} through "
                          f"{rule.where}{_scope(obj)}", obj.locate("roleRef"))
    approval = "" if any(_full_wildcard(r) for r in rules) else _csr_approval(rules)
    if approval:
        yield Finding(f"{obj.kind} {obj.name} lets {_who(users)} approve certificate signing "
                      f"requests ({approval}): client certificates for any user, "
                      "system:masters included", obj.locate("roleRef"))


def _escalations(rule: Rule) -> str:
    """What one rule lets a subject do among :data:`ESCALATIONS`, in words."""
    if _full_wildcard(rule):
        return "do anything (every verb on every resource: escalate, bind, impersonate, exec)"
    parts: list[str] = []
    for (resource, group), rows in groupby(ESCALATIONS, key=lambda row: row[1:3]):
        granted = [(verb, why) for verb, _, _, why in rows if rule.allows(verb, resource, group)]
        if granted:
            verbs = ", ".join(verb for verb, _ in granted)
            parts.append(f"{verbs} {resource} ({granted[0][1]})")
    return "; ".join(parts) + (rule.names_note if parts else "")


def _csr_approval(rules: list[Rule]) -> str:
    """Approving a CertificateSigningRequest takes both an update of its ``approval``
    subresource and ``approve`` on the signer; where the rules grant both, say through what."""
    update = next((r for r in rules if r.allows("update", "certificatesigningrequests/approval",
                                                _CSR_GROUP)
                   or r.allows("patch", "certificatesigningrequests/approval", _CSR_GROUP)),
                  None)
    approve = next((r for r in rules if r.allows("approve", "signers", _CSR_GROUP)), None)
    if update is None or approve is None:
        return ""
    return (f"update certificatesigningrequests/approval through {update.where}, approve "
            f"signers{approve.names_note} through {approve.where}")


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
        if subject.name not in PUBLIC_SUBJECTS or name in PUBLIC_DEFAULTS.get(subject.name, ()):
            continue
        beyond = _beyond_defaults(obj, subject)
        if beyond:
            yield Finding(f"{obj.kind} {obj.name} grants {_role_text(obj)}{_scope(obj)} to "
                          f"{subject}: {beyond}", obj.locate("subjects", subject.index))


def _beyond_defaults(binding: KubeObject, subject: Subject) -> str:
    """What the binding's role grants a public subject beyond what every cluster already
    grants it ("" when nothing); a role that cannot be read is beyond by default."""
    try:
        rules = binding_rules(binding)
    except UnknownRole as why:
        return f"{why}, so what it grants is unknown"
    authenticated = subject.name == "system:authenticated"
    urls = _DISCOVERY_URLS if authenticated else _PUBLIC_URLS
    for rule in rules:
        if rule.non_resource_urls:
            if rule.verbs <= {"get", "head"} and rule.non_resource_urls <= urls:
                continue
        elif authenticated and rule.verbs == {"create"} and rule.resources <= _SELF_REVIEWS:
            continue
        return f"it allows {_rule_text(rule)} ({rule.where})"
    return ""


def _rule_text(rule: Rule) -> str:
    verbs = ", ".join(sorted(rule.verbs)) or "nothing"
    if rule.non_resource_urls:
        return f"{verbs} on {', '.join(sorted(rule.non_resource_urls))}"
    return f"{verbs} on {', '.join(sorted(rule.resources)) or 'no resource'}{rule.names_note}"
