"""Units of the Compose loader: variable substitution, short syntaxes, YAML scalars, env files."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_ctrsec.errors import ParseError
from pytest_ctrsec.targets.compose.envfile import as_mapping, parse_env
from pytest_ctrsec.targets.compose.nodes import plain
from pytest_ctrsec.targets.compose.syntax import SyntaxProblem, parse_device, parse_port, parse_volume
from pytest_ctrsec.targets.compose.template import MissingRequired, TemplateError, substitute
from pytest_ctrsec.targets.compose.yamlread import parse_documents

ENV = {"SET": "value", "EMPTY": "", "NAME": "SET"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${SET}", "value"),
        ("$SET", "value"),
        ("$SET.txt", "value.txt"),
        ("${UNSET}", ""),
        ("${UNSET:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${UNSET-d}", "d"),
        ("${SET:-d}", "value"),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${UNSET:-${SET}}", "value"),
        ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
        ("${UNSET:-a}-${SET}", "a-value"),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("cost 5$", "cost 5$"),
        ("$1", "$1"),
        ("${SET:?msg}", "value"),
        ("${EMPTY?msg}", ""),
        ("no variables", "no variables"),
    ],
)
def test_substitution(text: str, expected: str) -> None:
    assert substitute(text, ENV.get) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${UNSET:?say why}", "required variable UNSET is missing a value: say why"),
        ("${EMPTY:?}", "required variable EMPTY is missing a value"),
        ("${UNSET?${SET} needed}", "required variable UNSET is missing a value: value needed"),
    ],
)
def test_required_variables(text: str, message: str) -> None:
    with pytest.raises(MissingRequired) as info:
        substitute(text, ENV.get)
    assert str(info.value) == message


@pytest.mark.parametrize("text", ["${}", "${1A}", "${A B}", "${A", "${A:x}"])
def test_malformed_templates(text: str) -> None:
    with pytest.raises(TemplateError):
        substitute(text, ENV.get)


def _ports(spec: Any) -> list[tuple[Any, ...]]:
    return [(p.get("host_ip"), p.get("published"), p["target"], p["protocol"]) for p in parse_port(spec)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("80", [(None, None, 80, "tcp")]),
        (80, [(None, None, 80, "tcp")]),
        ("8080:80", [(None, "8080", 80, "tcp")]),
        ("127.0.0.1:8080:80/udp", [("127.0.0.1", "8080", 80, "udp")]),
        ("127.0.0.1::80", [("127.0.0.1", None, 80, "tcp")]),
        ("[::1]:8080:80", [("::1", "8080", 80, "tcp")]),
        ("0.0.0.0:8000-8001:80-81", [("0.0.0.0", "8000", 80, "tcp"), ("0.0.0.0", "8001", 81, "tcp")]),
        ("9000-9002:80", [(None, "9000-9002", 80, "tcp")]),
        ("3000-3001", [(None, None, 3000, "tcp"), (None, None, 3001, "tcp")]),
        ("53:53/UDP", [(None, "53", 53, "udp")]),
        ("998-1000", [(None, None, 1000, "tcp"), (None, None, 998, "tcp"), (None, None, 999, "tcp")]),
    ],
)
def test_port_short_syntax(spec: Any, expected: list[tuple[Any, ...]]) -> None:
    assert _ports(spec) == expected
    assert all(p["mode"] == "ingress" for p in parse_port(spec))


@pytest.mark.parametrize("spec", ["", "a:80", "80:b", "1.2.3.999:80:80", "8000-8002:80-81", "80/icmp", "70000"])
def test_bad_ports(spec: str) -> None:
    with pytest.raises(SyntaxProblem):
        parse_port(spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("/data", {"type": "volume", "target": "/data", "volume": {}}),
        ("db:/var/lib/db", {"type": "volume", "source": "db", "target": "/var/lib/db", "volume": {}}),
        ("db:/var/lib/db:nocopy", {"type": "volume", "source": "db", "target": "/var/lib/db", "volume": {"nocopy": True}}),
        ("./src:/app:ro", {"type": "bind", "source": "./src", "target": "/app", "read_only": True,
                           "bind": {"create_host_path": True}}),
        ("/var/run/docker.sock:/var/run/docker.sock", {"type": "bind", "source": "/var/run/docker.sock",
                                                       "target": "/var/run/docker.sock", "bind": {"create_host_path": True}}),
        ("~/.ssh:/root/.ssh:ro,z", {"type": "bind", "source": "~/.ssh", "target": "/root/.ssh", "read_only": True,
                                    "bind": {"selinux": "z", "create_host_path": True}}),
        ("/mnt:/mnt:rshared", {"type": "bind", "source": "/mnt", "target": "/mnt",
                               "bind": {"propagation": "rshared", "create_host_path": True}}),
        ("${DATA:-./d}:/d:rw", {"type": "volume", "source": "${DATA:-./d}", "target": "/d", "volume": {}}),
    ],
)
def test_volume_short_syntax(spec: str, expected: dict[str, Any]) -> None:
    assert parse_volume(spec) == expected


@pytest.mark.parametrize("spec", ["", "data::/b", "src:/t:ro:x"])
def test_bad_volumes(spec: str) -> None:
    with pytest.raises(SyntaxProblem):
        parse_volume(spec)


def test_device_short_syntax() -> None:
    assert parse_device("/dev/sda") == {"source": "/dev/sda", "target": "/dev/sda", "permissions": "rwm"}
    assert parse_device("/dev/sda:/dev/xvda:r") == {"source": "/dev/sda", "target": "/dev/xvda", "permissions": "r"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"), ("on", "on"), ("No", "No"), ("true", True), ("FALSE", False), ("~", None),
        ("null", None), ("", None), ("80:80", "80:80"), ("1:30", "1:30"), ("0755", 0o755), ("0o17", 15),
        ("0x1F", 31), ("1_000", 1000), ("-5", -5), ("1.5", 1.5), ("1e3", 1000.0), (".5", 0.5),
        ("08", 8.0), ("2024-01-01", "2024-01-01"), ("'123'", "123"), ('"true"', "true"), ("!!str 12", "12"),
        ("!!float 1", 1.0), ("512m", "512m"),
    ],
)
def test_yaml_scalars_follow_compose(text: str, value: Any) -> None:
    tree = parse_documents(f"k: {text}\n", "t.yaml")[0].tree
    assert tree["k"] == value and type(tree["k"]) is type(value)


def test_merge_keys_anchors_and_positions() -> None:
    text = "x-base: &base\n  image: a\n  user: '1'\nservices:\n  web:\n    <<: *base\n    user: '2'\n"
    doc = parse_documents(text, "t.yaml")[0]
    web = doc.tree["services"]["web"]
    assert plain(web) == {"image": "a", "user": "2"}
    assert web.loc("image") == ("t.yaml", 2)  # where the anchored value was written
    assert web.loc("user") == ("t.yaml", 7)


def test_reset_and_override_marks() -> None:
    doc = parse_documents("services:\n  web:\n    ports: !reset []\n    user: !override '0'\n", "t.yaml")[0]
    assert doc.resets == [("services", "web", "ports")]
    assert doc.overrides == [("services", "web", "user")]
    assert plain(doc.tree) == {"services": {"web": {"user": "0"}}}


def test_several_documents_in_one_file() -> None:
    docs = parse_documents("services: {a: {image: x}}\n---\nservices: {b: {image: y}}\n", "t.yaml")
    assert [list(d.tree["services"]) for d in docs] == [["a"], ["b"]]


def test_env_file_syntax() -> None:
    text = (
        "# comment\n"
        "A=1\n"
        "export B = two\n"
        "C: yaml-style\n"
        "D='single ${A}'\n"
        'E="double ${A}\\nnext"\n'
        "F=unquoted ${A} # comment\n"
        "G=\n"
        "INHERITED\n"
        'H="multi\nline"\n'
        "I=${MISSING:-dflt}\n"
    )
    entries = parse_env(text, ".env", {"INHERITED": "from-env"}.get)
    assert as_mapping(entries) == {
        "A": "1", "B": "two", "C": "yaml-style", "D": "single ${A}", "E": "double 1\nnext",
        "F": "unquoted 1", "G": "", "INHERITED": "from-env", "H": "multi\nline", "I": "dflt",
    }  # fmt: skip
    assert [(e.key, e.line) for e in entries][:3] == [("A", 2), ("B", 3), ("C", 4)]
    assert next(e for e in entries if e.key == "I").line == 12


def test_env_file_bad_key() -> None:
    with pytest.raises(ParseError) as info:
        parse_env("OK=1\nBAD!KEY=2\n", "x.env")
    assert str(info.value) == "x.env:2: unexpected character '!' in variable name 'BAD!KEY=2'"
