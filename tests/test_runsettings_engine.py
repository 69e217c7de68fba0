"""Compose services that inherit USER and HEALTHCHECK from images in the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from images import build_image
from pytest_ctrsec.catalog import Verdict, registry
from pytest_ctrsec.findings import Location
from pytest_ctrsec.runsettings.compose import to_run_settings
from pytest_ctrsec.runsettings.imagefacts import lookup_image_facts, lookup_passwd
from pytest_ctrsec.targets.compose.model import ComposeProject, ComposeService

ROOT_IMAGE = "ctrsec-test/runsettings-root:1"
USER_IMAGE = "ctrsec-test/runsettings-user1000:1"
NAMED_IMAGE = "ctrsec-test/runsettings-named:1"
ABSENT_IMAGE = "ctrsec-test/runsettings-absent:never-built"
PASSWD = b"root:x:0:0:root:/root:/bin/sh\nadmin:x:0:0:renamed root:/root:/bin/sh\n" \
         b"app:x:1000:1000:app:/home/app:/bin/sh\n"


@pytest.fixture(scope="module")
def images(docker_client: Any) -> Iterator[None]:
    build_image(docker_client, ROOT_IMAGE)
    build_image(docker_client, USER_IMAGE, [
        "USER 1000", 'HEALTHCHECK --interval=30s CMD ["/bin/true"]'])
    build_image(docker_client, NAMED_IMAGE, ["USER admin"], files={"etc/passwd": PASSWD})
    lookup_image_facts.cache_clear()
    lookup_passwd.cache_clear()
    yield
    import docker.errors

    for tag in (ROOT_IMAGE, USER_IMAGE, NAMED_IMAGE):
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.ImageNotFound:
            pass  # already gone (another run on the same engine removed it)
    lookup_image_facts.cache_clear()
    lookup_passwd.cache_clear()


def evaluate(slug: str, image: str, **settings: str) -> Verdict:
    config = {"image": image, **settings}
    service = ComposeService("app", config, config, Location("compose.yaml", 2))
    project = ComposeProject("demo", ("compose.yaml",), Path("/srv"), (service,))
    settings = to_run_settings(service, project)  # the default lookup: the real engine
    return registry()[f"compose.{slug}"].evaluate(settings)


@pytest.mark.usefixtures("images")
def test_image_without_user_runs_as_root() -> None:
    verdict = evaluate("user-not-root", ROOT_IMAGE)
    assert verdict.outcome == "failed"
    assert ROOT_IMAGE in verdict.findings[0].message


@pytest.mark.usefixtures("images")
def test_image_with_user_1000_passes() -> None:
    assert evaluate("user-not-root", USER_IMAGE).outcome == "passed"


@pytest.mark.usefixtures("images")
def test_inherited_healthcheck() -> None:
    assert evaluate("healthcheck-defined", USER_IMAGE).outcome == "passed"
    assert evaluate("healthcheck-defined", ROOT_IMAGE).outcome == "failed"


@pytest.mark.usefixtures("images")
def test_image_absent_from_the_engine_is_a_skip_with_reason() -> None:
    verdict = evaluate("user-not-root", ABSENT_IMAGE)
    assert verdict.outcome == "skipped"
    assert ABSENT_IMAGE in verdict.reason and "not in the local engine" in verdict.reason
    assert evaluate("healthcheck-defined", ABSENT_IMAGE).outcome == "skipped"


@pytest.mark.usefixtures("images")
def test_user_names_are_resolved_in_the_image_passwd() -> None:
    # USER admin is uid 0 in the image's /etc/passwd: root under another name.
    inherited = evaluate("user-not-root", NAMED_IMAGE)
    assert inherited.outcome == "failed"
    assert evaluate("user-not-root", NAMED_IMAGE, user="admin").outcome == "failed"
    assert evaluate("user-not-root", NAMED_IMAGE, user="app").outcome == "passed"
