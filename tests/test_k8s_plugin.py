"""The bundled k8s.* checks end to end through pytest: ``--ctrsec-k8s`` on files and on
standard input, ``--ctrsec-profile``/``--ctrsec-pss-version``, and a live cluster (the
stand-in server) with ``--ctrsec-kube-context``. These tests skip while the plugin does not
offer the Kubernetes options yet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from kube_standin import serve, write_kubeconfig

from pytest_ctrsec.options import option_fields

MANIFEST = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - name: app
            image: shop/web:1.2
            env:
            - {name: DB_PASSWORD, value: "Tr0ub4dor&3-horse"}
            securityContext:
              privileged: true
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings, namespace: shop}
    data: {LOG_LEVEL: info}
    """)

pytestmark = pytest.mark.skipif(
    "k8s" not in {f.name for f in option_fields()},
    reason="the plugin does not offer --ctrsec-k8s yet")


def run(cwd: Path, *args: str, stdin: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """pytest in a subprocess (as a user runs it); the JSON rows and the terminal output."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--ctrsec-json=r.json", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=300)
    report = cwd / "r.json"
    assert report.exists(), proc.stdout + proc.stderr
    return json.loads(report.read_text())["results"], proc.stdout + proc.stderr


def row(rows: list[dict[str, Any]], check: str, target: str) -> dict[str, Any]:
    return next(r for r in rows if r["check"] == check and r["target"] == target)


def test_manifest_results_name_object_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFEST)
    rows, out = run(tmp_path, "--ctrsec-k8s=app.yaml")
    web = "k8s:app.yaml#shop/Deployment/web"
    privileged = row(rows, "k8s.pss-privileged", web)
    assert privileged["outcome"] == "failed" and privileged["severity"] == "critical"
    assert privileged["findings"][0]["location"] == {"path": "app.yaml", "line": 16}
    secret = row(rows, "k8s.no-secrets-in-env", web)
    assert secret["findings"][0]["location"]["line"] == 14
    assert "Tr0ub4dor" not in json.dumps(rows) and "Tr0ub4dor" not in out
    # one result per check per object it applies to: no workload rule on the ConfigMap,
    # no replaced baseline check at the default restricted level
    pairs = {(r["check"], r["target"]) for r in rows}
    assert len(pairs) == len(rows)
    assert not [r for r in rows if r["target"].endswith("ConfigMap/settings")
                and r["check"] != "k8s.secrets-not-in-configmaps"]
    assert not [r for r in rows if r["check"] == "k8s.pss-capabilities-baseline"]
    assert row(rows, "k8s.network-policy-default-deny", "k8s:app.yaml#shop")["outcome"] == \
        "failed"


def test_profile_and_version_select_the_pss_checks(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFEST)
    rows, _ = run(tmp_path, "--ctrsec-k8s=app.yaml", "--ctrsec-profile=pss-baseline",
                  "--ctrsec-pss-version=v1.20")
    checks = {r["check"] for r in rows}
    assert all(c.startswith("k8s.pss-") for c in checks), checks  # the PSS checks alone
    assert "k8s.pss-capabilities-baseline" in checks
    assert "k8s.pss-run-as-non-root" not in checks  # restricted only
    assert "k8s.pss-host-probes-and-host-lifecycle" not in checks  # added in v1.34


def test_standard_input(tmp_path: Path) -> None:
    """``helm template ... | pytest --ctrsec-k8s=-``"""
    rows, out = run(tmp_path, "--ctrsec-k8s=-", stdin=MANIFEST)
    assert row(rows, "k8s.pss-privileged",
               "k8s:<stdin>#shop/Deployment/web")["outcome"] == "failed", out


def test_bad_manifest_is_one_line_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nspec: [unclosed\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--ctrsec-k8s=bad.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0
    assert "bad.yaml:4: invalid YAML" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout


def test_live_cluster(tmp_path: Path) -> None:
    import yaml

    docs = [d for d in yaml.safe_load_all(MANIFEST) if d]
    with serve(docs, forbidden={"configmaps"}) as state:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", state.url)
        rows, out = run(tmp_path, f"--ctrsec-kubeconfig={kubeconfig}",
                        "--ctrsec-kube-context=standin")
    assert row(rows, "k8s.pss-privileged",
               "k8s:standin#shop/Deployment/web")["outcome"] == "failed", out
    skipped = row(rows, "k8s.secrets-not-in-configmaps", "k8s:standin#ConfigMap/*")
    assert skipped["outcome"] == "skipped"
    assert "configmaps is forbidden" in skipped["findings"][0]["message"]


def test_info_results_are_reported_without_gating_by_default(tmp_path: Path) -> None:
    # The catalogue reports a LoadBalancer Service "as info": visible, not a merge blocker.
    (tmp_path / "svc.yaml").write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Service
        metadata: {name: edge, namespace: shop}
        spec:
          type: LoadBalancer
          selector: {app: web}
          ports: [{port: 443}]
        """))
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ctrsec-k8s=svc.yaml",
            "--ctrsec-select=k8s.no-nodeport-services", "--ctrsec-json=r.json"]
    default = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    (result,) = json.loads((tmp_path / "r.json").read_text())["results"]
    assert result["outcome"] == "failed" and result["severity"] == "info"
    assert default.returncode == 0, default.stdout
    strict = subprocess.run([*args, "--ctrsec-fail-on=info"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert strict.returncode == 1, strict.stdout
