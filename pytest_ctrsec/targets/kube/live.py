"""Reading a live cluster through the official ``kubernetes`` client (imported only here).

Read verbs only: discovery (``/api/v1``, ``/apis``, each group's preferred version) and
``list`` of the kinds the checks need, paged with ``limit`` and ``continue``. With
``--ctrsec-namespace`` the namespaced kinds are listed in those namespaces only, and the
cluster-scoped kinds are read for context (ClusterRoles a RoleBinding refers to) without
being judged (:meth:`KubeCorpus.judged`). A kind the user may not list (403) becomes an :class:`Unavailable` entry, so
every check of that kind skips naming the kind and the API server's reason. Objects a loaded
controller owns (the ReplicaSets of a Deployment, the Pods of a ReplicaSet, the Jobs of a
CronJob) are left out: their controller is judged instead.

The kubeconfig is read with the client's own loader (``--ctrsec-kubeconfig``, else
``$KUBECONFIG`` or ``~/.kube/config``); ``--ctrsec-kube-context`` picks the context
(``current`` or no value: the kubeconfig's current context).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import yaml

from ...errors import ConfigError, TargetUnavailable
from .corpus import (CLUSTER_SCOPED, OTHER_ENGINE_POLICIES, KubeCorpus, build_corpus,
                     other_engine_key)
from .manifests import RawObject
from .model import Origin, Unavailable
from .podspec import BUILTIN_TEMPLATES, template_paths

PAGE_SIZE = 500
TIMEOUT = (10, 120)  # connect, read (seconds)

# (group, kind) the bundled checks read
WANTED: tuple[tuple[str, str], ...] = (
    ("", "Namespace"), ("", "Pod"), ("", "PodTemplate"), ("", "ReplicationController"),
    ("", "Service"), ("", "ConfigMap"), ("", "ServiceAccount"), ("", "LimitRange"),
    ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"),
    ("apps", "StatefulSet"), ("batch", "Job"), ("batch", "CronJob"),
    ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    # other engines' policies, where their CRDs are installed: they may isolate pods
    *OTHER_ENGINE_POLICIES,
)


@dataclass(frozen=True)
class Resource:
    """A listable resource found by discovery."""

    group_version: str  # "v1", "apps/v1"
    name: str  # "deployments"
    kind: str
    namespaced: bool

    def path(self, namespace: str = "") -> str:
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if namespace and self.namespaced:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.name}"
        return f"{base}/{self.name}"


class Forbidden(Exception):
    """The API server refused a list (403): ``str()`` is its reason."""


class ClusterClient:
    """GET requests with the kubeconfig's credentials, errors turned into one line each."""

    def __init__(self, configuration: Any, label: str) -> None:
        from kubernetes.client import rest

        self.config = configuration
        self.label = label
        self.rest = rest.RESTClientObject(configuration)
        self.requests: list[str] = []

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The JSON document at ``path``; None for 404; :class:`Forbidden` for 403."""
        url = self.config.host.rstrip("/") + path
        if params:
            url += "?" + urlencode(params)
        self.requests.append(url)
        status, body = self._request(url)
        if status == 404:
            return None
        if status == 403:
            raise Forbidden(_status_message(body) or "forbidden")
        if status == 401:
            raise TargetUnavailable(f"cluster {self.label}: the credentials were rejected (401 "
                                    "Unauthorized)")
        if not 200 <= status < 300:
            raise TargetUnavailable(f"cluster {self.label}: GET {path} answered {status}: "
                                    f"{_status_message(body) or 'no reason given'}")
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            return doc
        raise TargetUnavailable(f"cluster {self.label}: GET {path} did not answer a JSON object")

    def _request(self, url: str) -> tuple[int, bytes]:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json", "User-Agent": "pytest-ctrsec"}
        # the key is "BearerToken" in recent clients, "authorization" in older ones
        token = (self.config.get_api_key_with_prefix("BearerToken")
                 or self.config.get_api_key_with_prefix("authorization"))
        if token:
            headers["Authorization"] = token
        elif self.config.username:
            headers["Authorization"] = self.config.get_basic_auth_token()
        try:
            resp = self.rest.request(  # type: ignore[no-untyped-call]
                "GET", url, headers=headers, _request_timeout=TIMEOUT)
        except ApiException as err:  # older clients raise for non-2xx answers
            if err.status == 0:
                raise TargetUnavailable(f"cluster {self.label} at {self.config.host}: "
                                        f"{str(err.reason).splitlines()[0]}") from None
            return err.status, (err.body or b"") if isinstance(err.body, bytes) else str(
                err.body or "").encode()
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise TargetUnavailable(f"cluster {self.label} at {self.config.host} cannot be "
                                    f"reached: {_reason(err)}") from None
        data = getattr(resp, "data", None)
        if data is None and hasattr(resp, "read"):
            data = resp.read()
        return resp.status, data or b""


def _reason(err: Exception) -> str:
    inner = getattr(err, "reason", None) or err
    text = str(inner)
    # urllib3 wraps the socket error: keep its last, human part
    return text.rsplit(": ", 1)[-1].strip(") ") or type(inner).__name__


def _status_message(body: bytes | str) -> str:
    try:
        doc = json.loads(body)
    except (ValueError, TypeError):
        return ""
    return str(doc.get("message", "")) if isinstance(doc, dict) else ""


def configure(opts: Any) -> tuple[Any, str]:
    """The client configuration of the chosen kubeconfig context, and the context's name."""
    from kubernetes.client import Configuration
    from kubernetes.config import ConfigException, kube_config

    path = getattr(opts, "kubeconfig", None) or os.environ.get("KUBECONFIG", "").split(
        os.pathsep)[0] or os.path.expanduser(kube_config.KUBE_CONFIG_DEFAULT_LOCATION)
    wanted = getattr(opts, "kube_context", None)
    if wanted in ("", "current"):
        wanted = None
    if not os.path.isfile(path):
        raise ConfigError(f"kubeconfig {path}: no such file")
    try:
        contexts, active = kube_config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=path)
    except (ConfigException, OSError, ValueError, TypeError, KeyError, yaml.YAMLError) as err:
        raise ConfigError(f"kubeconfig {path}: {_one_line(err)}") from None
    names = [c.get("name") for c in contexts or []]
    if wanted is not None and wanted not in names:
        raise ConfigError(f"kubeconfig {path}: no context {wanted!r} (contexts: "
                          f"{', '.join(map(str, names)) or 'none'})")
    name = wanted or (active or {}).get("name")
    if not name:
        raise ConfigError(f"kubeconfig {path}: no current context; pass --ctrsec-kube-context")
    config = Configuration()
    try:
        kube_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path, context=name, client_configuration=config, persist_config=False)
    except (ConfigException, OSError, ValueError, TypeError, KeyError, yaml.YAMLError) as err:
        raise ConfigError(f"kubeconfig {path}, context {name}: {_one_line(err)}") from None
    config.retries = False  # an unreachable cluster answers at once, not after retries
    return config, str(name)


def _one_line(err: Exception) -> str:
    if isinstance(err, yaml.MarkedYAMLError) and err.problem_mark is not None:
        return f"invalid YAML at line {err.problem_mark.line + 1}: {err.problem}"
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def load_cluster(opts: Any, page_size: int = PAGE_SIZE) -> KubeCorpus:
    """A corpus of what the cluster holds, as far as the user may list it."""
    config, context = configure(opts)
    client = ClusterClient(config, context)
    return read_cluster(client, opts, context, page_size)


def read_cluster(client: ClusterClient, opts: Any, label: str,
                 page_size: int = PAGE_SIZE) -> KubeCorpus:
    paths = template_paths(getattr(opts, "k8s_pod_template", ()) or ())
    wanted = set(WANTED) | {(g or "*", k) for g, k in paths.custom_kinds()}
    resources = discover(client, wanted)
    namespaces = tuple(getattr(opts, "namespace", ()) or ())
    raws: list[RawObject] = []
    unavailable: list[Unavailable] = []
    for res in resources:
        if res.kind == "Namespace" and namespaces:
            raws.extend(_get_namespaces(client, res, namespaces, label))
            continue
        scopes = namespaces if (namespaces and res.namespaced) else ("",)
        for ns in scopes:
            try:
                raws.extend(_list_all(client, res, ns, label, page_size))
            except Forbidden as why:
                workload = res.kind in BUILTIN_TEMPLATES or any(
                    k == res.kind for _, k in paths.custom_kinds())
                kind = (other_engine_key(_group(res), res.kind)
                        if (_group(res), res.kind) in OTHER_ENGINE_POLICIES else res.kind)
                unavailable.append(Unavailable(kind, ns, str(why), _source(label, ns),
                                               workload))
    raws = _without_owned(raws)
    corpus = build_corpus(raws, opts, label, live=True)
    corpus.unavailable.extend(Unavailable(u.kind, u.namespace, u.reason, u.source, u.workload,
                                          corpus) for u in unavailable)
    return corpus


def discover(client: ClusterClient, wanted: set[tuple[str, str]]) -> list[Resource]:
    """The listable resources of the wanted (group, kind) pairs, in the order of WANTED."""
    found: dict[tuple[str, str], Resource] = {}
    groups = {"": "v1"}
    try:
        doc = client.get("/apis") or {}
    except Forbidden as why:
        raise TargetUnavailable(f"cluster {client.label}: API discovery refused: {why}"
                                ) from None
    for group in doc.get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        if group.get("name") and preferred:
            groups[group["name"]] = preferred
    wanted_groups = {g for g, _ in wanted}
    for group, version in groups.items():
        if group not in wanted_groups and "*" not in wanted_groups:
            continue
        try:
            listing = client.get("/api/v1" if group == "" else f"/apis/{version}") or {}
        except Forbidden:
            continue
        for res in listing.get("resources") or []:
            name, kind = str(res.get("name", "")), str(res.get("kind", ""))
            if "/" in name or "list" not in (res.get("verbs") or []):
                continue
            if (group, kind) in wanted or ("*", kind) in wanted:
                found.setdefault((group, kind), Resource(version, name, kind,
                                                         bool(res.get("namespaced"))))
    order = {pair: i for i, pair in enumerate(WANTED)}
    return sorted(found.values(), key=lambda r: order.get((_group(r), r.kind), len(order)))


def _group(res: Resource) -> str:
    return res.group_version.rpartition("/")[0]


def _list_all(client: ClusterClient, res: Resource, namespace: str, label: str,
              page_size: int) -> Iterator[RawObject]:
    """Every item of one list, page by page (``limit`` and ``continue``)."""
    token = ""
    while True:
        params: dict[str, Any] = {"limit": page_size}
        if token:
            params["continue"] = token
        doc = client.get(res.path(namespace), params)
        if doc is None:
            return
        for item in doc.get("items") or []:
            if isinstance(item, dict):
                yield _raw(item, res, label)
        token = str((doc.get("metadata") or {}).get("continue") or "")
        if not token:
            return


def _get_namespaces(client: ClusterClient, res: Resource, names: tuple[str, ...],
                    label: str) -> Iterator[RawObject]:
    """The Namespace objects of a namespace filter, read one by one: a user limited to some
    namespaces may not list them all. One that cannot be read leaves its labels unknown."""
    for name in names:
        try:
            doc = client.get(f"{res.path()}/{quote(name, safe='')}")
        except Forbidden:
            continue
        if doc is not None:
            yield _raw(doc, res, label)


def _raw(item: dict[str, Any], res: Resource, label: str) -> RawObject:
    # List items leave out kind and apiVersion; the list's are theirs.
    ns = str((item.get("metadata") or {}).get("namespace") or "")
    if res.kind in CLUSTER_SCOPED:
        ns = ""
    return RawObject(item, res.kind, res.group_version, Origin(None, None), _source(label, ns))


def _source(label: str, namespace: str) -> str:
    return f"{label}#{namespace}" if namespace else label


def _without_owned(raws: list[RawObject]) -> list[RawObject]:
    """Leave out objects whose controller was listed too (and is judged): the ReplicaSets of
    a Deployment, the Pods of a ReplicaSet. One whose controller is not among the listed
    objects (a kind that could not be listed, an owner being deleted, a custom resource) is
    judged itself, as in a file run of the same objects."""
    def key(raw: RawObject) -> tuple[str, str, str]:
        meta = raw.raw.get("metadata") or {}
        return raw.kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")

    listed = {key(r) for r in raws}

    def owned(raw: RawObject) -> bool:
        meta = raw.raw.get("metadata") or {}
        refs = meta.get("ownerReferences") or []
        namespace = str(meta.get("namespace") or "")
        return any(isinstance(r, dict) and r.get("controller")
                   and (str(r.get("kind")), namespace, str(r.get("name"))) in listed
                   for r in refs)

    return [r for r in raws if not owned(r)]
