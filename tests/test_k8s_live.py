"""The live-cluster path: the real ``kubernetes`` client against the in-repo stand-in API
server (tests/kube_standin.py) on 127.0.0.1, with paging, a namespace filter, forbidden
kinds, and the bad cases (unreachable cluster, unknown context, rejected credentials)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from kube_standin import StandIn, serve, write_kubeconfig

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.checks.k8s import applies
from pytest_ctrsec.errors import ConfigError, TargetUnavailable
from pytest_ctrsec.targets.kube import clear_cache, load_targets
from pytest_ctrsec.targets.kube.live import load_cluster
from pytest_ctrsec.targets.kube.model import Unavailable
from pytest_ctrsec.targets.kube.targets import corpus_targets

OBJECTS = Path(__file__).parent / "fixtures" / "k8s" / "cluster" / "objects.yaml"


def objects() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(OBJECTS.read_text()) if d]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[StandIn, Path]]:
    with serve(objects()) as state:
        yield state, write_kubeconfig(tmp_path / "kubeconfig", state.url)


def opts(kubeconfig: Path, **extra: Any) -> SimpleNamespace:
    return SimpleNamespace(kubeconfig=str(kubeconfig), kube_context="standin", **extra)


def test_reads_every_kind_paged_and_leaves_out_owned_objects(cluster: Any) -> None:
    state, kubeconfig = cluster
    corpus = load_cluster(opts(kubeconfig), page_size=2)
    refs = {o.ref for o in corpus.objects}
    assert {"shop/Deployment/web", "shop/Deployment/api", "shop/StatefulSet/db",
            "shop/Pod/debug", "batch/CronJob/report", "ClusterRoleBinding/ops-admin"} <= refs
    # the ReplicaSet and Pod that the Deployment owns are judged through the Deployment
    assert not {"shop/ReplicaSet/web-5d9f", "shop/Pod/web-5d9f-abcde"} & refs
    # three Deployments-or-more lists need more than one page of two
    pages = [p for p in state.log if p.startswith("/apis/apps/v1/deployments")]
    assert pages == ["/apis/apps/v1/deployments?limit=2"]
    ns_pages = [p for p in state.log if p.startswith("/api/v1/namespaces?")]
    assert ns_pages == ["/api/v1/namespaces?limit=2", "/api/v1/namespaces?limit=2&continue=2"]
    assert not any("secrets" in p for p in state.log)  # never asks for Secrets
    web = corpus.get("Deployment", "web", "shop")
    assert web is not None and web.pss is not None and web.pss.level == "baseline"
    assert web.location is None and web.origin.file is None


def test_targets_of_a_cluster_and_checks_on_them(cluster: Any) -> None:
    state, kubeconfig = cluster
    targets = load_targets(opts(kubeconfig))
    by_name = {t.name: t for t in targets}
    web = by_name["k8s:standin#shop/Deployment/web"]
    assert web.source == "standin#shop" and web.location is None
    verdict = registry()["k8s.pss-privileged"].evaluate(web.model)
    assert verdict.outcome == "failed"
    assert verdict.findings[0].location is None  # no file: the reports anchor it
    binding = by_name["k8s:standin#shop/RoleBinding/web-secrets"]
    assert registry()["k8s.rbac-no-secret-read"].evaluate(binding.model).outcome == "failed"
    admin = by_name["k8s:standin#ClusterRoleBinding/ops-admin"]
    verdict = registry()["k8s.rbac-no-cluster-admin-binding"].evaluate(admin.model)
    assert verdict.outcome == "failed" and "User alice" in verdict.findings[0].message
    assert "k8s:standin#shop" in by_name and by_name["k8s:standin#shop"].model_type == \
        "k8s.namespace"


def test_namespace_filter(cluster: Any) -> None:
    state, kubeconfig = cluster
    corpus = load_cluster(opts(kubeconfig, namespace=("shop",)), page_size=50)
    assert {o.namespace for o in corpus.objects} == {"", "shop"}
    listed = [p.split("?")[0] for p in state.log if "?" in p]
    assert "/apis/apps/v1/namespaces/shop/deployments" in listed
    assert not any(p.startswith("/apis/batch/v1/cronjobs") for p in listed)
    assert "/api/v1/namespaces/shop" in state.log  # the Namespace itself, for its labels
    names = {t.name for t in corpus_targets(corpus)}
    # cluster-scoped RBAC is read to resolve references but not judged under a filter
    assert "k8s:standin#ClusterRoleBinding/ops-admin" not in names
    binding = corpus.get("RoleBinding", "web-secrets", "shop")
    assert binding is not None
    assert registry()["k8s.rbac-no-secret-read"].evaluate(binding).outcome == "failed"


def test_forbidden_kinds_become_skips_naming_the_kind(tmp_path: Path) -> None:
    with serve(objects(), forbidden={"pods", "clusterroles"}) as state:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", state.url)
        corpus = load_cluster(opts(kubeconfig))
    assert corpus.get("Pod", "debug", "shop") is None
    (pods,) = [u for u in corpus.unavailable if u.kind == "Pod"]
    targets = [t for t in corpus_targets(corpus) if isinstance(t.model, Unavailable)]
    assert {t.name for t in targets} == {"k8s:standin#Pod/*", "k8s:standin#ClusterRole/*"}
    pss = registry()["k8s.pss-privileged"]
    assert applies(pss, pods) and not applies(registry()["k8s.ingress-tls"], pods)
    verdict = pss.evaluate(pods)
    assert verdict.outcome == "skipped"
    assert verdict.reason == ('pods is forbidden: User "tester" cannot list resource "pods" at '
                              'the cluster scope')
    # a RoleBinding to a ClusterRole that could not be read cannot be judged either
    binding = corpus.get("RoleBinding", "web-secrets", "shop")
    verdict = registry()["k8s.rbac-no-secret-read"].evaluate(binding)
    assert verdict.outcome == "skipped" and "clusterroles is forbidden" in verdict.reason


def test_an_object_whose_controller_is_not_listed_is_judged_itself(tmp_path: Path) -> None:
    """As in a file run: a Pod is judged through its ReplicaSet only when that ReplicaSet
    was listed; one whose controller is not there (a custom resource's, an owner being
    deleted) is judged itself instead of vanishing because its owner's kind was listed."""
    def pod(name: str, owner: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": "shop", "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                     "controller": True, "uid": owner}]},
                "spec": {"containers": [{"name": "a", "image": "a:1"}]}}
    world = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": "web-1", "namespace": "shop"},
              "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}}},
             pod("web-1-abcde", "web-1"), pod("gone-1-fghij", "gone-1")]
    with serve(world) as state:
        corpus = load_cluster(opts(write_kubeconfig(tmp_path / "kubeconfig", state.url)))
    assert {o.ref for o in corpus.objects} == {"shop/ReplicaSet/web-1", "shop/Pod/gone-1-fghij"}


_CILIUM_WORLD = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mesh"}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "mesh"},
     "spec": {"template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
     "metadata": {"name": "default-deny"},
     "spec": {"endpointSelector": {}, "ingress": [{}], "egress": [{}]}},
]


@pytest.mark.parametrize("forbidden", [(), ("ciliumclusterwidenetworkpolicies",)])
def test_other_engines_policies_are_read_from_the_cluster(tmp_path: Path,
                                                          forbidden: tuple[str, ...]) -> None:
    """A cluster isolated by Cilium's cluster-wide policy: the network checks skip naming
    it, as on the same objects given as files, instead of failing because only Kubernetes
    NetworkPolicies were listed; a policy kind the user may not list may isolate too."""
    with serve(_CILIUM_WORLD, forbidden=set(forbidden)) as state:
        corpus = load_cluster(opts(write_kubeconfig(tmp_path / "kubeconfig", state.url)))
    (web,) = corpus.workloads()
    (mesh,) = [ns for ns in corpus.namespaces() if ns.name == "mesh"]
    for check, model in (("k8s.network-policy-coverage", web),
                         ("k8s.network-policy-default-deny", mesh)):
        verdict = registry()[check].evaluate(model)
        assert verdict.outcome == "skipped", (check, verdict)
        if forbidden:
            assert "CiliumClusterwideNetworkPolicy (cilium.io) policies, which may, could " \
                   "not be read: ciliumclusterwidenetworkpolicies is forbidden" in verdict.reason
        else:
            assert "CiliumClusterwideNetworkPolicy default-deny (cilium.io)" in verdict.reason
    # the refusal is said through the network checks, not as a test of its own
    unavailable = [t.model for t in corpus_targets(corpus) if isinstance(t.model, Unavailable)]
    assert not [(c.id, u.kind) for c in registry().values() for u in unavailable
                if c.kind == "k8s" and applies(c, u)]


def test_unreachable_cluster_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    with pytest.raises(TargetUnavailable) as info:
        load_cluster(opts(kubeconfig))
    message = str(info.value)
    assert message.startswith(f"cluster standin at http://127.0.0.1:{port} cannot be reached")
    assert "\n" not in message


def test_unknown_context_and_missing_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:1")
    with pytest.raises(ConfigError) as info:
        load_cluster(SimpleNamespace(kubeconfig=str(kubeconfig), kube_context="prod"))
    assert str(info.value) == f"kubeconfig {kubeconfig}: no context 'prod' (contexts: standin)"
    with pytest.raises(ConfigError, match="no such file"):
        load_cluster(SimpleNamespace(kubeconfig=str(tmp_path / "nope"), kube_context=None))
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nkind: Config\ncontexts: [oops\n")
    with pytest.raises(ConfigError) as info:
        load_cluster(SimpleNamespace(kubeconfig=str(broken), kube_context=None))
    assert str(info.value).startswith(f"kubeconfig {broken}: ") and "\n" not in str(info.value)


def test_rejected_credentials(tmp_path: Path) -> None:
    with serve(objects()) as state:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", state.url, token="wrong")
        with pytest.raises(TargetUnavailable, match=r"credentials were rejected \(401"):
            load_cluster(opts(kubeconfig))
