"""Compose project rules and Compose targets over hand-built projects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.findings import Location
from pytest_ctrsec.targets.compose import project_targets
from pytest_ctrsec.targets.compose.model import ComposeProject, ComposeService, SourceString


def make_project(root: Path, *, secrets: dict[str, Any] | None = None,
                 configs: dict[str, Any] | None = None,
                 services: tuple[ComposeService, ...] = (),
                 strings: tuple[SourceString, ...] = ()) -> ComposeProject:
    tops = {f"secrets.{n}": Location("compose.yaml", 30 + i)
            for i, n in enumerate(secrets or {})}
    return ComposeProject("demo", ("compose.yaml",), root, services, secrets=secrets or {},
                          configs=configs or {}, top_locations=tops, strings=strings)


def svc(name: str, config: dict[str, Any]) -> ComposeService:
    return ComposeService(name, config, config, Location("compose.yaml", 2))


def run(check_id: str, project: ComposeProject) -> Verdict:
    return registry()[check_id].evaluate(project)


def write(path: Path, text: str = "s3cret", mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


# --- compose.secret-files-protected ---------------------------------------------------

def test_protected_secret_file_passes(tmp_path: Path) -> None:
    write(tmp_path / "secrets" / "db.txt")
    project = make_project(tmp_path, secrets={"db": {"file": "./secrets/db.txt"},
                                              "env": {"environment": "DB_PW"}},
                           services=(svc("app", {"build": {"context": "./app"}}),))
    assert run("compose.secret-files-protected", project).outcome == "passed"


def test_missing_secret_file_fails_at_its_definition(tmp_path: Path) -> None:
    project = make_project(tmp_path, secrets={"db": {"file": "./nope.txt"}})
    (finding,) = run("compose.secret-files-protected", project).findings
    assert "does not exist" in finding.message and "secret db" in finding.message
    assert finding.location == Location("compose.yaml", 30)


def test_world_readable_secret_and_config_fail(tmp_path: Path) -> None:
    write(tmp_path / "db.txt", mode=0o644)
    write(tmp_path / "app.conf", mode=0o604)
    project = make_project(tmp_path, secrets={"db": {"file": str(tmp_path / "db.txt")}},
                           configs={"app": {"file": "app.conf"}})
    findings = run("compose.secret-files-protected", project).findings
    assert len(findings) == 2
    assert all("world-readable" in f.message for f in findings)
    assert "0644" in findings[0].message
    assert findings[1].location == Location("compose.yaml", 1)  # no top location: the file


def test_secret_inside_a_build_context_fails(tmp_path: Path) -> None:
    write(tmp_path / "app" / "secret.key")
    project = make_project(tmp_path, secrets={"k": {"file": "app/secret.key"}},
                           services=(svc("app", {"build": "./app"}),))
    (finding,) = run("compose.secret-files-protected", project).findings
    assert "build context of service app" in finding.message


@pytest.mark.parametrize(("ignore", "result"), [
    ("secret.key\n", "passed"), ("*.key\n", "passed"), ("conf/\n", "passed"),
    ("**/secret.key\n", "passed"), ("*.key\n!secret.key\n", "failed"), ("other\n", "failed"),
])
def test_dockerignore_keeps_a_secret_out(tmp_path: Path, ignore: str, result: str) -> None:
    name = "conf/secret.key" if ignore == "conf/\n" else "secret.key"
    write(tmp_path / "app" / name)
    write(tmp_path / "app" / ".dockerignore", ignore, 0o644)
    project = make_project(tmp_path, secrets={"k": {"file": f"app/{name}"}},
                           services=(svc("app", {"build": {"context": "app"}}),))
    assert run("compose.secret-files-protected", project).outcome == result


@pytest.mark.parametrize(("ignore", "result"), [
    ("*.key\n", "failed"),  # * stays in the top directory, as in Docker
    ("*/*.key\n", "passed"), ("**/*.key\n", "passed"), ("conf\n", "passed"),
    ("conf/secret.?ey\n", "passed"), ("./conf/\n", "passed"),
])
def test_dockerignore_patterns_follow_docker(tmp_path: Path, ignore: str, result: str) -> None:
    write(tmp_path / "app" / "conf" / "secret.key")
    write(tmp_path / "app" / ".dockerignore", ignore, 0o644)
    project = make_project(tmp_path, secrets={"k": {"file": "app/conf/secret.key"}},
                           services=(svc("app", {"build": {"context": "app"}}),))
    assert run("compose.secret-files-protected", project).outcome == result


def test_remote_build_context_is_not_a_directory(tmp_path: Path) -> None:
    write(tmp_path / "k.txt")
    project = make_project(tmp_path, secrets={"k": {"file": "k.txt"}},
                           services=(svc("app", {"build": "https://github.com/x/y.git"}),))
    assert run("compose.secret-files-protected", project).outcome == "passed"


# --- compose.no-hardcoded-secrets -----------------------------------------------------

def s(key: str, value: str, line: int = 5, path: str = "compose.yaml") -> SourceString:
    return SourceString(key, value, Location(path, line))


@pytest.mark.parametrize(("source", "detector"), [
    (s("services.web.environment.DB_PASSWORD", "hunter2hunter2"), "credential-name"),
    (s("services.web.environment[0]", "API_TOKEN=tok-123456789"), "credential-name"),
    (s("services.web.build.args.NPM_TOKEN", "npm_" + "a1B2" * 9), "npm-token"),
    (s("services.web.labels.com.example.db-password", "longsecret1"), "credential-name"),
    (s("services.web.command", "redis-server --requirepass s3cr3tpass"), "credential-flag"),
    (s("services.web.command[2]", "--password=s3cr3tpass"), "credential-flag"),
    (s("services.web.environment.DATABASE_URL", "postgres://u:pw123456@db/x"), "url-password"),
    (s("DB_PASSWORD", "from-dotenv-1", 3, ".env"), "credential-name"),
    (s("x-common.token", "AKIAIOSFODNN7EXAMPLE"), "aws-access-key-id"),
])
def test_hardcoded_secrets_found(source: SourceString, detector: str) -> None:
    verdict = run("compose.no-hardcoded-secrets",
                  make_project(Path("/srv"), strings=(source,)))
    (finding,) = verdict.findings
    assert finding.extra["detector"] == detector
    assert finding.location == source.location
    for secret in ("hunter2hunter2", "tok-123456789", "s3cr3tpass", "pw123456", "longsecret1",
                   "from-dotenv-1", "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in finding.message


@pytest.mark.parametrize("source", [
    s("services.web.environment.DB_PASSWORD", "${DB_PASSWORD}"),
    s("services.web.environment[0]", "DB_PASSWORD=${DB_PASSWORD:?set it}"),
    s("services.web.environment.POSTGRES_PASSWORD_FILE", "/run/secrets/pg"),
    s("services.web.image", "postgres:16"),
    s("services.web.command", "app --password-file /run/secrets/pw"),
    s("services.web.labels.traefik.http.routers.web.rule", "Host(`example.com`)"),
    s("GPG_KEY", "B42F6819007F00F88E364FD4036A9C25BF357DD4", 1, ".env"),
    s("services.web.environment.MYSQL_RANDOM_ROOT_PASSWORD", "yes"),
])
def test_not_secrets(source: SourceString) -> None:
    verdict = run("compose.no-hardcoded-secrets", make_project(Path("/srv"), strings=(source,)))
    assert verdict.outcome == "passed"


def test_command_lists_are_read_as_one_command_line() -> None:
    items = tuple(s(f"services.web.command[{i}]", v, 7 + i)
                  for i, v in enumerate(["app", "--password", "s3cr3tpass"]))
    verdict = run("compose.no-hardcoded-secrets", make_project(Path("/srv"), strings=items))
    (finding,) = verdict.findings
    assert finding.extra["detector"] == "credential-flag"
    assert finding.location == Location("compose.yaml", 7)
    assert "s3cr3tpass" not in finding.message


# --- targets ----------------------------------------------------------------------------

def test_project_targets_names_and_models() -> None:
    web = svc("web", {"image": "nginx:1.27", "user": "1000"})
    db = svc("db", {"image": "postgres:16"})
    project = make_project(Path("/srv/demo"), services=(web, db))
    targets = project_targets(project, "deploy/compose.yaml", image_lookup=None)
    assert [(t.model_type, t.name, t.label, t.source) for t in targets] == [
        ("compose.service", "compose:deploy/compose.yaml#web", "deploy/compose.yaml#web",
         "deploy/compose.yaml"),
        ("compose.service", "compose:deploy/compose.yaml#db", "deploy/compose.yaml#db",
         "deploy/compose.yaml"),
        ("compose.project", "compose:deploy/compose.yaml", "deploy/compose.yaml",
         "deploy/compose.yaml"),
    ]
    assert targets[0].model.user == "1000" and targets[0].location == web.location
    assert targets[2].model is project and targets[0].kind == "compose"


def test_no_compose_option_no_targets() -> None:
    from pytest_ctrsec.targets.compose import load_targets

    class Opts:
        compose: tuple[str, ...] = ()

    assert load_targets(Opts()) == []


def test_projects_and_services_are_assertion_subjects(tmp_path: Path) -> None:
    from pytest_ctrsec.assertions import assert_fails, run_check
    from pytest_ctrsec.errors import ConfigError

    web = svc("web", {"image": "nginx:1.27", "privileged": True, "user": "1000",
                      "healthcheck": {"test": ["CMD", "true"]}})
    db = svc("db", {"image": "postgres:16", "user": "999",
                    "healthcheck": {"test": ["CMD", "true"]}})
    project = make_project(tmp_path, services=(web, db))
    assert project.service("web") is web
    with pytest.raises(ConfigError, match=r"no active service 'api' \(active: web, db\)"):
        project.service("api")
    (target,) = project.service("web").ctrsec_targets()
    assert target.name == "compose:compose.yaml#web" and target.model.privileged
    assert [t.name for t in project.ctrsec_targets()] == [
        "compose:compose.yaml#web", "compose:compose.yaml#db", "compose:compose.yaml"]
    assert_fails("compose.no-privileged", project.service("web"))
    results = run_check("compose.no-privileged", project)
    assert [r.outcome for r in results] == ["failed", "passed"]
