"""Kubernetes manifests: random text, random documents, and the check fixtures with random
parts replaced, read through the loader and judged by every bundled Kubernetes check. Each
run gives objects whose names, kinds and lines are the ones written, or one ``InputError``
line naming the file; every check gives a verdict (never another exception), and in-manifest
waivers are read or rejected with a ``ConfigError``."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import hyp
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.errors import ConfigError, InputError
from pytest_ctrsec.targets.kube import load_manifests
from pytest_ctrsec.targets.kube.targets import corpus_targets
from pytest_ctrsec.waivers import from_annotations

FIXTURES = Path(__file__).parent / "fixtures" / "k8s"
SEEDS: list[dict[str, Any]] = [
    doc for f in sorted(FIXTURES.rglob("*.yaml"))
    for doc in yaml.safe_load_all(f.read_text()) if isinstance(doc, dict)]
CHECKS = [c for c in registry().values() if c.model.startswith("k8s.")]
_names = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


def _load(tmp: Path, text: str | bytes, name: str = "m.yaml") -> list[Any] | InputError:
    path = tmp / name
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        corpus = load_manifests((str(path),))
    except InputError as err:
        assert str(err).startswith(str(path)) and "\n" not in str(err), str(err)
        return err
    targets = corpus_targets(corpus)
    _judge(targets)
    return targets


def _judge(targets: list[Any]) -> None:
    for target in targets:
        for chk in CHECKS:
            if chk.model == target.model_type and chk.applies_to(target.model):
                verdict = chk.evaluate(target.model)
                assert verdict.outcome in ("passed", "failed", "skipped", "error")
                for finding in verdict.findings:
                    assert isinstance(finding.message, str) and finding.message
        try:
            from_annotations(target.annotations, target.name, "m.yaml")
        except ConfigError as err:
            assert "\n" not in str(err)


@hyp.examples(60)
@given(text=hyp.yaml_noise)
def test_random_text_is_read_or_rejected(tmp_path_factory: pytest.TempPathFactory,
                                         text: str) -> None:
    _load(tmp_path_factory.mktemp("k"), text)


@given(docs=st.lists(hyp.plain_data, min_size=1, max_size=3), as_json=st.booleans())
def test_random_documents_are_read_or_rejected(tmp_path_factory: pytest.TempPathFactory,
                                               docs: list[Any], as_json: bool) -> None:
    text = json.dumps(docs[0]) if as_json else yaml.safe_dump_all(docs)
    _load(tmp_path_factory.mktemp("k"), text, "m.json" if as_json else "m.yaml")


@hyp.examples(120)
@given(data=st.data())
def test_fixtures_with_random_parts_are_judged(tmp_path_factory: pytest.TempPathFactory,
                                               data: st.DataObject) -> None:
    docs = [hyp.mutate(data, copy.deepcopy(data.draw(st.sampled_from(SEEDS))))
            for _ in range(data.draw(st.integers(1, 3)))]
    _load(tmp_path_factory.mktemp("k"), yaml.safe_dump_all(docs))


_KINDS = ["Pod", "Deployment", "CronJob", "Job", "Namespace", "ConfigMap", "Role",
          "ClusterRoleBinding", "NetworkPolicy", "Service", "Widget"]


@hyp.examples(60)
@given(objects=st.lists(st.tuples(st.sampled_from(_KINDS), _names, _names,
                                  st.integers(0, 3)), min_size=1, max_size=6),
       as_list=st.booleans())
def test_objects_are_read_with_their_names_and_lines(
        tmp_path_factory: pytest.TempPathFactory, objects: list[tuple[str, str, str, int]],
        as_list: bool) -> None:
    """Objects written one per document (after some blank lines and comments) or as a List
    come back in order, each with its kind, name and the line of its first key."""
    chunks, lines, line = [], [], 1
    for kind, name, ns, pad in objects:
        body = f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        if as_list:
            body = "- " + body.replace("\n", "\n  ").rstrip(" ")
        chunk = "# c\n" * pad + body
        lines.append(line + pad)
        chunks.append(chunk)
        line += chunk.count("\n") + (0 if as_list else 1)
    text = ("".join(chunks) if as_list else "---\n".join(chunks))
    if as_list:
        text = "apiVersion: v1\nkind: List\nitems:\n" + text
        lines = [n + 3 for n in lines]
    targets = _load(tmp_path_factory.mktemp("k"), text)
    assert not isinstance(targets, InputError), targets
    found = [(t.model.kind, t.model.name, t.location.line) for t in targets
             if t.model_type == "k8s.object"]
    assert found == [(k, n, at) for (k, n, _, _), at in zip(objects, lines)]
