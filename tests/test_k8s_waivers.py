"""In-manifest waivers: ``ctrsec.io/waive.<id>`` annotations on objects, pod templates and
Namespace objects reach the shared waiver mechanism (reason, ``until=``, expiry), and
``--ctrsec-no-annotation-waivers`` turns them off."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.runner import Unit, run_unit
from pytest_ctrsec.targets import Target
from pytest_ctrsec.targets.kube import clear_cache, load_targets
from pytest_ctrsec.waivers import WaiverSet

MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  annotations:
    ctrsec.io/waive.network-policy-default-deny: "flat network until the 2027 migration"
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
  namespace: legacy
  annotations:
    ctrsec.io/waive.k8s.pss-host-namespaces: "needs the host network; see OPS-12 until=2999-01-01"
spec:
  template:
    metadata:
      annotations:
        ctrsec.io/waive.pss-privileged: "loads a kernel module"
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: agent:1
        securityContext: {privileged: true, runAsUser: 0}
---
apiVersion: v1
kind: Pod
metadata:
  name: expired
  namespace: legacy
  annotations:
    ctrsec.io/waive.k8s.pss-privileged: "was temporary until=2020-01-01"
spec:
  containers: [{name: a, image: a:1, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: no-reason
  namespace: legacy
  annotations:
    ctrsec.io/waive.k8s.pss-privileged: "until=2999-01-01"
spec:
  containers: [{name: a, image: a:1, securityContext: {privileged: true}}]
"""


@pytest.fixture
def targets(tmp_path: Path) -> dict[str, Target]:
    clear_cache()
    path = tmp_path / "legacy.yaml"
    path.write_text(MANIFEST)
    found = load_targets(SimpleNamespace(k8s=(str(path),)))
    clear_cache()
    return {t.label: t for t in found}


def outcome(check_id: str, target: Target, annotations: bool = True) -> tuple[str, str]:
    check = registry()[check_id]
    (result,) = run_unit(Unit(check, (target,), target.label), waivers=WaiverSet(),
                         annotation_waivers=annotations)
    return result.outcome, result.reason


def test_object_and_template_annotations_are_collected_with_full_ids(
        targets: dict[str, Target]) -> None:
    agent = targets["legacy/DaemonSet/node-agent"]
    assert agent.annotations == {
        "ctrsec.io/waive.k8s.pss-host-namespaces":
            "needs the host network; see OPS-12 until=2999-01-01",
        "ctrsec.io/waive.k8s.pss-privileged": "loads a kernel module"}
    assert targets["legacy"].annotations == {
        "ctrsec.io/waive.k8s.network-policy-default-deny":
            "flat network until the 2027 migration"}


def test_waivers_apply_through_the_shared_mechanism(targets: dict[str, Target]) -> None:
    agent = targets["legacy/DaemonSet/node-agent"]
    assert outcome("k8s.pss-host-namespaces", agent) == (
        "waived", "needs the host network; see OPS-12")
    assert outcome("k8s.pss-privileged", agent) == ("waived", "loads a kernel module")
    assert outcome("k8s.pss-run-as-user", agent)[0] == "failed"  # not waived
    assert outcome("k8s.network-policy-default-deny", targets["legacy"])[0] == "waived"
    assert outcome("k8s.pss-privileged", targets["legacy/Pod/expired"])[0] == "failed"
    state, why = outcome("k8s.pss-privileged", targets["legacy/Pod/no-reason"])
    assert state == "error" and "has no reason" in why


def test_annotation_waivers_can_be_turned_off(tmp_path: Path,
                                              targets: dict[str, Target]) -> None:
    agent = targets["legacy/DaemonSet/node-agent"]
    assert outcome("k8s.pss-privileged", agent, annotations=False)[0] == "failed"
    path = tmp_path / "again.yaml"
    path.write_text(MANIFEST)
    clear_cache()
    off = load_targets(SimpleNamespace(k8s=(str(path),), no_annotation_waivers=True))
    clear_cache()
    assert all(not t.annotations for t in off)
