"""Generate a corpus of mixed Kubernetes manifests for the benchmark.

One file per "application" (about ten objects, as ``helm template`` renders a chart): a
Deployment or StatefulSet with its Service, ConfigMap, ServiceAccount, Role and RoleBinding,
NetworkPolicy, sometimes an Ingress, a CronJob, a DaemonSet or a bare Pod; plus Namespaces with
Pod Security labels and a few cluster-wide RBAC objects. Settings are drawn from a seeded
random generator so some objects pass and some fail every check.

    python bench/k8s/gen_corpus.py --objects 5000 --out /tmp/k8s-corpus-5000
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path
from typing import Any

import yaml

NAMESPACES = 20


class _Dumper(yaml.SafeDumper):
    """Writes shared dicts out in full, as Helm does (no YAML anchors or aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(docs: list[dict[str, Any]]) -> str:
    return yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False)


def container(rng: random.Random, name: str, hardened: bool) -> dict[str, Any]:
    image = rng.choice(["nginx", "nginx:latest", "registry.local/app:1.4.2",
                        "registry.local/app@sha256:" + "ab" * 32, "busybox:1.36"])
    c: dict[str, Any] = {"name": name, "image": image,
                         "ports": [{"containerPort": 8080, "name": "http"}]}
    if rng.random() < 0.5:
        c["imagePullPolicy"] = rng.choice(["Always", "IfNotPresent"])
    if hardened:
        c["securityContext"] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}}
    elif rng.random() < 0.3:
        c["securityContext"] = {"privileged": rng.random() < 0.5,
                                "capabilities": {"add": rng.sample(["NET_ADMIN", "NET_RAW",
                                                                    "CHOWN", "SYS_ADMIN"], 2)}}
    if rng.random() < 0.7:
        c["resources"] = {"requests": {"cpu": "100m", "memory": "64Mi"},
                          "limits": {"memory": "256Mi"}}
    if rng.random() < 0.6:
        probe = {"httpGet": {"path": "/healthz", "port": 8080}}
        c["readinessProbe"], c["livenessProbe"] = probe, probe
    env: list[dict[str, Any]] = [{"name": "LOG_LEVEL", "value": "info"}]
    if rng.random() < 0.2:
        env.append({"name": "DB_PASSWORD", "value": f"pw-{rng.randrange(10**9)}-secret"})
    else:
        env.append({"name": "DB_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}})
    c["env"] = env
    return c


def pod_spec(rng: random.Random, app: str, hardened: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"serviceAccountName": app if rng.random() < 0.7 else "default",
                            "containers": [container(rng, "app", hardened)]}
    if rng.random() < 0.3:
        spec["initContainers"] = [container(rng, "init", hardened)]
    if hardened:
        spec["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001,
                                   "seccompProfile": {"type": "RuntimeDefault"}}
    if rng.random() < 0.1:
        spec["hostNetwork"] = True
    if rng.random() < 0.1:
        spec["volumes"] = [{"name": "host", "hostPath": {"path": "/var/run"}}]
    else:
        spec["volumes"] = [{"name": "config", "configMap": {"name": app}}]
    if rng.random() < 0.3:
        spec["automountServiceAccountToken"] = False
    return spec


def template(rng: random.Random, app: str, hardened: bool) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": pod_spec(rng, app, hardened)}


def meta(name: str, ns: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "labels": {"app": name.split("-")[0]}, **extra}


def application(rng: random.Random, index: int) -> list[dict[str, Any]]:
    """About ten objects of one application."""
    app, ns = f"app{index}", f"team{index % NAMESPACES}"
    hardened = rng.random() < 0.4
    kind = rng.choice(["Deployment", "Deployment", "StatefulSet"])
    objs: list[dict[str, Any]] = [
        {"apiVersion": "apps/v1", "kind": kind, "metadata": meta(app, ns),
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": app}},
                  "template": template(rng, app, hardened)}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(app, ns),
         "spec": {"type": rng.choice(["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"]),
                  "selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(f"{app}-config", ns),
         "data": {"LOG_LEVEL": "info", "app.properties":
                  "server.port=8080\n" + ("db.password=Hunter2-xyz\n" if rng.random() < 0.1
                                          else "db.url=jdbc:postgresql://db/app\n")}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(app, ns),
         **({"automountServiceAccountToken": False} if rng.random() < 0.5 else {})},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": meta(f"{app}-reader", ns),
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
                   {"apiGroups": [""], "resources": rng.choice([["secrets"], ["*"], ["pods"]]),
                    "verbs": rng.choice([["get"], ["*"], ["list", "watch"]])}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": meta(f"{app}-reader", ns),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                     "name": f"{app}-reader"},
         "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}]},
    ]
    if rng.random() < 0.6:
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": meta(app, ns),
                     "spec": {"podSelector": {"matchLabels": {"app": app}},
                              "policyTypes": ["Ingress"],
                              "ingress": [{"from": [{"podSelector": {}}]}]}})
    if rng.random() < 0.5:
        ingress: dict[str, Any] = {"rules": [{"host": f"{app}.example.com"}]}
        if rng.random() < 0.6:
            ingress["tls"] = [{"hosts": [f"{app}.example.com"], "secretName": app}]
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                     "metadata": meta(app, ns), "spec": ingress})
    extra = rng.choice(["CronJob", "DaemonSet", "Pod", "Job"])
    spec = pod_spec(rng, app, hardened)
    if extra == "CronJob":
        spec["restartPolicy"] = "OnFailure"
        objs.append({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(f"{app}-cron", ns),
                     "spec": {"schedule": "@daily",
                              "jobTemplate": {"spec": {"template": {"spec": spec}}}}})
    elif extra == "Job":
        spec["restartPolicy"] = "Never"
        objs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta(f"{app}-job", ns),
                     "spec": {"template": {"spec": spec}}})
    elif extra == "DaemonSet":
        objs.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta(f"{app}-ds", ns),
                     "spec": {"selector": {"matchLabels": {"app": app}},
                              "template": {"metadata": {"labels": {"app": app}}, "spec": spec}}})
    else:
        objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta(f"{app}-debug", ns),
                     "spec": spec})
    return objs


def cluster_objects() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(NAMESPACES):
        labels = {}
        if i % 3 == 0:
            labels = {"pod-security.kubernetes.io/enforce": "baseline",
                      "pod-security.kubernetes.io/enforce-version": "v1.30"}
        out.append({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": f"team{i}", "labels": labels}})
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": "default-deny", "namespace": f"team{i}"},
                    "spec": {"podSelector": {},
                             "policyTypes": ["Ingress", "Egress"] if i % 2 else ["Ingress"]}})
    out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "ops-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                            "name": "cluster-admin"},
                "subjects": [{"kind": "User", "name": "alice"}]})
    return out


def generate(objects: int, out: Path, seed: int = 7) -> int:
    """Write about ``objects`` objects under ``out``; returns the exact count."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    docs = cluster_objects()
    (out / "cluster.yaml").write_text(dump(docs))
    count, index = len(docs), 0
    while count < objects:
        app = application(rng, index)[: objects - count]
        (out / f"app{index:05d}.yaml").write_text(dump(app))
        count += len(app)
        index += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{generate(args.objects, args.out, args.seed)} objects in {args.out}")


if __name__ == "__main__":
    main()
