"""One run over every target kind (image, Dockerfile, container, daemon, Compose, Kubernetes)
with recognisable secrets planted in each: the secrets are found, and never appear in the
terminal, JUnit, JSON or SARIF; the SARIF validates and anchors every result; a parallel run
writes the same JSON and SARIF as a serial one."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from images import build_image
from shared import shared_path

SECRETS = {
    "image env": "Jq5vN8wLt2XkZr7PmC4b",
    "image file": "AKIAQ7XZ2M4N6P8R1T3V",
    "dockerfile": "Wc5nP8rLx3ZkT6vQm2Ya",
    "compose env": "Qm7tVx2LpR9wKz4NcY8s",
    "compose .env": "Hd3kT9vLq2XwZp7RmB4y",
    "k8s env": "Fb8xQ3mZt6LwK9pRv2Nc",
    "k8s configmap": "Tg7kLm2QxZ9wRp4Nv8Cy",
    "container env": "Lz6wR3nKq8VtX2pMb5Jd",
}
IMAGE = "ctrsec-test/reports-secrets:1"
CONTAINER = "ctrsec-test-reports-secrets"
EXPECTED_FAILURES = {"image.no-secrets-in-env", "image.no-secret-files",
                     "dockerfile.no-secrets-in-arg-env", "compose.no-secrets-in-env",
                     "compose.no-hardcoded-secrets", "k8s.no-secrets-in-env",
                     "k8s.secrets-not-in-configmaps", "container.no-secrets-in-env"}


@pytest.fixture(scope="module")
def engine_targets(docker_client: Any) -> Iterator[tuple[str, str]]:
    aws = f"[default]\naws_access_key_id = {SECRETS['image file']}\n" \
          "aws_secret_access_key = Xy2Kp8Lm4Nq6Rt9Vw3Zb5Cd7Fg1Hj0Mn2Pq4St6V\n"
    build_image(docker_client, IMAGE, [f"ENV SERVICE_TOKEN={SECRETS['image env']}", "USER 1000"],
                files={"home/app/.aws/credentials": aws.encode()})
    _remove_leftover(docker_client)  # from an interrupted earlier run
    container = docker_client.containers.create(
        IMAGE, ["sleep", "60"], name=CONTAINER,
        environment={"APP_SECRET_KEY": SECRETS["container env"]})
    try:
        yield IMAGE, CONTAINER
    finally:
        container.remove(force=True)


def _remove_leftover(client: Any) -> None:
    import docker.errors

    try:
        client.containers.get(CONTAINER).remove(force=True)
    except docker.errors.NotFound:
        pass


@pytest.fixture
def project(pytester: pytest.Pytester, engine_targets: tuple[str, str]) -> list[str]:
    p = pytester.path
    p.joinpath("compose.yaml").write_text(textwrap.dedent(f'''
        services:
          app:
            image: app:1.0
            environment:
              DB_PASSWORD: "{SECRETS['compose env']}"
    '''))
    p.joinpath(".env").write_text(f"API_TOKEN={SECRETS['compose .env']}\n")
    p.joinpath("Dockerfile").write_text(
        f"FROM scratch\nARG DB_PASSWORD={SECRETS['dockerfile']}\nUSER 1000\n")
    p.joinpath("k.yaml").write_text(textwrap.dedent(f'''
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web, namespace: shop}}
        spec:
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}}}
            spec:
              containers:
                - name: web
                  image: web:1.0
                  env:
                    - name: API_KEY
                      value: "{SECRETS['k8s env']}"
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: cfg, namespace: shop}}
        data:
          DATABASE_URL: "postgres://app:{SECRETS['k8s configmap']}@db:5432/app"
    '''))
    image, container = engine_targets
    return [f"--ctrsec-image={image}", f"--ctrsec-container={container}", "--ctrsec-daemon",
            "--ctrsec-compose=compose.yaml", "--ctrsec-dockerfile=Dockerfile",
            "--ctrsec-k8s=k.yaml"]


def _run(p: pytest.Pytester, args: list[str], name: str, *extra: str) -> pytest.RunResult:
    return p.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:benchmark", *args,
                                  f"--ctrsec-json={name}.json", f"--ctrsec-sarif={name}.sarif",
                                  f"--junitxml={name}.xml", "-rA", *extra)


def test_secrets_are_found_and_never_shown(pytester: pytest.Pytester, project: list[str]) -> None:
    result = _run(pytester, project, "serial")
    doc = json.loads(pytester.path.joinpath("serial.json").read_text())
    kinds = {r["target_kind"] for r in doc["results"]}
    assert kinds == {"image", "dockerfile", "container", "daemon", "compose", "k8s"}
    failed = {r["check"] for r in doc["results"] if r["outcome"] == "failed"}
    assert EXPECTED_FAILURES <= failed, EXPECTED_FAILURES - failed
    texts = {
        "terminal": result.stdout.str() + result.stderr.str(),
        **{name: pytester.path.joinpath(f"serial.{name}").read_text()
           for name in ("json", "sarif", "xml")},
    }
    leaks = [(where, what) for where, text in texts.items()
             for what, secret in SECRETS.items() if secret in text]
    assert leaks == []


def test_sarif_of_every_kind_validates_and_anchors(pytester: pytest.Pytester,
                                                   project: list[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    _run(pytester, project, "serial")
    doc = json.loads(pytester.path.joinpath("serial.sarif").read_text())
    schema = json.loads(shared_path("schemas", "sarif-schema-2.1.0.json").read_text())
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(doc))
    assert errors == []
    categories = {run["automationDetails"]["id"] for run in doc["runs"]}
    assert {"ctrsec/image/", "ctrsec/compose/", "ctrsec/k8s/", "ctrsec/dockerfile/",
            "ctrsec/container/"} <= categories
    results = [r for run in doc["runs"] for r in run["results"]]
    assert results
    for res in results:
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"]
        assert loc["region"]["startLine"] >= 1


def test_parallel_and_serial_reports_are_equal(pytester: pytest.Pytester,
                                               project: list[str]) -> None:
    pytest.importorskip("xdist")
    _run(pytester, project, "serial")
    _run(pytester, project, "parallel", "-n", "2")
    read = lambda n: json.loads(Path(pytester.path, n).read_text())  # noqa: E731
    # The report has no timing fields, so the documents must be equal as they are.
    assert read("parallel.json") == read("serial.json")
    assert read("parallel.sarif") == read("serial.sarif")


def test_models_never_show_secrets_in_their_repr(engine_targets: tuple[str, str],
                                                 tmp_path: Path) -> None:
    """pytest prints fixture values in failure reports: the models' reprs hold no secret."""
    from pytest_ctrsec.targets.compose.loader import load_project
    from pytest_ctrsec.targets.compose import project_targets
    from pytest_ctrsec.targets.dockerfile import load_dockerfile
    from pytest_ctrsec.targets.image import open_image

    tmp_path.joinpath("compose.yaml").write_text(
        f"services:\n  app:\n    image: a:1\n    environment:\n"
        f"      DB_PASSWORD: \"{SECRETS['compose env']}\"\n")
    tmp_path.joinpath(".env").write_text(f"API_TOKEN={SECRETS['compose .env']}\n")
    tmp_path.joinpath("Dockerfile").write_text(
        f"FROM scratch\nARG DB_PASSWORD={SECRETS['dockerfile']}\n")
    project = load_project([str(tmp_path / "compose.yaml")])
    image = open_image(engine_targets[0])
    shown = " ".join(repr(x) for x in (
        project, *project.services, *[t.model for t in project_targets(project, "c.yaml")],
        load_dockerfile(tmp_path / "Dockerfile"), image, image.config))
    assert not [k for k, v in SECRETS.items() if v in shown]
