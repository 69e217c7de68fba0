"""Hostile YAML in every YAML input: Compose files, Kubernetes manifests, waiver files and
container-structure-test files.

Each reader enforces its own caps and says so in one error line:

- alias expansion: Compose ``yamlread.MAX_EXPANDED`` and the manifest reader's
  ``yamldocs.MAX_EXPANDED_NODES`` (1,000,000 nodes per document; waiver and structure-test
  files use the manifest reader). Aliases are shared while reading and never copied, so the
  memory a bomb costs is its text, not its expansion;
- nesting depth: Compose ``yamlread.MAX_DEPTH`` (100) and ``yamldocs.MAX_DEPTH`` (200); both
  readers build trees without recursion, so depth is a cap, never a crashed interpreter.

Bounds are checked as the cap's error and a traced-memory peak, never as a duration.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_ctrsec.errors import ConfigError, CtrsecError, InputError
from pytest_ctrsec.structure_test import load_structure_tests
from pytest_ctrsec.targets.compose import yamlread
from pytest_ctrsec.targets.compose.loader import load_project
from pytest_ctrsec.targets.kube import load_manifests, yamldocs
from pytest_ctrsec.waivers import load_file

# The Compose reader sets aside its 32 MiB read cap up front; the billion laughs copied out
# would take gigabytes.
PEAK_LIMIT = 64 << 20


def _laughs(levels: int = 9) -> str:
    """The billion laughs: ``levels`` anchors of ten aliases each (10**levels nodes)."""
    lines = ["      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"      a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines)


def _quadratic() -> str:
    """One anchor of 20,000 items referred to 100 times: 2,000,000 nodes from 100 KB."""
    return "      big: &big [" + ", ".join(["x"] * 20_000) + "]\n      refs: [" + \
        ", ".join(["*big"] * 100) + "]"


# Each input kind: a document holding the bomb (indented six spaces) and its reader.
def _compose(bomb: str) -> str:
    return f"x-bomb:\n{bomb}\nservices:\n  web:\n    image: busybox\n"


def _kube(bomb: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x:\n{bomb}\n"


def _waivers(bomb: str) -> str:
    return f"waivers:\n  - check: a\n    reason: b\n    expires:\n{bomb}\n"


def _structure(bomb: str) -> str:
    return f"schemaVersion: 2.0.0\nx-bomb:\n{bomb}\nfileExistenceTests: []\n"


Reader = Callable[[str], object]
KINDS: dict[str, tuple[Callable[[str], str], Reader, type[CtrsecError]]] = {
    "compose": (_compose, lambda p: load_project([p], environ={}), InputError),
    "kube": (_kube, lambda p: load_manifests((p,)), InputError),
    "waivers": (_waivers, load_file, ConfigError),
    "structure-test": (_structure, load_structure_tests, InputError),
}


def _read(tmp: Path, kind: str, text: str) -> tuple[CtrsecError | None, int]:
    """The error reading ``text`` as ``kind`` raised (or None), and the traced peak."""
    _, reader, error = KINDS[kind]
    path = tmp / f"{kind}.yaml"
    path.write_text(text)
    tracemalloc.start()
    try:
        reader(str(path))
        found = None
    except error as err:
        found = err
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if found is not None:
        assert str(found).count("\n") == 0 and str(path) in str(found)
    return found, peak


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("bomb", ["laughs", "quadratic"])
def test_alias_bombs_hit_the_expansion_cap(tmp_path: Path, kind: str, bomb: str) -> None:
    wrap = KINDS[kind][0]
    err, peak = _read(tmp_path, kind, wrap(_laughs() if bomb == "laughs" else _quadratic()))
    assert err is not None and "expand to more than 1,000,000 nodes" in str(err)
    assert peak < PEAK_LIMIT


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_shared_aliases_below_the_cap_are_read(tmp_path: Path, kind: str) -> None:
    """Four levels (10,000 nodes) are an ordinary use of anchors, not a bomb."""
    err, _ = _read(tmp_path, kind, KINDS[kind][0](_laughs(4)))
    assert err is None or "expand" not in str(err)  # a schema complaint at most


def _flow(depth: int) -> str:
    return "[" * depth + "]" * depth


def _block(depth: int) -> str:
    return "\n".join(" " * (2 * i) + f"k{i}:" for i in range(depth)) + " end"


CAPS = {"compose": yamlread.MAX_DEPTH, "kube": yamldocs.MAX_DEPTH,
        "waivers": yamldocs.MAX_DEPTH, "structure-test": yamldocs.MAX_DEPTH}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_hits_the_depth_cap(tmp_path: Path, kind: str, style: str) -> None:
    depth = 50_000 if style == "flow" else CAPS[kind] + 5
    nested = _flow(depth) if style == "flow" else _block(depth)
    body = "\n".join("      " + line for line in nested.splitlines())
    err, peak = _read(tmp_path, kind, KINDS[kind][0](body))
    assert err is not None and "deeper than" in str(err) and f"{CAPS[kind]}" in str(err)
    assert peak < PEAK_LIMIT


def test_nesting_below_the_caps_is_read(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("x-deep: " + _flow(yamlread.MAX_DEPTH - 10) +
                       "\nservices:\n  web:\n    image: busybox\n")
    assert load_project([str(compose)], environ={}).services[0].name == "web"
    manifest = tmp_path / "m.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: " +
                        _flow(yamldocs.MAX_DEPTH - 10) + "\n")
    assert [o.name for o in load_manifests((str(manifest),)).objects] == ["c"]
