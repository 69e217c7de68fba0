"""A small stand-in for a Kubernetes API server, on 127.0.0.1, for the live-cluster tests.

It speaks just enough of the API for a read-only client: discovery (``/api``, ``/api/v1``,
``/apis``, ``/apis/<group>/<version>``), ``list`` of every resource cluster-wide and per
namespace with ``limit``/``continue`` paging, ``get`` of a Namespace, bearer-token auth
(401 without it) and 403 for the resources it is told to forbid. Objects come from test
manifests; list items leave out ``kind`` and ``apiVersion`` as the real API does. Every
request is logged so tests can see the paging happen.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "standin-token"

# kind -> (group, version, resource, namespaced)
RESOURCES: dict[str, tuple[str, str, str, bool]] = {
    "Namespace": ("", "v1", "namespaces", False),
    "Pod": ("", "v1", "pods", True),
    "PodTemplate": ("", "v1", "podtemplates", True),
    "ReplicationController": ("", "v1", "replicationcontrollers", True),
    "Service": ("", "v1", "services", True),
    "ConfigMap": ("", "v1", "configmaps", True),
    "Secret": ("", "v1", "secrets", True),
    "ServiceAccount": ("", "v1", "serviceaccounts", True),
    "LimitRange": ("", "v1", "limitranges", True),
    "Deployment": ("apps", "v1", "deployments", True),
    "ReplicaSet": ("apps", "v1", "replicasets", True),
    "DaemonSet": ("apps", "v1", "daemonsets", True),
    "StatefulSet": ("apps", "v1", "statefulsets", True),
    "Job": ("batch", "v1", "jobs", True),
    "CronJob": ("batch", "v1", "cronjobs", True),
    "Ingress": ("networking.k8s.io", "v1", "ingresses", True),
    "NetworkPolicy": ("networking.k8s.io", "v1", "networkpolicies", True),
    "Role": ("rbac.authorization.k8s.io", "v1", "roles", True),
    "RoleBinding": ("rbac.authorization.k8s.io", "v1", "rolebindings", True),
    "ClusterRole": ("rbac.authorization.k8s.io", "v1", "clusterroles", False),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", False),
    "Rollout": ("argoproj.io", "v1alpha1", "rollouts", True),
    # another engine's policies (kinds of their own: the stand-in keys resources by kind)
    "CiliumNetworkPolicy": ("cilium.io", "v2", "ciliumnetworkpolicies", True),
    "CiliumClusterwideNetworkPolicy": ("cilium.io", "v2", "ciliumclusterwidenetworkpolicies",
                                       False),
}


@dataclass
class StandIn:
    """The server's state: objects, forbidden resources (``"pods"`` everywhere or
    ``"pods@ns"`` in one namespace), and the log of request paths with their queries."""

    objects: list[dict[str, Any]]
    forbidden: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)
    url: str = ""

    def by_resource(self, resource: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if RESOURCES[o["kind"]][2] == resource]


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _resource_list(group_version: str) -> dict[str, Any]:
    resources = [{"name": res, "singularName": "", "namespaced": namespaced, "kind": kind,
                  "verbs": ["get", "list", "watch"]}
                 for kind, (g, v, res, namespaced) in RESOURCES.items()
                 if _group_version(g, v) == group_version]
    # subresources appear in real discovery and must be ignored by clients
    resources += [{"name": f"{r['name']}/status", "namespaced": r["namespaced"],
                   "kind": r["kind"], "verbs": ["get"]} for r in resources]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}


def _group_list() -> dict[str, Any]:
    groups: dict[str, str] = {}
    for g, v, _, _ in RESOURCES.values():
        if g:
            groups[g] = _group_version(g, v)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": g, "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
         "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}}
        for g, gv in groups.items()]}


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
        state: StandIn = self.server.state
        parts = urlsplit(self.path)
        state.log.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, _status(401, "Unauthorized", "Unauthorized"))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        code, body = self._route([p for p in parts.path.split("/") if p], query, state)
        self._send(code, body)

    def _route(self, segs: list[str], query: dict[str, str],
               state: StandIn) -> tuple[int, dict[str, Any]]:
        if segs == ["api"]:
            return 200, {"kind": "APIVersions", "versions": ["v1"]}
        if segs == ["api", "v1"]:
            return 200, _resource_list("v1")
        if segs == ["apis"]:
            return 200, _group_list()
        if len(segs) == 3 and segs[0] == "apis":
            listing = _resource_list(f"{segs[1]}/{segs[2]}")
            return (200, listing) if listing["resources"] else (404, _status(404, "NotFound",
                                                                            "not found"))
        rest = segs[2:] if segs[:2] == ["api", "v1"] else segs[3:]
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if rest[:1] == ["namespaces"] and len(rest) == 2:
            return self._get_namespace(rest[1], state)
        if len(rest) != 1:
            return 404, _status(404, "NotFound", "the server could not find the resource")
        return self._list(rest[0], namespace, query, state)

    def _get_namespace(self, name: str, state: StandIn) -> tuple[int, dict[str, Any]]:
        if "namespaces" in state.forbidden:
            return 403, _status(403, "Forbidden", f'namespaces "{name}" is forbidden')
        for obj in state.by_resource("namespaces"):
            if obj["metadata"]["name"] == name:
                return 200, obj
        return 404, _status(404, "NotFound", f'namespaces "{name}" not found')

    def _list(self, resource: str, namespace: str, query: dict[str, str],
              state: StandIn) -> tuple[int, dict[str, Any]]:
        if resource in state.forbidden or f"{resource}@{namespace}" in state.forbidden:
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            return 403, _status(403, "Forbidden", f'{resource} is forbidden: User "tester" '
                                f'cannot list resource "{resource}" {scope}')
        kind = next((k for k, r in RESOURCES.items() if r[2] == resource), None)
        if kind is None:
            return 404, _status(404, "NotFound", "the server could not find the resource")
        items = [o for o in state.by_resource(resource)
                 if not namespace or o["metadata"].get("namespace") == namespace]
        start = int(query.get("continue") or 0)
        limit = int(query.get("limit") or 0) or len(items)
        page = items[start:start + limit]
        meta: dict[str, Any] = {"resourceVersion": "1"}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
            meta["remainingItemCount"] = len(items) - start - limit
        group, version, _, _ = RESOURCES[kind]
        stripped = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
                    for o in page]
        return 200, {"kind": f"{kind}List", "apiVersion": _group_version(group, version),
                     "metadata": meta, "items": stripped}

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serve(objects: Iterable[dict[str, Any]], forbidden: Iterable[str] = ()) -> Iterator[StandIn]:
    """Run the stand-in on a free port of 127.0.0.1 for the ``with`` block."""
    state = StandIn(list(objects), set(forbidden))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.state = state  # type: ignore[attr-defined]
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def write_kubeconfig(path: Path, url: str, context: str = "standin",
                     token: str = TOKEN) -> Path:
    """A kubeconfig whose context ``context`` points at ``url`` with a bearer token."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "standin", "cluster": {"server": url}}],
        "users": [{"name": "tester", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "standin", "user": "tester"}}],
    }))
    return path
