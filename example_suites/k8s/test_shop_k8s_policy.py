"""House rules for the shop's Kubernetes manifests, next to the bundled checks.

Run with:

    pytest example_suites/k8s --ctrsec-k8s=example_suites/k8s/manifests

``ctrsec_k8s`` is the corpus of every object given with ``--ctrsec-k8s`` (or read from the
cluster with ``--ctrsec-kube-context``), with query helpers: ``workloads()``,
``containers()``, ``pod_specs()``, ``objects_of()``, ``get()``, ``namespaces()``,
``policies_selecting()`` and ``effective_rbac()``.
"""

from __future__ import annotations

from typing import Any

REGISTRY = "registry.example/"


def test_images_come_from_our_registry(ctrsec_k8s: Any) -> None:
    outside = [f"{obj.ref}: {c.describe} runs {c.data.get('image')}"
               for obj, c in ctrsec_k8s.containers()
               if not str(c.data.get("image", "")).startswith(REGISTRY)]
    assert not outside, "\n".join(outside)


def test_deployments_run_at_least_two_replicas(ctrsec_k8s: Any) -> None:
    single = [d.ref for d in ctrsec_k8s.workloads(kind="Deployment")
              if int(d.get("spec", "replicas") or 1) < 2]
    assert not single, f"single replica: {single}"


def test_ci_deployer_cannot_read_secrets(ctrsec_k8s: Any) -> None:
    grants = ctrsec_k8s.effective_rbac("ServiceAccount", "ci", "ci")
    readers = [g.rule.where for g in grants
               if any(g.rule.allows(verb, "secrets") for verb in ("get", "list", "watch"))]
    assert not readers, f"ci/ci reads secrets through {readers}"


def test_every_web_pod_is_behind_a_network_policy(ctrsec_k8s: Any) -> None:
    for workload in ctrsec_k8s.workloads(labels={"app": "web"}):
        assert ctrsec_k8s.policies_selecting(workload), workload.ref
