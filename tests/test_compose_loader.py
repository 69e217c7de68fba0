"""The Compose loader on small fixture projects: merge, extends, include, profiles,
interpolation and .env, canonical form, locations, literal strings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_ctrsec.findings import Location
from pytest_ctrsec.targets.compose.loader import load_project
from pytest_ctrsec.targets.compose.model import ComposeProject, ComposeService
from pytest_ctrsec.targets.compose.nodes import plain

FIXTURES = Path(__file__).parent / "fixtures" / "compose_loader"
F = str(FIXTURES.relative_to(Path.cwd())) if FIXTURES.is_relative_to(Path.cwd()) else str(FIXTURES)


def load(*names: str, **kwargs: Any) -> ComposeProject:
    kwargs.setdefault("environ", {})
    return load_project([f"{F}/{n}" for n in names], **kwargs)


def service(project: ComposeProject, name: str) -> ComposeService:
    return next(s for s in project.services if s.name == name)


# --- merge of several files -----------------------------------------------------------------

@pytest.fixture(scope="module")
def merged() -> ComposeService:
    return service(load("merge/compose.yaml", "merge/override.yaml"), "web")


def test_command_is_replaced_and_split_like_a_shell(merged: ComposeService) -> None:
    assert plain(merged.config["command"]) == ["nginx-debug", "-g", "daemon off;"]


def test_ports_merge_by_unique_key_and_keep_others(merged: ComposeService) -> None:
    ports = [(p.get("host_ip"), p.get("published"), p["target"]) for p in merged.config["ports"]]
    assert ports == [(None, "8080", 80), ("127.0.0.1", "9000", 9000), (None, "8443", 443)]


def test_volumes_merge_by_target(merged: ComposeService) -> None:
    by_target = {v["target"]: v for v in merged.config["volumes"]}
    assert by_target["/usr/share/nginx/html"]["source"] == str(FIXTURES / "merge" / "html-dev")
    assert by_target["/var/log/nginx"]["type"] == "volume"
    assert len(by_target) == 2


def test_environment_labels_sysctls_merge_as_mappings_across_syntaxes(merged: ComposeService) -> None:
    assert plain(merged.config["environment"]) == {"MODE": "override", "KEEP": "yes", "ADDED": "1"}
    assert plain(merged.config["labels"]) == {"team": "core", "tier": "front"}
    assert plain(merged.config["sysctls"]) == {"net.core.somaxconn": "1024", "net.ipv4.ip_forward": "1"}


def test_lists_append_without_duplicates(merged: ComposeService) -> None:
    assert plain(merged.config["cap_add"]) == ["NET_BIND_SERVICE", "SYS_PTRACE"]
    assert plain(merged.config["dns"]) == ["1.1.1.1", "8.8.8.8"]
    assert plain(merged.config["security_opt"]) == ["no-new-privileges:true", "seccomp=unconfined"]


def test_extra_hosts_ulimits_secrets_merge_by_key(merged: ComposeService) -> None:
    assert plain(merged.config["extra_hosts"]) == ["db=10.0.0.6"]
    assert plain(merged.config["ulimits"]) == {"nofile": {"soft": 4096, "hard": 8192}}
    assert plain(merged.config["secrets"]) == [{"source": "api_key", "target": "/run/secrets/api_key", "mode": 0o400}]


def test_healthcheck_test_replaced_other_keys_kept(merged: ComposeService) -> None:
    assert plain(merged.config["healthcheck"]) == {
        "test": ["CMD", "curl", "-f", "http://localhost"],
        "interval": "30s",
    }


def test_logging_with_another_driver_is_replaced_whole(merged: ComposeService) -> None:
    assert plain(merged.config["logging"]) == {"driver": "syslog"}


def test_reset_and_override_tags(merged: ComposeService) -> None:
    assert "read_only" not in merged.config
    assert merged.config["user"] == "2000"


def test_key_locations_point_at_the_last_writer(merged: ComposeService) -> None:
    assert merged.location == Location(f"{F}/merge/compose.yaml", 2)
    assert merged.locate("image") == Location(f"{F}/merge/compose.yaml", 3)
    assert merged.locate("ports") == Location(f"{F}/merge/override.yaml", 4)
    assert merged.locate("user") == Location(f"{F}/merge/override.yaml", 36)
    assert merged.config["ports"].loc(2) == (f"{F}/merge/override.yaml", 8)


def test_raw_is_merged_but_as_written(merged: ComposeService) -> None:
    assert merged.raw["command"] == 'nginx-debug -g "daemon off;"'
    assert merged.raw["ports"][0]["published"] == "8080"
    assert merged.raw["ports"][1] == "127.0.0.1:9000:9000"


# --- extends -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extended() -> ComposeProject:
    return load("extends/compose.yaml")


def test_extends_in_the_same_file_merges_onto_the_base(extended: ComposeProject) -> None:
    web = service(extended, "web")
    assert plain(web.config["environment"]) == {"LEVEL": "web"}
    assert plain(web.config["cap_drop"]) == ["ALL"]
    assert "extends" not in web.config and "extends" not in web.raw
    assert web.locate("cap_drop") == Location(f"{F}/extends/compose.yaml", 6)


def test_extends_from_another_file_resolves_its_paths_there(extended: ComposeProject) -> None:
    worker = service(extended, "worker")
    lib = FIXTURES / "extends" / "lib"
    assert worker.config["image"] == "alpine:3.20"  # through the chain hardened -> minimal
    assert worker.config["volumes"][0]["source"] == str(lib / "conf")
    assert plain(worker.config["environment"]) == {"COMMON": "from-lib"}
    assert worker.locate("read_only") == Location(f"{F}/extends/lib/common.yaml", 4)
    assert worker.locate("environment") == Location(f"{F}/extends/lib/common.yaml", 7)  # env_file
    assert worker.config["environment"].loc("COMMON") == (f"{F}/extends/lib/common.env", 1)


def test_extends_chain(extended: ComposeProject) -> None:
    chained = service(extended, "chained")
    assert chained.config["user"] == "1001"
    assert plain(chained.config["environment"]) == {"LEVEL": "web"}


def test_extends_cycle_is_an_error_naming_file_line_and_cycle() -> None:
    with pytest.raises(Exception) as info:
        load("extends_cycle/compose.yaml")
    path = f"{F}/extends_cycle/compose.yaml"
    assert str(info.value) == (
        f"{path}:4: services.a.extends: circular reference: "
        f"a ({path}) -> b ({path}) -> c ({path}) -> a ({path})"
    )


# --- include -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def included() -> ComposeProject:
    return load("include/compose.yaml")


def test_include_loads_each_project_with_its_own_env_and_paths(included: ComposeProject) -> None:
    assert [s.name for s in included.services] == ["app", "db", "cache"]
    db = service(included, "db")
    assert db.config["image"] == "postgres:16"  # from db/.env
    assert db.config["volumes"][0]["source"] == str(FIXTURES / "include" / "db" / "data")
    assert db.location == Location(f"{F}/include/db/compose.yaml", 2)
    assert included.secrets["pg"]["file"] == str(FIXTURES / "include" / "db" / "pg.txt")


def test_include_long_syntax_env_file_and_no_leak_upwards(included: ComposeProject) -> None:
    assert service(included, "cache").config["image"] == "redis:7"
    assert service(included, "app").config["image"] == "app:dev"  # db/.env stays in db


def test_include_conflicting_resource_is_an_error() -> None:
    with pytest.raises(Exception) as info:
        load("include_conflict/compose.yaml")
    assert str(info.value) == (
        f"{F}/include_conflict/compose.yaml:4: services.db is defined here and differently "
        f"in included {F}/include_conflict/sub/compose.yaml:2"
    )


# --- environment, .env and env_file ------------------------------------------------------------

def test_dotenv_env_file_and_environment_precedence() -> None:
    app = service(load("envs/compose.yaml"), "app")
    assert app.config["image"] == "app:1.0"
    assert plain(app.config["environment"]) == {
        "API_KEY": "abcd1234efgh",
        "LITERAL": "plain",  # environment wins over env_file
        "GREETING": "hello 1.0",  # double quotes expand, trailing blanks dropped
        "COMMENTED": "value",  # " #" starts a comment on an unquoted value
        "FROM_DOTENV": "dot value",  # bare name resolved from the project environment
        "SECRET_TOKEN": "single $NOT_EXPANDED",  # single quotes in .env are literal
    }
    assert app.config["environment"].loc("API_KEY") == (f"{F}/envs/app.env", 1)
    assert app.raw["environment"][2] == "SECRET_TOKEN=${TOKEN:-fallback}"


def test_process_environment_wins_over_dotenv() -> None:
    app = service(load("envs/compose.yaml", environ={"TAG": "shell"}), "app")
    assert app.config["image"] == "app:shell"


def test_env_files_argument_replaces_the_default_dotenv() -> None:
    project = load("envs/compose.yaml", env_files=[f"{F}/envs/other.env"])
    app = service(project, "app")
    assert app.config["image"] == "app:2.0"
    assert app.config["environment"]["FROM_DOTENV"] is None


def test_strings_hold_every_literal_with_key_and_location() -> None:
    project = load("envs/compose.yaml")
    found = {(s.key, s.value): s.location for s in project.strings}
    assert found[("API_KEY", "abcd1234efgh")] == Location(f"{F}/envs/app.env", 1)
    assert found[("TOKEN", "single $NOT_EXPANDED")] == Location(f"{F}/envs/.env", 4)
    assert found[("services.app.environment.SECRET_TOKEN", "${TOKEN:-fallback}")] == Location(
        f"{F}/envs/compose.yaml", 7
    )


# --- profiles ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("profiles", "environ", "active"),
    [
        ((), {}, ["always"]),
        (("debug",), {}, ["always", "debug", "tools"]),
        (("tools",), {}, ["always", "tools"]),
        (("*",), {}, ["always", "debug", "tools"]),
        ((), {"COMPOSE_PROFILES": "tools"}, ["always", "tools"]),
        (("nothing",), {}, ["always"]),
    ],
)
def test_profiles_select_services(profiles: tuple[str, ...], environ: dict[str, str], active: list[str]) -> None:
    project = load("profiles/compose.yaml", profiles=profiles, environ=environ)
    assert [s.name for s in project.services] == active


# --- project name and folder ---------------------------------------------------------------

def test_project_name_from_folder_argument_and_file() -> None:
    assert load("profiles/compose.yaml").name == "profiles"
    assert load("profiles/compose.yaml", project_name="given").name == "given"
    assert load("merge/compose.yaml").project_dir == FIXTURES / "merge"
