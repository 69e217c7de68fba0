"""The corpus: every object of one set of manifests (or of one cluster) with the indexes the
rules and the ``ctrsec_k8s`` fixture query (objects by kind and name, namespaces with their
labels, service accounts, network policies, what a subject may do)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...errors import NotFound
from .manifests import RawObject
from .model import Container, KubeNamespace, KubeObject, Unavailable, as_map
from .podspec import extract, template_paths
from .policy import PolicyResolver
from .rbac import Grant, Subject, effective_grants, subjects
from .selectors import selects

if TYPE_CHECKING:
    from .. import Target

# Kinds without a namespace: a namespace written on them means nothing.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
    "StorageClass", "CustomResourceDefinition", "PriorityClass", "IngressClass",
    "RuntimeClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService",
    "CSIDriver", "CSINode", "VolumeAttachment", "CertificateSigningRequest",
})

# NetworkPolicy kinds of other engines, which may isolate pods where no Kubernetes
# NetworkPolicy does: (group, kind) -> whether the policy is cluster-wide. Read from a live
# cluster too (where their CRDs are installed), so a cluster run judges as a file run does.
OTHER_ENGINE_POLICIES: dict[tuple[str, str], bool] = {
    ("projectcalico.org", "NetworkPolicy"): False,
    ("crd.projectcalico.org", "NetworkPolicy"): False,
    ("projectcalico.org", "GlobalNetworkPolicy"): True,
    ("crd.projectcalico.org", "GlobalNetworkPolicy"): True,
    ("cilium.io", "CiliumNetworkPolicy"): False,
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): True,
    ("crd.antrea.io", "NetworkPolicy"): False,
    ("crd.antrea.io", "ClusterNetworkPolicy"): True,
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): True,
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): True,
}


def other_engine_key(group: str, kind: str) -> str:
    """The name under which a live cluster's refusal to list another engine's policy kind
    is kept (``NetworkPolicy.projectcalico.org``): several engines, and Kubernetes, share the
    kind name ``NetworkPolicy``."""
    return f"{kind}.{group}"


_OTHER_ENGINE_KINDS = frozenset(kind for _, kind in OTHER_ENGINE_POLICIES)
NETWORK_POLICY_GROUPS = frozenset({"networking.k8s.io", "extensions"})


class KubeCorpus:
    """All objects read from one set of inputs or one cluster. Filled once by
    :func:`build_corpus`, read-only afterwards."""

    def __init__(self, label: str, *, live: bool = False) -> None:
        self.label = label  # "deploy/" or "a.yaml,b.yaml", "<stdin>", a context name
        self.live = live
        self.objects: list[KubeObject] = []
        self.unavailable: list[Unavailable] = []
        # --ctrsec-namespace: only objects of these namespaces are judged; the others (and
        # cluster-scoped ones) stay in the corpus to resolve references
        self.scope: frozenset[str] | None = None
        self._by_kind: dict[str, list[KubeObject]] = {}
        self._by_kind_ns: dict[tuple[str, str], list[KubeObject]] = {}
        self._by_key: dict[tuple[str, str, str], KubeObject] = {}
        # NetworkPolicies sorted out once, not at each of a workload check's evaluations:
        # Kubernetes' own by namespace, and other engines' (OTHER_ENGINE_POLICIES)
        self._policies: dict[str, list[KubeObject]] = {}
        self._other_policies: list[KubeObject] = []
        self._namespaces: list[KubeNamespace] | None = None
        self._bound: frozenset[tuple[str, str, str]] | None = None

    def __repr__(self) -> str:
        return f"<KubeCorpus {self.label!r}: {len(self.objects)} objects>"

    def add(self, obj: KubeObject) -> None:
        self.objects.append(obj)
        self._by_kind.setdefault(obj.kind, []).append(obj)
        self._by_kind_ns.setdefault((obj.kind, obj.namespace), []).append(obj)
        self._by_key.setdefault((obj.kind, obj.namespace, obj.name), obj)
        if obj.kind == "NetworkPolicy" and obj.group in NETWORK_POLICY_GROUPS:
            self._policies.setdefault(obj.namespace, []).append(obj)
        elif obj.kind in _OTHER_ENGINE_KINDS and (obj.group, obj.kind) in OTHER_ENGINE_POLICIES:
            self._other_policies.append(obj)
        self._namespaces = None
        self._bound = None

    # --- queries --------------------------------------------------------------------

    def objects_of(self, kind: str, namespace: str | None = None) -> list[KubeObject]:
        """Objects of one kind, optionally of one namespace."""
        if namespace is None:
            return self._by_kind.get(kind, [])
        return self._by_kind_ns.get((kind, namespace), [])

    def get(self, kind: str, name: str, namespace: str = "") -> KubeObject | None:
        """The object, or ``None``; :meth:`object` says what is there instead."""
        return self._by_key.get((kind, namespace, name))

    def object(self, kind: str, name: str, namespace: str = "") -> KubeObject:
        """The object of that kind and name in ``namespace`` ("" for cluster-scoped kinds
        and objects that name none); :class:`~pytest_ctrsec.errors.NotFound` names the
        objects of that kind there are, so a forgotten namespace is plain to see.

        >>> corpus.object("Deployment", "web", "shop").kind  # doctest: +SKIP
        'Deployment'
        >>> corpus.object("Deployment", "web")  # doctest: +SKIP
        Traceback (most recent call last):
        NotFound: deploy/: no Deployment 'web' (Deployments: shop/Deployment/web)
        """
        __tracebackhide__ = True  # a failed lookup points at the user's test line
        found = self.get(kind, name, namespace)
        if found is not None:
            return found
        where = f" in namespace {namespace!r}" if namespace else ""
        have = ", ".join(o.ref for o in self.objects_of(kind)[:20]) or "none"
        raise NotFound(f"{self.label}: no {kind} {name!r}{where} ({kind}s: {have})")

    def ctrsec_targets(self) -> list[Target]:
        """Every object and namespace as check targets (for ``assert_check``), as the
        bundled checks see them."""
        from .targets import corpus_targets

        return corpus_targets(self)

    def workloads(self, kind: str | None = None, namespace: str | None = None,
                  labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        """Objects with a pod template, filtered by kind, namespace and pod labels (every
        given label must be on the pod template).

        >>> corpus.workloads(kind="Deployment", labels={"app": "web"})  # doctest: +SKIP
        """
        return [o for o in self.objects
                if o.pod is not None
                and (kind is None or o.kind == kind)
                and (namespace is None or o.namespace == namespace)
                and (not labels or all(str(o.pod.labels.get(k)) == str(v)
                                       for k, v in labels.items()))]

    def pod_specs(self, **filters: Any) -> list[Mapping[str, Any]]:
        """The pod specs of :meth:`workloads` (same filters), as written."""
        return [o.pod.spec for o in self.workloads(**filters) if o.pod is not None]

    def containers(self, **filters: Any) -> list[tuple[KubeObject, Container]]:
        """Every (workload, container) pair of :meth:`workloads` (same filters): init,
        regular and ephemeral containers."""
        return [(o, c) for o in self.workloads(**filters) if o.pod is not None
                for c in o.pod.containers]

    def namespace_labels(self, namespace: str) -> Mapping[str, Any]:
        obj = self.get("Namespace", namespace)
        return obj.labels if obj is not None else {}

    def service_account(self, namespace: str, name: str) -> KubeObject | None:
        return self.get("ServiceAccount", name, namespace)

    def network_policies(self, namespace: str) -> list[KubeObject]:
        """The Kubernetes NetworkPolicies of a namespace (not Calico's or Antrea's kinds of
        the same name, whose fields mean something else)."""
        return self._policies.get(namespace, [])

    def other_engine_policies(self, namespace: str) -> list[KubeObject]:
        """Other engines' policies that may isolate the pods of ``namespace``: the
        namespace's own and the cluster-wide ones, by kind, then in the order read."""
        return sorted((o for o in self._other_policies
                       if OTHER_ENGINE_POLICIES[(o.group, o.kind)] or o.namespace == namespace),
                      key=lambda o: o.kind)

    def policies_selecting(self, obj: KubeObject) -> list[KubeObject]:
        """NetworkPolicies of the object's namespace whose podSelector selects its pods."""
        if obj.pod is None:
            return []
        return [p for p in self.network_policies(obj.namespace)
                if selects(as_map((as_map(p.raw.get("spec")) or {}).get("podSelector")) or {},
                           obj.pod.labels)]

    def selecting(self, kind: str, obj: KubeObject) -> list[KubeObject]:
        """Objects of ``kind`` in the workload's namespace whose selector selects its pods:
        a Service's ``spec.selector`` map (none when it has none), a NetworkPolicy's
        ``podSelector`` (as :meth:`policies_selecting`), otherwise the label selector at
        ``spec.selector`` (a PodDisruptionBudget's: ``{}`` selects every pod, none selects
        none).

        >>> for web in corpus.workloads(kind="Deployment", namespace="shop"):  # doctest: +SKIP
        ...     assert corpus.selecting("PodDisruptionBudget", web), f"{web.ref}: no PDB"
        """
        if obj.pod is None:
            return []
        if kind == "NetworkPolicy":
            return self.policies_selecting(obj)
        labels = obj.pod.labels
        found = []
        for other in self.objects_of(kind, obj.namespace):
            selector = other.get("spec", "selector")
            if kind == "Service":
                # A plain map; an empty or missing one selects no pods (endpoints are
                # managed by hand), unlike an empty label selector.
                chosen = (isinstance(selector, dict) and bool(selector)
                          and selects({"matchLabels": selector}, labels))
            else:
                chosen = isinstance(selector, dict) and selects(selector, labels)
            if chosen:
                found.append(other)
        return found

    def effective_rbac(self, kind: str, name: str, namespace: str = "") -> list[Grant]:
        """Every rule bound to a subject (``User``, ``Group`` or ``ServiceAccount``)."""
        return effective_grants(self, Subject(kind, name, namespace))

    def controller(self, obj: KubeObject) -> KubeObject | None:
        """The object's controller (``ownerReferences`` with ``controller: true``) when it is
        in the input too: a dump's ReplicaSet of a Deployment, or its Pods."""
        refs = (as_map(obj.raw.get("metadata")) or {}).get("ownerReferences")
        for ref in refs if isinstance(refs, list) else ():
            if isinstance(ref, dict) and ref.get("controller") is True:
                owner = self.get(str(ref.get("kind", "")), str(ref.get("name", "")),
                                 obj.namespace)
                if owner is not None:
                    return owner
        return None

    def bound_subjects(self) -> frozenset[tuple[str, str, str]]:
        """``(kind, namespace, name)`` of every subject some (Cluster)RoleBinding names."""
        if self._bound is None:
            self._bound = frozenset(
                (s.kind, s.namespace, s.name)
                for b in self.objects_of("RoleBinding") + self.objects_of("ClusterRoleBinding")
                for s in subjects(b))
        return self._bound

    def judged(self, namespace: str) -> bool:
        """Whether objects of ``namespace`` are judged ("" for cluster-scoped and unset)."""
        return self.scope is None or namespace in self.scope

    def forbidden(self, kind: str) -> str | None:
        """Why objects of ``kind`` could not be read from the cluster, if they could not."""
        for item in self.unavailable:
            if item.kind == kind:
                return item.reason
        return None

    def namespaces(self) -> list[KubeNamespace]:
        """Every namespace that holds an object or has a Namespace object."""
        if self._namespaces is None:
            groups: dict[str, list[KubeObject]] = {}
            for obj in self.objects:
                if obj.kind == "Namespace":
                    groups.setdefault(obj.name, [])
                elif obj.kind not in CLUSTER_SCOPED:
                    groups.setdefault(obj.namespace, []).append(obj)
            self._namespaces = [KubeNamespace(name, tuple(objs), self.get("Namespace", name),
                                              self) for name, objs in groups.items()]
        return self._namespaces


def build_corpus(raws: Iterable[RawObject], opts: Any, label: str, *,
                 live: bool = False) -> KubeCorpus:
    """Objects with their pod templates and Pod Security policy, indexed."""
    raws = list(raws)
    paths = template_paths(getattr(opts, "k8s_pod_template", ()) or ())
    labels = {_name(r.raw): as_map((as_map(r.raw.get("metadata")) or {}).get("labels")) or {}
              for r in raws if r.kind == "Namespace"}
    resolver = PolicyResolver(opts, labels)
    corpus = KubeCorpus(label, live=live)
    scope = tuple(getattr(opts, "namespace", ()) or ())
    corpus.scope = frozenset(scope) if scope else None
    for item in raws:
        corpus.add(_object(item, paths, resolver, corpus))
    return corpus


def _object(item: RawObject, paths: Any, resolver: PolicyResolver,
            corpus: KubeCorpus) -> KubeObject:
    raw, kind = item.raw, item.kind
    metadata = as_map(raw.get("metadata")) or {}
    namespace = "" if kind in CLUSTER_SCOPED else str(metadata.get("namespace") or "")
    group = item.api_version.rpartition("/")[0]
    pod = extract(raw, paths.path_for(group, kind))
    pss = resolver.for_namespace(namespace) if pod is not None else None
    return KubeObject(raw, kind, item.api_version, namespace, _name(raw), item.origin,
                      item.source, pod, pss, corpus)


def _name(raw: Mapping[str, Any]) -> str:
    metadata = as_map(raw.get("metadata")) or {}
    if metadata.get("name"):
        return str(metadata["name"])
    if metadata.get("generateName"):
        return f"{metadata['generateName']}*"
    return "(unnamed)"
