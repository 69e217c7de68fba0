"""What RBAC lets subjects do: bindings resolved to their roles, aggregated ClusterRoles
expanded, every rule kept with the object and index it was written at.

Matching follows the API server's authorizer: ``*`` matches any verb, group or resource
(subresources included), ``*/exec`` matches the ``exec`` subresource of any resource, and a
plain ``pods`` does not match ``pods/exec``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import KubeObject, as_list, as_map
from .selectors import selects

if TYPE_CHECKING:
    from .corpus import KubeCorpus

RBAC_GROUP = "rbac.authorization.k8s.io"
BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping"


@dataclass(frozen=True, slots=True)
class Rule:
    """One PolicyRule, and where it is written (``role`` None for a built-in role)."""

    api_groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]
    resource_names: frozenset[str]
    role_name: str
    role: KubeObject | None
    index: int
    non_resource_urls: frozenset[str] = frozenset()  # a rule on URLs has no resources

    def allows(self, verb: str, resource: str, group: str = "") -> bool:
        """Whether the rule allows ``verb`` on ``resource`` (``pods`` or ``pods/exec``) of
        ``group``, on at least some object names."""
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if "*" not in self.api_groups and group not in self.api_groups:
            return False
        return resource_matches(self.resources, resource)

    @property
    def where(self) -> str:
        """``Role ns/name rule 2`` (rules counted from 1) or ``built-in ClusterRole edit``."""
        if self.role is None:
            return f"built-in ClusterRole {self.role_name}"
        return f"{self.role.kind} {_named(self.role)} rule {self.index + 1}"

    @property
    def names_note(self) -> str:
        return f" (only {', '.join(sorted(self.resource_names))})" if self.resource_names else ""


def _named(obj: KubeObject) -> str:
    return f"{obj.namespace}/{obj.name}" if obj.namespace else obj.name


def resource_matches(resources: Iterable[str], wanted: str) -> bool:
    """RBAC resource matching, subresources included.

    >>> resource_matches({"pods"}, "pods/exec"), resource_matches({"*/exec"}, "pods/exec")
    (False, True)
    """
    sub = wanted.partition("/")[2]
    for res in resources:
        if res in ("*", wanted):
            return True
        if sub and res == "*/" + sub:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str  # User, Group or ServiceAccount
    name: str
    namespace: str = ""
    index: int = field(default=-1, compare=False)  # position in the binding's subjects

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    @property
    def is_component(self) -> bool:
        """A Kubernetes component's own identity (``system:masters``, ``system:nodes``,
        ``system:kube-scheduler``...). The other ``system:`` names stand for workloads
        (``system:serviceaccount:ns:name``, ``system:serviceaccounts[:ns]``) or for everyone
        (``system:authenticated``, ``system:unauthenticated``, ``system:anonymous``): what is
        granted to them is a user's choice."""
        name = self.name
        if not name.startswith("system:") or self.kind == "ServiceAccount":
            return False
        if name in PUBLIC_SUBJECTS:
            return False
        if self.kind == "User":
            return not name.startswith("system:serviceaccount:")
        return name != "system:serviceaccounts" and not name.startswith("system:serviceaccounts:")


@dataclass(frozen=True, slots=True)
class Grant:
    """A rule a binding grants to its subjects; ``namespace`` "" means cluster-wide.

    >>> corpus.effective_rbac("ServiceAccount", "ci", "ci")  # doctest: +SKIP
    [<Grant verbs=get,patch resources=deployments groups=apps via shop/RoleBinding/ci -> ci, ...>]
    """

    rule: Rule
    binding: KubeObject
    namespace: str

    def __repr__(self) -> str:
        # Short: ``assert not corpus.effective_rbac(...)`` prints the list on failure.
        rule = self.rule
        what = (f"resources={_words(rule.resources)} groups={_words(rule.api_groups)}"
                if not rule.non_resource_urls else f"urls={_words(rule.non_resource_urls)}")
        where = f"in {self.namespace}" if self.namespace else "cluster-wide"
        return (f"<Grant verbs={_words(rule.verbs)} {what} via {self.binding.ref} -> "
                f"{rule.role_name}, {where}>")


def _words(values: frozenset[str]) -> str:
    return ",".join(sorted(v or '""' for v in values)) or "-"


# Everyone, authenticated or not.
PUBLIC_SUBJECTS = frozenset({"system:authenticated", "system:unauthenticated", "system:anonymous"})


class UnknownRole(Exception):
    """A binding refers to a role that is neither in the input nor built in."""


def _rules_of(obj: KubeObject, name: str) -> list[Rule]:
    return [_rule(raw, name, obj, i) for i, raw in enumerate(as_list(obj.raw.get("rules")))
            if isinstance(raw, dict)]


def _rule(raw: Mapping[str, Any], name: str, obj: KubeObject | None, index: int) -> Rule:
    def strings(key: str) -> frozenset[str]:
        return frozenset(str(v) for v in as_list(raw.get(key)))

    urls = strings("nonResourceURLs")
    if urls:  # a rule on URLs grants nothing on resources, whatever else it says
        return Rule(frozenset(), frozenset(), strings("verbs"), frozenset(), name, obj, index,
                    urls)
    return Rule(strings("apiGroups"), strings("resources"), strings("verbs"),
                strings("resourceNames"), name, obj, index)


# Roles of Kubernetes' bootstrap policy, as far as the bundled checks look; used when a
# manifest binds one without defining it. admin, edit and view also take in every ClusterRole
# labelled to aggregate into them (and admin takes edit's rules, edit takes view's).
_RW = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
_READ = ("get", "list", "watch")
_AUTHZ = "authorization.k8s.io"
_AUTHN = "authentication.k8s.io"
_BUILTIN_RAW: dict[str, list[dict[str, Any]]] = {
    "cluster-admin": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                      {"nonResourceURLs": ["*"], "verbs": ["*"]}],
    "edit": [
        {"apiGroups": [""], "resources": ["pods", "pods/attach", "pods/exec",
                                          "pods/portforward", "pods/proxy", "secrets",
                                          "services/proxy", "configmaps", "services",
                                          "serviceaccounts", "persistentvolumeclaims"],
         "verbs": list(_RW)},
        {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
        {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
    ],
    "view": [{"apiGroups": [""], "resources": ["pods", "pods/log", "configmaps", "services",
                                               "endpoints", "persistentvolumeclaims"],
              "verbs": list(_READ)}],
    "admin": [{"apiGroups": [RBAC_GROUP], "resources": ["roles", "rolebindings"],
               "verbs": list(_RW)}],
    "system:auth-delegator": [
        {"apiGroups": [_AUTHN], "resources": ["tokenreviews"], "verbs": ["create"]},
        {"apiGroups": [_AUTHZ], "resources": ["subjectaccessreviews"], "verbs": ["create"]}],
    "system:basic-user": [
        {"apiGroups": [_AUTHZ], "resources": ["selfsubjectaccessreviews",
                                              "selfsubjectrulesreviews"], "verbs": ["create"]},
        {"apiGroups": [_AUTHN], "resources": ["selfsubjectreviews"], "verbs": ["create"]}],
    "system:discovery": [{"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*",
                                              "/openapi", "/openapi/*", "/version",
                                              "/version/"], "verbs": ["get"]}],
    "system:public-info-viewer": [{"nonResourceURLs": ["/healthz", "/livez", "/readyz",
                                                       "/version", "/version/"],
                                   "verbs": ["get"]}],
}
BUILTIN_CLUSTER_ROLES = {name: [_rule(raw, name, None, i) for i, raw in enumerate(rules)]
                         for name, rules in _BUILTIN_RAW.items()}
# namespaced bootstrap Roles: (namespace, name) -> rules
BUILTIN_ROLES = {("kube-system", "extension-apiserver-authentication-reader"): [
    _rule({"apiGroups": [""], "resources": ["configmaps"], "verbs": list(_READ),
           "resourceNames": ["extension-apiserver-authentication"]},
          "extension-apiserver-authentication-reader", None, 0)]}
AGGREGATE_LABEL = "rbac.authorization.k8s.io/aggregate-to-"
_AGGREGATES_FROM = {"admin": "edit", "edit": "view"}  # the built-in role's own aggregation


def role_rules(corpus: KubeCorpus, kind: str, name: str, namespace: str = "") -> list[Rule]:
    """Every rule of a Role or ClusterRole, aggregation expanded; :class:`UnknownRole` when
    the role is missing and cannot be assumed absent."""
    if kind == "Role":
        role = corpus.get("Role", name, namespace)
        if role is None:
            builtin = BUILTIN_ROLES.get((namespace, name))
            if builtin is not None and not corpus.live:
                return builtin
            _missing(corpus, "Role", f"{namespace}/{name}")
            return []
        return _rules_of(role, name)
    return _cluster_role_rules(corpus, name, set())


def _cluster_role_rules(corpus: KubeCorpus, name: str, seen: set[str]) -> list[Rule]:
    if name in seen:
        return []
    seen.add(name)
    role = corpus.get("ClusterRole", name)
    if role is None:
        if name in BUILTIN_CLUSTER_ROLES and not corpus.live:
            return _builtin_rules(corpus, name, seen)
        _missing(corpus, "ClusterRole", name)
        return []
    rules = _rules_of(role, name)
    aggregation = as_map(role.raw.get("aggregationRule"))
    if aggregation is not None:
        selectors = [s for s in as_list(aggregation.get("clusterRoleSelectors"))
                     if isinstance(s, dict)]
        for other in corpus.objects_of("ClusterRole"):
            if other is not role and any(selects(s, other.labels) for s in selectors):
                rules.extend(_cluster_role_rules(corpus, other.name, seen))
    return rules


def _builtin_rules(corpus: KubeCorpus, name: str, seen: set[str]) -> list[Rule]:
    """A bootstrap ClusterRole's rules, with what the input aggregates into it (a ClusterRole
    labelled ``rbac.authorization.k8s.io/aggregate-to-view: "true"`` adds to ``view``)."""
    rules = list(BUILTIN_CLUSTER_ROLES[name])
    label = AGGREGATE_LABEL + name
    for other in corpus.objects_of("ClusterRole"):
        if str(other.labels.get(label)).lower() == "true":
            rules.extend(_cluster_role_rules(corpus, other.name, seen))
    lower = _AGGREGATES_FROM.get(name)
    if lower is not None:
        rules.extend(_cluster_role_rules(corpus, lower, seen))
    return rules


def _missing(corpus: KubeCorpus, kind: str, name: str) -> None:
    """A live cluster that listed all roles tells that a missing role grants nothing; a
    manifest set may bind a role defined elsewhere."""
    forbidden = corpus.forbidden(kind)
    if forbidden:
        raise UnknownRole(f"{kind} {name} could not be read: {forbidden}")
    if not corpus.live:
        raise UnknownRole(f"{kind} {name} is not in the input")


def subjects(binding: KubeObject) -> list[Subject]:
    found = []
    for i, raw in enumerate(as_list(binding.raw.get("subjects"))):
        if isinstance(raw, dict) and raw.get("name"):
            kind = str(raw.get("kind", ""))
            ns = str(raw.get("namespace") or (binding.namespace if kind == "ServiceAccount"
                                              else ""))
            found.append(Subject(kind, str(raw["name"]), ns, i))
    return found


def role_ref(binding: KubeObject) -> tuple[str, str]:
    ref = as_map(binding.raw.get("roleRef")) or {}
    return str(ref.get("kind", "")), str(ref.get("name", ""))


def binding_rules(binding: KubeObject) -> list[Rule]:
    """The rules a RoleBinding or ClusterRoleBinding grants (:class:`UnknownRole` when its
    role cannot be resolved)."""
    assert binding.corpus is not None
    kind, name = role_ref(binding)
    return role_rules(binding.corpus, kind, name, binding.namespace)


def is_builtin(obj: KubeObject) -> bool:
    """Objects of Kubernetes' own bootstrap policy, and ``system:`` roles and bindings."""
    return obj.name.startswith("system:") or str(obj.labels.get(BOOTSTRAP_LABEL)) == "rbac-defaults"


def effective_grants(corpus: KubeCorpus, subject: Subject) -> list[Grant]:
    """Every rule granted to ``subject`` by every binding of the corpus that names it."""
    grants: list[Grant] = []
    for binding in corpus.objects_of("RoleBinding") + corpus.objects_of("ClusterRoleBinding"):
        if subject not in subjects(binding):
            continue
        try:
            rules = binding_rules(binding)
        except UnknownRole:
            continue
        scope = binding.namespace if binding.kind == "RoleBinding" else ""
        grants.extend(Grant(rule, binding, scope) for rule in rules)
    return grants
