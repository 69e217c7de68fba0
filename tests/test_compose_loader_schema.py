"""The loader's own structural validator against the Compose Specification's JSON schema.

The schema is read in place (shared/schemas/compose-spec.json) and only here. Documents are
generated systematically: every property path the schema describes (services, their nested
mappings, top-level resources) gets every sample value of a pool of shapes and types, plus an
unknown key at every mapping level, plus random documents from hypothesis. Each document must
get the same valid/invalid verdict from both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_ctrsec.targets.compose.spec import find_problem
from tests.shared import shared_path

jsonschema = pytest.importorskip("jsonschema")

SCHEMA_FILE = shared_path("schemas", "compose-spec.json")
pytestmark = pytest.mark.skipif(not SCHEMA_FILE.is_file(), reason=f"no schema at {SCHEMA_FILE}")

SAMPLES: list[Any] = [
    None, True, False, 0, 1, -1, 5000, 101, -1001, 1.5, 2.0, "", "s", "all", "host", "bind", "tcp",
    "service_started", "rebuild", "z", "enabled", "always", "start-first", "a=b", "x-y",
    [], ["a"], ["a", "a"], ["a", "b"], [1], [1, 1], [True], [None], [{}], [["a"]],
    [{"source": "s"}], [{"path": "p", "action": "sync"}], [{"capabilities": ["gpu"]}], [{"command": "c"}],
    {}, {"a": "b"}, {"a": 1}, {"a": None}, {"a": True}, {"a": []}, {"a": ["b"]}, {"a": {}}, {"": "x"},
    {"x-ext": {"any": 1}}, {"name": "n"}, {"name": 1}, {"service": "s"}, {"file": "f"},
    {"path": "p"}, {"soft": 1, "hard": 2}, {"soft": 1}, {"condition": "service_started"},
    {"condition": "bogus"}, {"type": "bind", "source": "s", "target": "/t"}, {"type": "nope"},
    {"target": 80, "published": "8080"}, {"capabilities": ["gpu"]}, {"command": ["a"]},
    {"web": {"condition": "service_healthy"}}, {"net": None}, {"net": {"aliases": ["a"]}},
    {"limits": {"memory": "1g"}}, {"model": "m"}, {"type": "t"},
]  # fmt: skip

with open(SCHEMA_FILE, encoding="utf-8") if SCHEMA_FILE.is_file() else open(os.devnull) as _handle:
    SCHEMA: dict[str, Any] = json.load(_handle) if SCHEMA_FILE.is_file() else {}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _paths(node: dict[str, Any], prefix: tuple[Any, ...], depth: int = 0) -> Iterator[tuple[Any, ...]]:
    """Every property path under ``node``; list items are path element 0."""
    if depth > 8:
        return
    node = _resolve(node)
    alternatives = node.get("oneOf", [node])
    for alt in alternatives:
        alt = _resolve(alt)
        for key, sub in alt.get("properties", {}).items():
            yield prefix + (key,)
            yield from _paths(sub, prefix + (key,), depth + 1)
        for pattern, sub in alt.get("patternProperties", {}).items():
            if pattern != "^x-" and sub:
                name = "web" if "a-z" in pattern else "opt"
                yield prefix + (name,)
                yield from _paths(sub, prefix + (name,), depth + 1)
        if "items" in alt and isinstance(alt["items"], dict):
            yield prefix + (0,)
            yield from _paths(alt["items"], prefix + (0,), depth + 1)


def _build(path: tuple[Any, ...], value: Any) -> Any:
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


def _documents() -> list[Any]:
    if not SCHEMA:
        return []
    paths = sorted(set(_paths(SCHEMA, ())), key=lambda p: [str(x) for x in p])
    docs: list[Any] = []
    for path in paths:
        for sample in SAMPLES:
            docs.append(_build(path, sample))
        if path and isinstance(path[-1], str):
            docs.append(_build(path, {"unknown_key_zz": 1}))
            docs.append(_build(path[:-1] + ("unknown_key_zz",), 1))
    return docs


DOCUMENTS = _documents()


VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def _schema_valid(document: Any) -> bool:
    return bool(VALIDATOR.is_valid(document))


def test_generated_documents_get_the_schemas_verdict() -> None:
    disagreements = []
    valid = 0
    for doc in DOCUMENTS:
        ours = find_problem(doc) is None
        theirs = _schema_valid(doc)
        valid += theirs
        if ours != theirs:
            disagreements.append((doc, ours, theirs))
    print(f"\ncompared {len(DOCUMENTS)} documents ({valid} valid), {len(disagreements)} disagreements")
    assert len(DOCUMENTS) > 5000
    assert 0 < valid < len(DOCUMENTS)
    assert disagreements[:5] == []


_KEYS = st.sampled_from(
    sorted({p[-1] for p in set(_paths(SCHEMA, ())) if p and isinstance(p[-1], str)} | {"x-a", "zz", "web"})
    if SCHEMA
    else ["a"]
)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2000, 70000), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "s", "all", "host", "bind", "z", "always", "service_started", "80:80", "a=b"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=12,
)
_SERVICE_DOCS = st.dictionaries(_KEYS, _VALUES, max_size=4).map(lambda svc: {"services": {"web": svc}})
_TOP_DOCS = st.dictionaries(_KEYS, _VALUES, max_size=3)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.one_of(_SERVICE_DOCS, _TOP_DOCS))
def test_random_documents_get_the_schemas_verdict(document: Any) -> None:
    assert (find_problem(document) is None) == _schema_valid(document), document


def test_a_problem_names_the_path_and_line() -> None:
    from pytest_ctrsec.targets.compose.yamlread import parse_documents

    doc = parse_documents("services:\n  web:\n    image: x\n    privileged: [1]\n", "c.yaml")[0].tree
    problem = find_problem(doc)
    assert problem is not None
    assert str(problem) == "services.web.privileged: expected a boolean or a string, got a list"
    assert problem.pos == ("c.yaml", 4)
