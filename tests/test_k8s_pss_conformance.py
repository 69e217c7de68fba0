"""Pod Security Standards conformance against the upstream PSA fixtures (read in place from
``shared/conformance/pss``): every file of every level and version gives PSA's verdict, and
the newest version's pods do too when wrapped into each of the other eight kinds.

A ``pass`` file must pass every check of its level and version; a ``fail`` file must fail the
check its name is after (or the restricted check that replaces it), with the reason text PSA's
own test looks for. One test per level and version directory keeps the count sensible; a
failure lists every file that disagrees."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from shared import shared_path

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.checks.k8s import applies
from pytest_ctrsec.checks.k8s.pss import CONTROLS, kebab
from pytest_ctrsec.targets.kube import load_manifests
from pytest_ctrsec.targets.kube.corpus import build_corpus
from pytest_ctrsec.targets.kube.manifests import read_text
from pytest_ctrsec.targets.kube.model import KubeObject
from pytest_ctrsec.targets.kube.policy import NEWEST_MINOR

ROOT = shared_path("conformance", "pss")
NEWEST = f"v1.{NEWEST_MINOR}"

# File-name prefix -> the reason text PSA's fixture test expects in the rejection.
SUBSTRINGS = {
    "allowprivilegeescalation": "allowPrivilegeEscalation",
    "apparmorprofile": "forbidden AppArmor profile",
    "capabilities_baseline": "capabilities",
    "capabilities_restricted": "unrestricted capabilities",
    "hostnamespaces": "host namespaces",
    "hostpathvolumes": "hostPath",
    "hostports": "hostPort",
    "hostprobesandhostlifecycle": "probe or lifecycle host",
    "privileged": "privileged",
    "procmount": "procMount",
    "procmount_restricted": "procMount",
    "restrictedvolumes": "restricted volume types",
    "runasnonroot": "runAsNonRoot",
    "runasuser": "runAsUser",
    "selinuxoptions": "seLinuxOptions",
    "seccompprofile_baseline": "seccompProfile",
    "seccompprofile_restricted": "seccompProfile",
    "sysctls": "forbidden sysctl",
    "windowshostprocess": "hostProcess",
}
WORKLOAD_KINDS = ("PodTemplate", "ReplicationController", "ReplicaSet", "Deployment",
                  "DaemonSet", "StatefulSet", "Job", "CronJob")

pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason=f"no fixtures at {ROOT}")


def version_dirs() -> list[Path]:
    if not ROOT.is_dir():
        return []
    return sorted(ROOT.glob("*/v1.*"), key=lambda p: (p.parent.name, int(p.name[3:])))


def verdicts(obj: KubeObject) -> dict[str, list[Any]]:
    """Findings of every Pod Security check bound to the object (as the plugin binds)."""
    out = {}
    for chk in registry().values():
        if chk.id.startswith("k8s.pss-") and applies(chk, obj):
            verdict = chk.evaluate(obj)
            assert verdict.outcome != "skipped", (chk.id, verdict.reason)
            out[chk.id] = list(verdict.findings)
    return out


def expected_failure(stem: str, level: str, minor: int) -> tuple[str, str]:
    """(check id that must fail, substring) for a fail fixture named ``stem``."""
    prefix = re.sub(r"\d+$", "", stem)
    key = next(k for k in CONTROLS if k.lower() == prefix)
    if level == "restricted":
        for other in CONTROLS.values():
            if other.replaces == key and other.since <= minor:
                key = other.key
    return "k8s.pss-" + kebab(key), SUBSTRINGS[prefix]


def disagreement(obj: KubeObject, stem: str, expect: str, level: str, minor: int) -> str:
    """"" when the object gets PSA's verdict, else what went wrong."""
    found = verdicts(obj)
    failing = sorted(cid for cid, findings in found.items() if findings)
    if expect == "pass":
        return f"fails {failing}" if failing else ""
    cid, substring = expected_failure(stem, level, minor)
    if cid not in failing:
        return f"{cid} does not fail (failing: {failing})"
    if not any(substring in f.message for f in found[cid]):
        return f"{cid} message lacks {substring!r}: {[f.message for f in found[cid]]}"
    return ""


@pytest.mark.parametrize("version_dir", version_dirs(),
                         ids=lambda p: f"{p.parent.name}-{p.name}")
def test_every_fixture_gets_psa_verdict(version_dir: Path) -> None:
    level, minor = version_dir.parent.name, int(version_dir.name[3:])
    opts = SimpleNamespace(profile=f"pss-{level}", pss_version=version_dir.name)
    corpus = load_manifests((str(version_dir),), opts)
    assert len(corpus.objects) == len(list(version_dir.glob("*/*.yaml")))
    problems = []
    for obj in corpus.objects:
        assert obj.pss is not None and (obj.pss.level, obj.pss.minor) == (level, minor)
        path = Path(str(obj.origin.file))
        why = disagreement(obj, path.stem, path.parent.name, level, minor)
        if why:
            problems.append(f"{path.parent.name}/{path.name}: {why}")
    assert not problems, f"{len(problems)} of {len(corpus.objects)} disagree:\n" + "\n".join(
        problems)


def wrap(pod_yaml: str, kind: str, name: str, namespace: str) -> str:
    """The pod's metadata and spec as the pod template of a ``kind`` named ``name``."""
    import yaml

    pod = yaml.safe_load(pod_yaml)
    template = {"metadata": pod.get("metadata", {}), "spec": pod["spec"]}
    meta = {"name": name, "namespace": namespace}
    if kind == "PodTemplate":
        obj = {"apiVersion": "v1", "kind": kind, "metadata": meta, "template": template}
    elif kind == "CronJob":
        obj = {"apiVersion": "batch/v1", "kind": kind, "metadata": meta,
               "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}
    else:
        group = {"ReplicationController": "v1", "Job": "batch/v1"}.get(kind, "apps/v1")
        obj = {"apiVersion": group, "kind": kind, "metadata": meta,
               "spec": {"selector": {}, "template": template}}
    return yaml.safe_dump(obj, sort_keys=False)


def namespace_doc(name: str, level: str) -> str:
    return (f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n"
            f"    pod-security.kubernetes.io/enforce: {level}\n"
            f"    pod-security.kubernetes.io/enforce-version: {NEWEST}\n")


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
def test_newest_fixtures_wrapped_in_each_workload_kind(kind: str) -> None:
    """Level and version come from the Namespace labels here, not from options."""
    docs, expected = [namespace_doc("ns-baseline", "baseline"),
                      namespace_doc("ns-restricted", "restricted")], {}
    for level in ("baseline", "restricted"):
        for path in sorted((ROOT / level / NEWEST).glob("*/*.yaml")):
            name = f"{path.parent.name}-{path.stem}"
            docs.append(wrap(path.read_text(), kind, name, f"ns-{level}"))
            expected[name, level] = (path.stem, path.parent.name)
    text = "---\n".join(docs)
    corpus = build_corpus(read_text(text, f"wrapped-{kind}.yaml"), SimpleNamespace(), "wrapped")
    problems = []
    workloads = corpus.workloads(kind=kind)
    assert len(workloads) == len(expected)
    for obj in workloads:
        level = obj.namespace[3:]
        assert obj.pss is not None and obj.pss.level == level and obj.pss.minor == NEWEST_MINOR
        stem, expect = expected[obj.name, level]
        why = disagreement(obj, stem, expect, level, NEWEST_MINOR)
        if why:
            problems.append(f"{level}/{expect}/{stem}: {why}")
    assert not problems, f"{len(problems)} wrapped pods disagree:\n" + "\n".join(problems)


def test_fixture_set_is_complete() -> None:
    """The whole upstream set is read: 4,537 files in 76 level/version directories."""
    files = list(ROOT.glob("*/v1.*/*/*.yaml"))
    assert len(files) == 4537
    assert len(version_dirs()) == 2 * (NEWEST_MINOR + 1)
