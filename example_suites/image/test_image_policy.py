"""A team's own rules for its service image, next to the bundled image checks.

Build the image, then run the bundled checks and these tests against it:

    docker build -t example/app:1.0 example_suites/image
    pytest example_suites/image --ctrsec-image=example/app:1.0 \
        --ctrsec-dockerfile=example_suites/image/Dockerfile

The image can also come from a file: --ctrsec-image=docker-archive:app.tar or
--ctrsec-image=oci:./layout. Nothing here starts a container; test_python_starts does,
and only runs with --ctrsec-allow-run.
"""

import pytest


def test_runs_as_the_app_user(ctrsec_image):
    assert ctrsec_image.user == "10001:10001"
    passwd = ctrsec_image.file("/etc/passwd").text
    assert "app:x:10001:10001:" in passwd


def test_application_code_is_not_writable_by_the_app_user(ctrsec_image):
    for f in ctrsec_image.files("/srv/app/**"):
        assert f.uid == 0, f"{f.path} belongs to uid {f.uid}"
        assert not f.mode & 0o022, f"{f.path} is writable by group or others ({f.mode_string})"


def test_no_build_leftovers(ctrsec_image):
    assert not ctrsec_image.files("/src/**"), "the build stage's sources leaked into the image"
    assert not ctrsec_image.files("**/.git")
    assert not ctrsec_image.exists("/root/.cache/pip")


def test_starts_the_service_with_a_health_check(ctrsec_image):
    assert ctrsec_image.config.entrypoint == ("python", "-m", "app")
    assert ctrsec_image.config.healthcheck is not None
    assert "8080/tcp" in ctrsec_image.config.exposed_ports


def test_python_starts(ctrsec_image):
    if not ctrsec_image.allow_run:
        pytest.skip("needs --ctrsec-allow-run")
    result = ctrsec_image.run(["python", "-c", "import sys; print(sys.version_info[0])"])
    assert (result.exit_code, result.stdout.strip()) == (0, "3"), result.stderr
