"""Reading Kubernetes manifests: files, directories, stdin, multi-document YAML, List kinds,
lines of objects and fields, pod-template extraction, custom kinds, and bad input."""

from __future__ import annotations

import ctypes
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_ctrsec.errors import ConfigError, InputError, ParseError, SchemaError
from pytest_ctrsec.targets.kube import clear_cache, load_corpora, load_manifests, load_targets
from pytest_ctrsec.targets.kube.model import KubeObject
from pytest_ctrsec.targets.kube.yamldocs import read_documents

DEPLOYMENT = textwrap.dedent("""\
    # a comment before the first document
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      template:
        metadata:
          labels: {app: web}
        spec:
          initContainers:
          - name: setup
            image: busybox:1.36
          containers:
          - name: app
            image: nginx:1.25
            securityContext:
              privileged: true
          ephemeralContainers:
          - name: debug
            image: busybox:1.36
    ---
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
      namespace: shop
    data:
      LOG_LEVEL: info
    """)


def line(obj: KubeObject, *path: Any) -> int | None:
    where = obj.locate(*path)
    assert where is not None
    return where.line


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()


def test_multi_document_file_objects_lines_and_pod_template(tmp_path: Path) -> None:
    path = write(tmp_path, "app.yaml", DEPLOYMENT)
    corpus = load_manifests((str(path),))
    web, settings = corpus.objects
    assert (web.kind, web.namespace, web.name, web.origin.line) == ("Deployment", "shop", "web", 2)
    assert (settings.kind, settings.origin.line) == ("ConfigMap", 25)
    assert web.pod is not None and settings.pod is None
    assert web.pod.path == ("spec", "template")
    assert [(c.field, c.name) for c in web.pod.containers] == [
        ("initContainers", "setup"), ("containers", "app"), ("ephemeralContainers", "debug")]
    app = web.pod.containers[1]
    assert line(web, *app.sc_path("privileged")) == 19
    assert line(web, *app.path) == 16
    assert line(web, "spec", "template", "spec", "nope", "deeper") == 11
    assert str(web.locate("metadata", "name")) == f"{path}:5"


def test_directory_is_walked_recursively_in_order_skipping_hidden(tmp_path: Path) -> None:
    write(tmp_path, "b/one.yml", "apiVersion: v1\nkind: Service\nmetadata: {name: one}\n")
    write(tmp_path, "a.json", '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "two"}}')
    write(tmp_path, ".git/x.yaml", "not: [a kubernetes object\n")
    write(tmp_path, "notes.txt", "ignored")
    corpus = load_manifests((str(tmp_path),))
    assert [o.name for o in corpus.objects] == ["two", "one"]
    assert corpus.objects[1].origin.file == os.path.join(str(tmp_path), "b", "one.yml")


def test_list_kinds_expand_with_item_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", """\
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Service
          metadata: {name: a}
        - apiVersion: v1
          kind: Service
          metadata: {name: b}
        ---
        apiVersion: v1
        kind: PodList
        items:
        - metadata: {name: p, namespace: n}
          spec:
            containers:
            - name: c
              image: x
        """)
    corpus = load_manifests((str(path),))
    assert [(o.kind, o.name, o.origin.line) for o in corpus.objects] == [
        ("Service", "a", 4), ("Service", "b", 7), ("Pod", "p", 14)]
    pod = corpus.objects[2]
    assert pod.api_version == "v1" and pod.pod is not None
    assert line(pod, *pod.pod.containers[0].path, "image") == 18


def test_json_list_from_kubectl(tmp_path: Path) -> None:
    path = write(tmp_path, "dump.json", """\
        {"apiVersion": "v1", "kind": "List",
         "items": [
          {"apiVersion": "batch/v1", "kind": "CronJob",
           "metadata": {"name": "nightly"},
           "spec": {"jobTemplate": {"spec": {"template": {"spec":
              {"containers": [{"name": "job", "image": "x:1"}]}}}}}}]}
        """)
    (cron,) = load_manifests((str(path),)).objects
    assert cron.pod is not None and cron.pod.path == ("spec", "jobTemplate", "spec", "template")
    assert cron.origin.line == 3


def test_stdin(tmp_path: Path) -> None:
    opts = SimpleNamespace(k8s=("-",))
    corpora = load_corpora(opts, stdin=io.BytesIO(DEPLOYMENT.encode()))
    assert [o.origin.file for o in corpora[0].objects] == ["<stdin>", "<stdin>"]
    targets = load_targets(opts)  # cached: stdin is not read twice
    assert targets[0].name == "k8s:<stdin>#shop/Deployment/web"


def test_custom_kind_template_path(tmp_path: Path) -> None:
    path = write(tmp_path, "crd.yaml", """\
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: canary}
        spec:
          template:
            spec:
              containers: [{name: app, image: app:1}]
        ---
        apiVersion: example.com/v1
        kind: Worker
        metadata: {name: w}
        spec:
          podTemplate:
            spec:
              containers: [{name: app, image: app:1}]
        """)
    default = load_manifests((str(path),), SimpleNamespace())
    assert [o.pod is not None for o in default.objects] == [True, False]
    mapped = load_manifests((str(path),), SimpleNamespace(k8s_pod_template=(
        "example.com/Worker=spec.podTemplate",)))
    assert mapped.objects[1].pod is not None
    assert mapped.objects[1].pod.containers[0].path == ("spec", "podTemplate", "spec",
                                                        "containers", 0)
    with pytest.raises(ConfigError, match="KIND=PATH"):
        load_manifests((str(path),), SimpleNamespace(k8s_pod_template=("Worker",)))


def test_targets_names_labels_and_namespace_targets(tmp_path: Path) -> None:
    path = write(tmp_path, "app.yaml", DEPLOYMENT)
    targets = load_targets(SimpleNamespace(k8s=(str(path),)))
    by_type: dict[str, list[str]] = {}
    for t in targets:
        by_type.setdefault(t.model_type, []).append(t.name)
    assert by_type["k8s.object"] == [f"k8s:{path}#shop/Deployment/web",
                                     f"k8s:{path}#shop/ConfigMap/settings"]
    assert by_type["k8s.namespace"] == [f"k8s:{path}#shop"]
    assert targets[0].label == "shop/Deployment/web" and targets[0].source == str(path)
    assert str(targets[0].location) == f"{path}:2"


@pytest.mark.parametrize(("text", "error", "message", "line"), [
    ("kind: Pod\nmetadata: {name: x}\n", SchemaError, "not a Kubernetes object: no apiVersion",
     1),
    ("apiVersion: v1\nmetadata: {name: x}\n", SchemaError, "no kind", 1),
    ("apiVersion: v1\nkind: Pod\nspec: [unclosed\n", ParseError, "invalid YAML", 4),
    ("apiVersion: v1\nkind: Pod\n  bad: indent\n", ParseError, "invalid YAML", 3),
    ("- just\n- a list\n", SchemaError, "not a Kubernetes object (a YAML sequence)", 1),
    ("apiVersion: v1\nkind: List\nitems:\n- 3\n", SchemaError, "item 0 is not an object", 3),
    ("apiVersion: v1\nkind: Pod\nmetadata: [x]\n", SchemaError, "metadata is not a mapping", 1),
    # a key written twice: kubectl refuses it, and which value is meant is unknown
    ("apiVersion: v1\nkind: Pod\nspec:\n  hostPID: false\n  hostPID: true\n", ParseError,
     "key 'hostPID' is written twice in this mapping", 5),
    ('{"apiVersion": "v1", "kind": "Pod", "kind": "Service"}\n', ParseError,
     "key 'kind' is written twice", 1),
    # an unrendered Helm template, quoted (valid YAML) or bare (not YAML)
    ('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .Release.Name }}-config"\n',
     SchemaError, ("ConfigMap: metadata.name is an unrendered template ({{ .Release.Name }}-"
                   "config): pipe `helm template CHART`"), 1),
    ("{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\n{{- end }}\n", ParseError,
     "(an unrendered Helm template? pipe `helm template CHART` into --ctrsec-k8s=-)", 1),
    ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
     SchemaError, ("Kustomization is not a Kubernetes object (a Kustomize file: pipe `kubectl "
                   "kustomize DIR`"), 1),
])
def test_bad_input_is_one_clear_line(tmp_path: Path, text: str, error: type, message: str,
                                     line: int) -> None:
    path = write(tmp_path, "bad.yaml", "---\n" + text)
    with pytest.raises(error) as info:
        load_manifests((str(path),))
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:{line + 1}: ")
    assert "\n" not in str(info.value)


def test_missing_input_and_empty_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        load_manifests((str(tmp_path / "nope.yaml"),))
    write(tmp_path, "empty/a.yaml", "# nothing\n---\n")
    with pytest.raises(InputError, match="no Kubernetes objects found in"):
        load_manifests((str(tmp_path / "empty"),))


def test_kustomization_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "kustomization.yaml", "resources: [app.yaml]\n")
    with pytest.raises(SchemaError, match="kubectl kustomize"):
        load_manifests((str(path),))


def _drop_file_capabilities() -> None:
    """In the child, before exec: root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    obeys file modes like anyone else (PR_CAPBSET_DROP = 24)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:
            os._exit(97)


def test_unreadable_directory(tmp_path: Path) -> None:
    locked = tmp_path / "manifests" / "locked"
    locked.mkdir(parents=True)
    (locked / "a.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n")
    locked.chmod(0)
    code = ("import sys\nfrom pytest_ctrsec.targets.kube import load_manifests\n"
            "from pytest_ctrsec.errors import CtrsecError\n"
            "try:\n    load_manifests((sys.argv[1],))\n"
            "except CtrsecError as e:\n    print(e)\n")
    try:
        preexec = _drop_file_capabilities if os.geteuid() == 0 else None
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "manifests")],
                             capture_output=True, text=True, preexec_fn=preexec, timeout=60)
    finally:
        locked.chmod(0o755)
    assert out.stdout.strip() == f"{locked}: cannot read directory: Permission denied", (
        out.returncode, out.stderr)


def test_yaml_reader_guards_against_alias_bombs_and_deep_nesting() -> None:
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(8))
    with pytest.raises(ParseError, match="alias bomb"):
        list(read_documents(bomb, "bomb.yaml"))
    with pytest.raises(ParseError, match="nested deeper"):
        list(read_documents("[" * 500 + "]" * 500, "deep.yaml"))


def test_yaml_reader_scalars_merge_keys_and_aliases() -> None:
    (doc,) = read_documents("a: &x {b: 1, c: yes}\nd:\n  <<: *x\n  c: 'no'\ne: 2024-01-01\n"
                            "f: !!str 80\ng: 0x10\nh: ~\n", "s.yaml")
    assert doc.data == {"a": {"b": 1, "c": True}, "d": {"b": 1, "c": "no"}, "e": "2024-01-01",
                        "f": "80", "g": 16, "h": None}
    assert not doc.exact  # merges make key order differ: lines fall back to the document's


def test_size_cap_and_devices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_ctrsec.targets.kube import manifests

    (tmp_path / "tree").mkdir()
    write(tmp_path, "tree/ok.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    (tmp_path / "tree" / "zero.yaml").symlink_to("/dev/zero")  # skipped: not a regular file
    assert [o.name for o in load_manifests((str(tmp_path / "tree"),)).objects] == ["s"]
    monkeypatch.setattr(manifests, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(InputError, match="larger than 1 MiB"):
        load_manifests(("/dev/zero",))  # named explicitly it is read, up to the cap


def test_libyaml_parser_is_used_when_available() -> None:
    """The pure-Python parser is ~15x slower: a silent fallback would ruin large corpora."""
    import yaml

    from pytest_ctrsec.targets.kube import yamldocs

    if getattr(yaml, "__with_libyaml__", False):
        assert yamldocs._Parser.__module__ == "yaml._yaml"


def test_namespace_filter_on_manifests(tmp_path: Path) -> None:
    """Only objects of the named namespaces are judged; the rest stays as context."""
    path = write(tmp_path, "mixed.yaml", DEPLOYMENT + textwrap.dedent("""\
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: other, namespace: elsewhere}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: reader}
        """))
    targets = load_targets(SimpleNamespace(k8s=(str(path),), namespace=("shop",)))
    assert [t.label for t in targets] == ["shop/Deployment/web", "shop/ConfigMap/settings",
                                          "shop"]
    corpus = load_corpora(SimpleNamespace(k8s=(str(path),), namespace=("shop",)))[0]
    assert corpus.get("ClusterRole", "reader") is not None  # still there to resolve bindings


def test_merge_keys_may_be_overridden_without_a_duplicate_error(tmp_path: Path) -> None:
    path = write(tmp_path, "merge.yaml", """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: m}
        data:
          <<: {a: "1", b: "2"}
          a: "3"
        """)
    (cm,) = load_manifests((str(path),)).objects
    assert cm.raw["data"] == {"a": "3", "b": "2"}


@pytest.mark.parametrize(("marker", "tool"), [
    ("Chart.yaml", "helm template"), ("kustomization.yaml", "kubectl kustomize"),
    ("kustomization.yml", "kubectl kustomize"), ("Kustomization", "kubectl kustomize")])
def test_folders_a_tool_builds_manifests_from_are_refused_with_the_command(
        tmp_path: Path, marker: str, tool: str) -> None:
    """A chart's templates and values, or a Kustomize base before its patches, images and
    namespace, are not what gets deployed: judging them would judge something else."""
    write(tmp_path, "deploy/plain/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
    write(tmp_path, f"deploy/app/{marker}", "apiVersion: v2\nname: app\nversion: 0.1.0\n")
    write(tmp_path, "deploy/app/values.yaml", "replicaCount: 1\n")
    write(tmp_path, "deploy/app/templates/deployment.yaml",
          "metadata:\n  name: {{ include \"app.fullname\" . }}\n")
    folder = os.path.join(str(tmp_path / "deploy"), "app")
    for given in (str(tmp_path / "deploy"), folder):
        with pytest.raises(InputError) as info:
            load_manifests((given,))
        assert str(info.value).startswith(f"{folder}: ")
        assert f"`{tool} {folder}`" in str(info.value)
    # the folders that hold manifests are still read
    assert [o.name for o in load_manifests((str(tmp_path / "deploy" / "plain"),)).objects] == ["s"]


def test_json_manifests_with_tabs_bom_and_utf16(tmp_path: Path) -> None:
    """Tab-indented JSON (jq --tab, Python), a UTF-8 byte order mark, and UTF-16 from a
    PowerShell redirect are all read; a .yml/.json mix in one folder too."""
    write(tmp_path, "m/a.json",
          '{\n\t"apiVersion": "v1",\n\t"kind": "Service",\n\t"metadata": {"name": "tabs"}\n}\n')
    (tmp_path / "m" / "b.json").write_bytes(
        b'\xef\xbb\xbf{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bom"}}')
    (tmp_path / "m" / "c.yml").write_bytes(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: utf16\n".encode("utf-16"))
    corpus = load_manifests((str(tmp_path / "m"),))
    assert [(o.name, o.origin.line) for o in corpus.objects] == [("tabs", 1), ("bom", 1),
                                                                ("utf16", 1)]
