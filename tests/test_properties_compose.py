"""Compose projects: random text, random documents and the check fixtures with random parts
replaced load into a project every Compose check can judge, or give one ``InputError`` line
naming the file; interpolation agrees with a small model of the Compose rules written here;
merging two files agrees with the per-field merge rules."""

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
from pytest_ctrsec.errors import InputError, InterpolationError
from pytest_ctrsec.targets.compose import project_targets
from pytest_ctrsec.targets.compose.loader import load_project

FIXTURES = Path(__file__).parent / "fixtures" / "compose"
SEEDS: list[Any] = [doc for f in sorted(FIXTURES.rglob("*.y*ml"))
                    for doc in [yaml.safe_load(f.read_text())] if isinstance(doc, dict)]
CHECKS = [c for c in registry().values() if c.model.startswith("compose.")]


def _write(folder: Path, name: str, text: str | bytes) -> str:
    path = folder / name
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    return str(path)


def _load(files: list[str], environ: dict[str, str] | None = None) -> Any:
    """The project with every check run on its targets, or the InputError (checked)."""
    try:
        project = load_project(files, environ=environ or {})
    except InputError as err:
        assert "\n" not in str(err) and str(err).startswith(files[0].rsplit("/", 1)[0]), str(err)
        return err
    for target in project_targets(project, files[0], image_lookup=None):
        for chk in CHECKS:
            if chk.model == target.model_type and chk.applies_to(target.model):
                assert chk.evaluate(target.model).outcome in ("passed", "failed", "skipped",
                                                              "error")
    return project


@hyp.examples(60)
@given(text=hyp.yaml_noise)
def test_random_text_loads_or_is_rejected(tmp_path_factory: pytest.TempPathFactory,
                                          text: str) -> None:
    _load([_write(tmp_path_factory.mktemp("c"), "compose.yaml", text)])


@hyp.examples(120)
@given(data=st.data())
def test_fixtures_with_random_parts_are_judged(tmp_path_factory: pytest.TempPathFactory,
                                               data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("c")
    files = [_write(folder, f"c{i}.yaml", yaml.safe_dump(
        hyp.mutate(data, copy.deepcopy(data.draw(st.sampled_from(SEEDS))))))
        for i in range(data.draw(st.integers(1, 2)))]
    _load(files, {"TAG": "1"})


# -- interpolation against a model ---------------------------------------------------------

_VARS = ["A", "B", "C_1", "UNSET"]
_literal = st.text(st.characters(exclude_characters="${}\x00", exclude_categories=["Cs"]),
                   min_size=1, max_size=6)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text`` (escapes for all but printable
    ASCII: JSON's surrogate pairs are not YAML)."""
    def esc(c: str) -> str:
        if " " <= c <= "~" and c not in '"\\':
            return c
        return f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
    return '"' + "".join(map(esc, text)) + '"'


def _render(piece: Any, env: dict[str, str]) -> str:
    """What Compose makes of a piece: the model of the rules (README: Compose semantics).
    A default or alternative word is only evaluated when it is used."""
    kind = piece[0]
    if kind == "lit":
        return piece[1]
    if kind == "dollar":
        return "$"
    if kind == "var":
        return (env.get(piece[1]) or "") + ("" if piece[2] else " ")
    _, name, op, word = piece
    value = env.get(name)
    missing = value is None or (op.startswith(":") and value == "")

    def rendered() -> str:
        return "".join(_render(p, env) for p in word)

    if op.endswith("-"):
        return rendered() if missing else value or ""
    if op.endswith("+"):
        return "" if missing else rendered()
    if missing:
        raise LookupError(rendered())
    return value or ""


def _written(piece: Any) -> str:
    kind = piece[0]
    if kind == "lit":
        return piece[1]
    if kind == "dollar":
        return "$$"
    if kind == "var":
        return f"${{{piece[1]}}}" if piece[2] else f"${piece[1]} "
    _, name, op, word = piece
    return f"${{{name}{op}{''.join(_written(p) for p in word)}}}"


_leaf = st.one_of(st.tuples(st.just("lit"), _literal), st.tuples(st.just("dollar")),
                  st.tuples(st.just("var"), st.sampled_from(_VARS), st.booleans()))
_piece = st.recursive(_leaf, lambda inner: st.tuples(
    st.just("op"), st.sampled_from(_VARS), st.sampled_from([":-", "-", ":+", "+", ":?", "?"]),
    st.lists(inner, max_size=3)), max_leaves=6)
_env = st.dictionaries(st.sampled_from(_VARS[:-1]), st.one_of(st.just(""), hyp.any_text),
                       max_size=3)


@hyp.examples(150)
@given(pieces=st.lists(_piece, min_size=1, max_size=5), env=_env)
def test_interpolation_agrees_with_the_model(tmp_path_factory: pytest.TempPathFactory,
                                             pieces: list[Any], env: dict[str, str]) -> None:
    template = "".join(_written(p) for p in pieces)
    try:
        expected: str | LookupError = "".join(_render(p, env) for p in pieces)
    except LookupError as missing:
        expected = missing
    text = f"services:\n  web:\n    image: busybox\n    labels:\n      k: {_quoted(template)}\n"
    outcome = _load([_write(tmp_path_factory.mktemp("c"), "compose.yaml", text)], env)
    if isinstance(expected, LookupError):
        assert isinstance(outcome, InterpolationError), outcome
        assert ":5: " in str(outcome) and "required variable" in str(outcome)
    else:
        assert not isinstance(outcome, InputError), outcome
        assert outcome.services[0].config["labels"]["k"] == expected


# -- merging two files -----------------------------------------------------------------------

_key = st.sampled_from(["K1", "K2", "K3"])
_str = st.text(st.characters(codec="ascii", categories=("L", "N")), max_size=4)
_side = st.fixed_dictionaries({}, optional={
    "image": _str.map(lambda s: "img" + s.lower()),
    "labels": st.dictionaries(_key, _str, max_size=3),
    "environment": st.one_of(st.dictionaries(_key, _str, max_size=3),
                             st.dictionaries(_key, _str, max_size=3).map(
                                 lambda d: [f"{k}={v}" for k, v in d.items()])),
    "command": st.one_of(_str.map(lambda s: "run" + s), st.lists(_str, min_size=1, max_size=3)),
})


def _as_map(value: Any) -> dict[str, str]:
    if isinstance(value, list):
        return dict(item.split("=", 1) for item in value)
    return dict(value or {})


@hyp.examples(100)
@given(base=_side, over=_side)
def test_merging_two_files_follows_the_rules(tmp_path_factory: pytest.TempPathFactory,
                                             base: dict[str, Any], over: dict[str, Any]) -> None:
    base = {"image": "base", **base}
    folder = tmp_path_factory.mktemp("c")
    # JSON, a subset of YAML whose strings are always quoted: PyYAML writes "0E0" plain,
    # which Compose's YAML 1.2 reads as a number
    files = [_write(folder, name, json.dumps({"services": {"web": side}}))
             for name, side in (("a.yaml", base), ("b.yaml", over))]
    project = _load(files)
    assert not isinstance(project, InputError), project
    config = project.services[0].config
    assert config["image"] == over.get("image", base["image"])
    assert dict(config.get("labels") or {}) == {**base.get("labels", {}), **over.get("labels", {})}
    assert dict(config.get("environment") or {}) == {**_as_map(base.get("environment")),
                                                     **_as_map(over.get("environment"))}
    command = over.get("command", base.get("command"))
    if command is not None:
        assert list(config["command"]) == (command if isinstance(command, list) else
                                           command.split())
