"""Bad Compose input: each case gives one line naming the file, the line and the problem."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_ctrsec.errors import InputError, InterpolationError, ParseError, SchemaError
from pytest_ctrsec.targets.compose.loader import load_project


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture()
def here(tmp_path: Path) -> Path:
    """Work inside a temporary folder so messages show short relative paths."""
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


CASES = [
    # (files, error type, one-line message)
    ({}, InputError, "c.yaml: no such file"),
    ({"c.yaml": ""}, InputError, "c.yaml: empty compose file"),
    ({"c.yaml": "# only a comment\n"}, InputError, "c.yaml: empty compose file"),
    ({"c.yaml": "- a\n- b\n"}, SchemaError, "c.yaml:1: top-level object must be a mapping"),
    ({"c.yaml": "services:\n  web: [\n"}, ParseError, "c.yaml:3: invalid YAML: did not find expected node content"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    image: b\n"}, ParseError,
     "c.yaml:4: mapping key 'image' already defined at line 3"),
    ({"c.yaml": "services:\n  web:\n    imag: a\n"}, SchemaError,
     "c.yaml:3: services.web: unknown key 'imag' (did you mean 'image'?)"),
    ({"c.yaml": "servics: {}\n"}, SchemaError, "c.yaml:1: unknown key 'servics' (did you mean 'services'?)"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    cap_add: NET_ADMIN\n"}, SchemaError,
     "c.yaml:4: services.web.cap_add: expected a list, got a string ('NET_ADMIN')"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    ports:\n      - [80]\n"}, SchemaError,
     "c.yaml:5: services.web.ports[0]: expected a number, a string or a mapping, got a list"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    volumes:\n      - type: bind\n        sorce: /x\n"}, SchemaError,
     "c.yaml:6: services.web.volumes[0]: unknown key 'sorce' (did you mean 'source'?)"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    command: ${CMD:?give a command}\n"}, InterpolationError,
     "c.yaml:4: services.web.command: required variable CMD is missing a value: give a command"),
    ({"c.yaml": "services:\n  web:\n    image: ${TAG?}\n"}, InterpolationError,
     "c.yaml:3: services.web.image: required variable TAG is missing a value"),
    ({"c.yaml": "services:\n  web:\n    image: ${bad var}\n"}, InterpolationError,
     "c.yaml:3: services.web.image: invalid interpolation format in '${bad var}' (use $$ for a literal $)"),
    ({"c.yaml": "services:\n  web:\n    image: \"${TAG\"\n"}, InterpolationError,
     "c.yaml:3: services.web.image: invalid interpolation format in '${TAG': unclosed '${'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    privileged: maybe\n"}, SchemaError,
     "c.yaml:4: services.web.privileged: invalid boolean 'maybe'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    ports: ['80:80/tcpx']\n"}, SchemaError,
     "c.yaml:4: services.web.ports: invalid protocol 'tcpx' in port '80:80/tcpx'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    ports: ['99999:80']\n"}, SchemaError,
     "c.yaml:4: services.web.ports: invalid host port '99999' in port '99999:80'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    env_file: missing.env\n"}, InputError,
     "c.yaml:4: services.web.env_file: env file missing.env not found"),
    ({"c.yaml": "services:\n  web:\n    extends: base\n"}, InputError,
     "c.yaml:3: services.web.extends: service 'base' not found in c.yaml"),
    ({"c.yaml": "services:\n  web:\n    extends: {file: other.yaml, service: base}\n"}, InputError,
     "c.yaml:3: services.web.extends: other.yaml: no such file"),
    ({"c.yaml": "include: [sub/none.yaml]\nservices: {}\n"}, InputError,
     "c.yaml:1: include: sub/none.yaml: no such file"),
    ({"c.yaml": "include: [c.yaml]\nservices: {}\n"}, InputError, "c.yaml:1: include cycle: "),
    ({"c.yaml": "services:\n  web:\n    command: x\n"}, SchemaError,
     "c.yaml:2: services.web: has neither an image nor a build context"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    volumes: ['data:/data']\n"}, SchemaError,
     "c.yaml:4: services.web.volumes: undefined volume 'data'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    secrets: [db]\n"}, SchemaError,
     "c.yaml:4: services.web.secrets: undefined secret 'db'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    networks: [back]\n"}, SchemaError,
     "c.yaml:4: services.web.networks: undefined network 'back'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    depends_on: [db]\n"}, SchemaError,
     "c.yaml:4: services.web.depends_on: undefined service 'db'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    depends_on: [db]\n  db:\n    image: b\n    profiles: [x]\n"},
     SchemaError, "c.yaml:4: services.web.depends_on: inactive (profiles) service 'db'"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    healthcheck: {test: [RUN, x]}\n"}, SchemaError,
     "c.yaml:4: services.web.healthcheck.test: must start with CMD, CMD-SHELL or NONE"),
    ({"c.yaml": "services:\n  web: {image: a}\nsecrets:\n  s: {labels: [a=b]}\n"}, SchemaError,
     "c.yaml:4: secrets.s: needs a file or an environment variable"),
    ({"c.yaml": "name: My App\nservices: {}\n"}, SchemaError,
     "c.yaml:1: invalid project name 'My App': use lowercase letters, digits, '-' and '_', starting with a letter or digit"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    <<: *nothing\n"}, ParseError,
     "c.yaml:4: unknown anchor 'nothing' referenced"),
    ({"c.yaml": "services:\n  web:\n    image: a\n    user: !!int abc\n"}, ParseError,
     "c.yaml:4: cannot read 'abc' as !!int"),
    ({"c.yaml": "services:\n  web:\n    image: a\n", ".env": "BAD LINE=1\n"}, ParseError,
     ".env:1: variable name 'BAD LINE' cannot contain a space"),
    ({"c.yaml": "services:\n  web:\n    image: a\n", ".env": "A=\"unterminated\n"}, ParseError,
     ".env:1: unterminated quoted value for A"),
]


@pytest.mark.parametrize(("files", "kind", "message"), CASES, ids=[c[2].split(": ", 1)[-1][:50] for c in CASES])
def test_bad_input_gives_one_clear_line(here: Path, files: dict[str, str], kind: type, message: str) -> None:
    write(here, files)
    with pytest.raises(kind) as info:
        load_project(["c.yaml"], environ={})
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(message) if message.endswith(": ") else text == message


def test_alias_bomb_is_refused(here: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    write(here, {"c.yaml": "x-bomb:\n" + "".join(f"  {line}\n" for line in lines) + "services: {}\n"})
    with pytest.raises(InputError) as info:
        load_project(["c.yaml"], environ={})
    assert str(info.value).startswith("c.yaml:")
    assert "YAML aliases expand to more than 1,000,000 nodes (alias bomb?)" in str(info.value)


def test_absurd_nesting_is_refused_without_crashing(here: Path) -> None:
    write(here, {"c.yaml": "services: " + "[" * 200_000 + "]" * 200_000 + "\n"})
    with pytest.raises(ParseError) as info:
        load_project(["c.yaml"], environ={})
    assert str(info.value) == "c.yaml:1: nesting deeper than 100 levels"


def test_missing_explicit_env_file(here: Path) -> None:
    write(here, {"c.yaml": "services:\n  web: {image: a}\n"})
    with pytest.raises(InputError) as info:
        load_project(["c.yaml"], environ={}, env_files=["nope.env"])
    assert str(info.value) == "nope.env: no such file"


def test_not_utf8(here: Path) -> None:
    (here / "c.yaml").write_bytes(b"services:\n  web:\n    image: \xff\n")
    with pytest.raises(ParseError) as info:
        load_project(["c.yaml"], environ={})
    assert str(info.value) == "c.yaml:3: not UTF-8 text"


def test_optional_env_file_may_be_missing(here: Path) -> None:
    write(here, {"c.yaml": "services:\n  web:\n    image: a\n    env_file: [{path: none.env, required: false}]\n"})
    project = load_project(["c.yaml"], environ={})
    assert dict(project.services[0].config["environment"]) == {}


def test_an_empty_top_level_key_is_an_unknown_key(here: Path) -> None:
    # found by hypothesis 6.170's examples: the key '' crashed the source-string index
    write(here, {"c.yaml": '"": 0\nservices:\n  app: {image: a}\n'})
    with pytest.raises(SchemaError) as info:
        load_project(["c.yaml"], environ={})
    assert str(info.value) == "c.yaml:1: unknown key ''"
