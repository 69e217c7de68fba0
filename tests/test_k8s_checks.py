"""The Kubernetes checks beyond Pod Security Standards, on their fixtures
(``tests/fixtures/k8s/checks/<slug>/{pass,fail}.yaml``), plus the rules' finer points:
applicability, locations, masking, skips on a live cluster's forbidden kinds."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_ctrsec.catalog import Check, registry
from pytest_ctrsec.checks.k8s import applies
from pytest_ctrsec.targets import Target
from pytest_ctrsec.targets.kube import load_manifests
from pytest_ctrsec.targets.kube.corpus import KubeCorpus, build_corpus
from pytest_ctrsec.targets.kube.manifests import read_text
from pytest_ctrsec.targets.kube.model import Unavailable
from pytest_ctrsec.targets.kube.targets import corpus_targets

FIXTURES = Path(__file__).parent / "fixtures" / "k8s" / "checks"
EXPECT = "test.ctrsec.io/expect"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def bound(check: Check, corpus: KubeCorpus) -> list[Target]:
    """The targets the plugin binds this check to."""
    return [t for t in corpus_targets(corpus)
            if t.model_type == check.model and applies(check, t.model)]


def expected_text(target: Target) -> str | None:
    model = target.model
    obj = getattr(model, "namespace_object", None) if target.model_type == "k8s.namespace" \
        else model
    return obj.annotations.get(EXPECT) if obj is not None else None


def test_every_beyond_pss_check_has_fixtures() -> None:
    ids = {c for c in registry() if c.startswith("k8s.") and not c.startswith("k8s.pss-")}
    assert ids == {f"k8s.{slug}" for slug in CASES}
    for slug in CASES:
        assert {p.name for p in (FIXTURES / slug).glob("*.yaml")} == {"pass.yaml", "fail.yaml"}


@pytest.mark.parametrize("expect", ["fail", "pass"])
@pytest.mark.parametrize("slug", CASES)
def test_fixture(slug: str, expect: str) -> None:
    check = registry()[f"k8s.{slug}"]
    path = FIXTURES / slug / f"{expect}.yaml"
    corpus = load_manifests((str(path),))
    targets = bound(check, corpus)
    assert targets, f"{path}: no target the check applies to"
    for target in targets:
        verdict = check.evaluate(target.model)
        want = "failed" if expect == "fail" else "passed"
        assert verdict.outcome == want, (target.name, verdict)
        text = expected_text(target)
        if text:
            messages = [f.message for f in verdict.findings]
            assert any(text in m for m in messages), (target.name, messages)
        for finding in verdict.findings:  # every finding points into the manifest
            assert finding.location is not None and finding.location.path == str(path)
            assert finding.location.line and finding.location.line >= 1


def corpus_of(text: str, **opts: Any) -> KubeCorpus:
    return build_corpus(read_text(text, "inline.yaml"), SimpleNamespace(**opts), "inline")


def test_applicability_binds_only_relevant_pairs() -> None:
    corpus = corpus_of("""\
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {spec: {containers: [{name: a, image: a:1}]}}}
""")
    cm, job = corpus.objects
    checks = registry()
    assert applies(checks["k8s.secrets-not-in-configmaps"], cm)
    assert not applies(checks["k8s.secrets-not-in-configmaps"], job)
    assert not applies(checks["k8s.read-only-rootfs"], cm)
    assert not applies(checks["k8s.probes-defined"], job)
    assert applies(checks["k8s.read-only-rootfs"], job)
    # Called anyway, a rule that does not apply skips with the reason instead of passing
    verdict = checks["k8s.probes-defined"].evaluate(job)
    assert verdict.outcome == "skipped" and "not long-running" in verdict.reason


def test_pss_binding_follows_level_and_version() -> None:
    text = """\
apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.21
---
apiVersion: v1
kind: Namespace
metadata:
  name: open
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: legacy}
spec: {containers: [{name: a, image: a:1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: open}
spec: {containers: [{name: a, image: a:1, securityContext: {privileged: true}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c}
spec: {containers: [{name: a, image: a:1}]}
"""
    corpus = corpus_of(text)
    legacy, open_, unset = corpus.workloads()
    checks = registry()
    pss = [c for c in checks.values() if c.id.startswith("k8s.pss-")]
    assert {c.id for c in pss if applies(c, legacy)} == {
        c.id for c in pss if c.id.split("-", 1)[1] in {
            "windows-host-process", "host-namespaces", "privileged", "capabilities-baseline",
            "host-path-volumes", "host-ports", "app-armor-profile", "se-linux-options",
            "proc-mount", "seccomp-profile-baseline", "sysctls"}}
    assert not [c.id for c in pss if applies(c, open_)]  # privileged: nothing to judge
    unset_ids = {c.id for c in pss if applies(c, unset)}  # default restricted, newest
    assert "k8s.pss-capabilities-restricted" in unset_ids
    assert "k8s.pss-capabilities-baseline" not in unset_ids
    assert len(unset_ids) == 15
    reason = checks["k8s.pss-capabilities-baseline"].evaluate(unset).reason
    assert "replaced by k8s.pss-capabilities-restricted at restricted:v1.37" in reason
    # An explicit profile and version win over the namespace's labels
    forced = corpus_of(text, profile="pss-restricted", pss_version="v1.24").workloads()[0]
    assert forced.pss is not None and str(forced.pss) == "restricted:v1.24"


def test_pss_findings_locate_fields_and_tag_policy() -> None:
    corpus = corpus_of("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      hostPID: true
      containers:
      - name: app
        image: app:1
        securityContext:
          privileged: true
""")
    (dep,) = corpus.objects
    checks = registry()
    (ns_finding,) = checks["k8s.pss-host-namespaces"].evaluate(dep).findings
    assert ns_finding.message == "host namespaces: hostPID=true"
    assert ns_finding.location is not None and ns_finding.location.line == 7
    (priv,) = checks["k8s.pss-privileged"].evaluate(dep).findings
    assert priv.location is not None and priv.location.line == 12
    assert priv.extra == {"pss": "restricted:v1.37"}


def test_pod_host_network_defaults_host_ports() -> None:
    """The API server copies containerPort into an unset hostPort of a hostNetwork Pod (not
    of a workload template), and PSA sees it."""
    pod = corpus_of("""\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  containers: [{name: a, image: a:1, ports: [{containerPort: 8080}]}]
""").objects[0]
    findings = registry()["k8s.pss-host-ports"].evaluate(pod).findings
    assert [f.message for f in findings] == [
        'hostPort: container "a" uses hostPort 8080 (with hostNetwork=true the hostPort is '
        'the containerPort)']


def test_secret_values_are_masked() -> None:
    corpus = load_manifests((str(FIXTURES / "no-secrets-in-env" / "fail.yaml"),
                             str(FIXTURES / "secrets-not-in-configmaps" / "fail.yaml")))
    secrets = ("Tr0ub4dor&3-horse", "s3cr3t-pw", "AKIAIOSFODNN7EXAMPLE",
               "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "Hunter2-but-longer", "MIIBOgIBAAJBAKj34")
    messages = []
    for check_id in ("k8s.no-secrets-in-env", "k8s.secrets-not-in-configmaps"):
        check = registry()[check_id]
        for target in bound(check, corpus):
            messages += [f.message for f in check.evaluate(target.model).findings]
    assert len(messages) >= 6
    for secret in secrets:
        assert not any(secret in m for m in messages), secret


def test_unknown_role_skips_and_forbidden_kind_skips() -> None:
    corpus = corpus_of("""\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: n}
roleRef: {kind: Role, name: elsewhere}
subjects: [{kind: User, name: u}]
""")
    verdict = registry()["k8s.rbac-no-secret-read"].evaluate(corpus.objects[0])
    assert verdict.outcome == "skipped"
    assert "Role n/elsewhere is not in the input" in verdict.reason
    gone = Unavailable("Pod", "shop", 'pods is forbidden: User "x" cannot list resource '
                       '"pods"', "ctx#shop", workload=True)
    check = registry()["k8s.pss-privileged"]
    assert applies(check, gone) and not applies(registry()["k8s.ingress-tls"], gone)
    verdict = check.evaluate(gone)
    assert verdict.outcome == "skipped" and "pods is forbidden" in verdict.reason


def test_rbac_effective_grants_for_a_subject() -> None:
    corpus = load_manifests((str(FIXTURES / "rbac-no-secret-read" / "fail.yaml"),))
    grants = corpus.effective_rbac("ServiceAccount", "prometheus", "monitoring")
    assert [(g.binding.name, g.rule.role_name, sorted(g.rule.verbs)) for g in grants] == [
        ("through-aggregation", "monitoring-secrets", ["list", "watch"])]
    assert grants[0].namespace == ""
    assert any(g.rule.allows("list", "secrets") for g in grants)


def test_rules_about_builtin_kinds_do_not_bind_to_custom_kinds_of_that_name() -> None:
    """A Knative Service is not a Service, an Ingress of another group is not an Ingress, and
    a pod on the host's network is out of NetworkPolicies' reach."""
    corpus = corpus_of("""\
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello, namespace: shop}
spec: {template: {spec: {containers: [{image: hello:1}]}}}
---
apiVersion: networking.internal.knative.dev/v1alpha1
kind: Ingress
metadata: {name: hello, namespace: shop}
spec: {rules: [{hosts: [hello.shop]}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: exporter, image: node-exporter:1}]
""")
    knative, ingress, exporter = corpus.objects
    checks = registry()
    assert not applies(checks["k8s.no-nodeport-services"], knative)
    assert not applies(checks["k8s.ingress-tls"], ingress)
    assert not applies(checks["k8s.network-policy-coverage"], exporter)
    assert applies(checks["k8s.read-only-rootfs"], exporter)
    verdict = checks["k8s.network-policy-coverage"].evaluate(exporter)
    assert verdict.outcome == "skipped" and "host's network" in verdict.reason


def test_other_engines_policies_make_a_failing_verdict_a_skip() -> None:
    """A Calico NetworkPolicy is not a Kubernetes one (its selector is ``selector: all()``):
    it neither counts as a default deny nor is ignored silently."""
    text = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {selector: all(), types: [Ingress, Egress]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: a:1}]}}}
"""
    corpus = corpus_of(text)
    (web,) = corpus.workloads()
    (shop,) = [ns for ns in corpus.namespaces() if ns.name == "shop"]
    checks = registry()
    for check, model in (("k8s.network-policy-coverage", web),
                         ("k8s.network-policy-default-deny", shop)):
        verdict = checks[check].evaluate(model)
        assert verdict.outcome == "skipped", (check, verdict)
        assert "NetworkPolicy shop/deny-all (projectcalico.org)" in verdict.reason
    # without it, both fail
    alone = corpus_of(text.split("---\n", 1)[1])
    assert checks["k8s.network-policy-coverage"].evaluate(alone.workloads()[0]).outcome == "failed"


def test_objects_owned_by_a_controller_in_the_input_are_judged_through_it() -> None:
    """``kubectl get deploy,rs,pods -o yaml``: the ReplicaSet and Pod of a Deployment are
    not judged a second and third time; a Pod whose owner is not in the input is."""
    corpus = corpus_of("""\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec: {template: {spec: {containers: [{name: a, image: a:1}]}}}
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: web-5d9f
    namespace: shop
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
  spec: {template: {spec: {containers: [{name: a, image: a:1}]}}}
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-5d9f-x2x9q
    namespace: shop
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9f, controller: true}]
  spec: {containers: [{name: a, image: a:1}]}
- apiVersion: v1
  kind: Pod
  metadata:
    name: orphan-x2x9q
    namespace: shop
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, controller: true}]
  spec: {containers: [{name: a, image: a:1}]}
""")
    labels = [t.label for t in corpus_targets(corpus) if t.model_type == "k8s.object"]
    assert labels == ["shop/Deployment/web", "shop/Pod/orphan-x2x9q"]
    assert len(corpus.workloads()) == 4  # the corpus itself keeps every object


def test_read_only_rootfs_skips_windows_pods() -> None:
    """The API server refuses readOnlyRootFilesystem when ``spec.os.name`` is windows, so a
    Windows pod is not asked for it (a skip naming why); a Linux twin still fails."""
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: iis, namespace: web}
spec:
  os: {name: windows}
  containers: [{name: iis, image: mcr.microsoft.com/windows/servercore/iis:ltsc2022}]
"""
    check = registry()["k8s.read-only-rootfs"]
    (windows,) = corpus_of(text).workloads()
    verdict = check.evaluate(windows)
    assert verdict.outcome == "skipped" and "spec.os.name: windows" in verdict.reason
    (linux,) = corpus_of(text.replace("os: {name: windows}", "os: {name: linux}")).workloads()
    assert check.evaluate(linux).outcome == "failed"
