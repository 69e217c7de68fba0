"""A team's own rules for its catalogue image, next to the bundled image and Dockerfile checks.

Build the image (FROM scratch with the host's static busybox, so no registry is needed), then
run the bundled checks, the team's waivers and these tests against it:

    example_suites/image/build.sh
    pytest example_suites/image --ctrsec-image=example/app:1.0 \
        --ctrsec-dockerfile=example_suites/image/Dockerfile \
        --ctrsec-waivers=example_suites/image/ctrsec-waivers.yaml

Every bundled check passes but two: image.minimal-tooling finds the health check's wget and
is waived (an xfail with the waiver's reason), and image.no-known-vulnerabilities skips until
vulnerability data is given (--ctrsec-vulndb). The exit code is 0. Add
--ctrsec-structure-test=example_suites/image/structure.yaml to run the team's existing
container-structure-test file as tests too.

Nothing here starts a container; test_health_endpoint_answers does, and only runs with
--ctrsec-allow-run. The image can also come from a file: `docker save example/app:1.0 -o
app.tar`, then --ctrsec-image=docker-archive:app.tar.
"""

import pytest

APPLETS = {"sh", "httpd", "wget"}  # what the service runs: CGI, the server, the health check


def test_runs_as_the_app_user(ctrsec_image):
    assert ctrsec_image.user == "10001:10001"
    accounts = ctrsec_image.file("/etc/passwd").text.splitlines()
    assert "app:x:10001:10001:catalogue:/nonexistent:/sbin/nologin" in accounts


def test_content_is_read_only_for_the_app_user(ctrsec_image):
    served = ctrsec_image.files("/srv/app/**")
    assert served, "no application files under /srv/app"
    for f in served:
        assert f.uid == 0, f"{f.path} belongs to uid {f.uid}"
        assert not f.mode & 0o022, f"{f.path} is writable by group or others ({f.mode_string})"


def test_cgi_scripts_are_executable(ctrsec_image):
    # httpd answers 500 for a CGI script it cannot execute: the health check would fail.
    scripts = ctrsec_image.files("/srv/app/www/cgi-bin/*")
    assert [f.path for f in scripts] == ["/srv/app/www/cgi-bin/healthz"]
    for f in scripts:
        assert f.mode & 0o005 == 0o005, f"{f.path} is {f.mode_string}"


def test_only_what_the_service_runs(ctrsec_image):
    # The build stage has every busybox applet and the sources; the final stage must not.
    assert not ctrsec_image.files("/src/**"), "the build stage's sources leaked into the image"
    tools = {f.path.rsplit("/", 1)[1] for f in ctrsec_image.files("/bin/*") if f.is_symlink}
    assert tools == APPLETS, f"applets beyond {sorted(APPLETS)}: {sorted(tools - APPLETS)}"
    assert [f.path for f in ctrsec_image.files("/*")] == ["/bin", "/etc", "/srv"]


def test_starts_the_service_with_a_health_check(ctrsec_image):
    config = ctrsec_image.config
    assert config.entrypoint == ("httpd", "-f", "-p", "8080", "-h", "/srv/app/www")
    assert config.healthcheck is not None
    assert "http://127.0.0.1:8080/cgi-bin/healthz" in config.healthcheck
    assert config.exposed_ports == ("8080/tcp",)


def test_health_endpoint_answers(ctrsec_image):
    if not ctrsec_image.allow_run:
        pytest.skip("needs --ctrsec-allow-run")
    # As the image's user, without a network: the server on loopback, asked by the
    # health check's own client.
    result = ctrsec_image.run("httpd -p 8080 -h /srv/app/www && "
                              "wget -q -O - http://127.0.0.1:8080/cgi-bin/healthz")
    assert (result.exit_code, result.stdout.strip()) == (0, "ok"), result.stderr
