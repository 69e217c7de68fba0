"""The corpus query helpers user tests get through ``ctrsec_k8s``, and the example suite in
``example_suites/k8s`` (which must pass on its manifests and every bundled check, and catch a
manifest that breaks its rules)."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.checks.k8s import applies
from pytest_ctrsec.targets.kube import KubeCorpus, load_manifests
from pytest_ctrsec.targets.kube.targets import corpus_targets

EXAMPLE = Path(__file__).parents[1] / "example_suites" / "k8s"


def example_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shop_policy",
                                                  EXAMPLE / "test_shop_k8s_policy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def house_rules(corpus: KubeCorpus) -> dict[str, str]:
    """Each example test's outcome: "" when it passes, else its assertion message."""
    module, out = example_module(), {}
    for name in sorted(n for n in dir(module) if n.startswith("test_")):
        try:
            getattr(module, name)(corpus)
            out[name] = ""
        except AssertionError as err:
            out[name] = str(err) or "failed"
    return out


def test_example_manifests_pass_bundled_checks_and_house_rules() -> None:
    corpus = load_manifests((str(EXAMPLE / "manifests"),))
    failed = []
    for check in (c for c in registry().values() if c.kind == "k8s"):
        for target in corpus_targets(corpus):
            if target.model_type == check.model and applies(check, target.model):
                verdict = check.evaluate(target.model)
                if verdict.outcome != "passed":
                    failed.append((check.id, target.name, verdict.findings, verdict.reason))
    assert not failed
    assert house_rules(corpus) == dict.fromkeys(house_rules(corpus), "")


def test_house_rules_catch_a_bad_manifest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          replicas: 1
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: "docker.io/library/nginx:1.27"}]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: ci-edit, namespace: shop}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
        subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]
        """))
    outcomes = house_rules(load_manifests((str(bad),)))
    assert "docker.io/library/nginx:1.27" in outcomes["test_images_come_from_our_registry"]
    assert "shop/Deployment/web" in outcomes["test_deployments_run_at_least_two_replicas"]
    assert "built-in ClusterRole edit" in outcomes["test_ci_deployer_cannot_read_secrets"]
    assert "shop/Deployment/web" in outcomes["test_every_web_pod_is_behind_a_network_policy"]


@pytest.fixture(scope="module")
def shop() -> KubeCorpus:
    return load_manifests((str(EXAMPLE / "manifests"),))


def test_query_helpers(shop: KubeCorpus) -> None:
    assert [o.ref for o in shop.workloads()] == ["shop/Deployment/web"]
    assert shop.workloads(kind="StatefulSet") == []
    assert shop.workloads(namespace="shop", labels={"app": "web"})[0].name == "web"
    assert shop.workloads(labels={"app": "api"}) == []
    assert [c.name for _, c in shop.containers()] == ["web"]
    assert shop.pod_specs()[0]["serviceAccountName"] == "web"
    assert [n.name for n in shop.namespaces()] == ["shop"]
    assert shop.namespace_labels("shop")["pod-security.kubernetes.io/enforce"] == "restricted"
    web = shop.get("Deployment", "web", "shop")
    assert web is not None and web.pss is not None and str(web.pss) == "restricted:v1.33"
    assert [p.name for p in shop.policies_selecting(web)] == ["default-deny", "web-from-ingress"]
    (grant,) = shop.effective_rbac("ServiceAccount", "ci", "ci")
    assert grant.namespace == "shop" and grant.rule.allows("patch", "deployments", "apps")
    assert not grant.rule.allows("patch", "deployments")  # core group, not apps
