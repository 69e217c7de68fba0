"""A team's own policy for the shop stack, written with pytest-ctrsec's fixtures.

Run it with the bundled checks:

    pytest example_suites/compose --ctrsec-compose=example_suites/compose/compose.yaml

What to expect (exit code 1): web passes every bundled check; worker and db still need work and
fail several on purpose (worker: the Docker socket, SYS_ADMIN, a literal API token, no memory
limit; db: a port on every interface; both: capabilities, read-only root, digest pins, log
rotation, CPU and PIDs limits), and compose.no-hardcoded-secrets finds the token and the
password in .env. The checks that need an image's USER or HEALTHCHECK skip for worker and db:
their images are not in the local engine. Of the tests below, two pass and two fail on purpose
(db publishes a port; worker mounts the Docker socket). With --ctrsec-compose-profile=debug the
admin service joins and test_debug_tools_stay_behind_a_profile fails too.
"""

from pytest_ctrsec.assertions import assert_check


def test_public_services_are_hardened(ctrsec_compose):
    # The web front end faces the internet: hold it to the strictest rules.
    web = ctrsec_compose.service("web")
    for check in ("compose.user-not-root", "compose.read-only-rootfs",
                  "compose.capabilities-dropped", "compose.no-new-privileges"):
        assert_check(check, web)


def test_only_web_publishes_ports(ctrsec_compose):
    publishing = {s.name for s in ctrsec_compose.services if s.config.get("ports")}
    assert publishing <= {"web"}, f"unexpected published ports on {publishing - {'web'}}"


def test_no_service_mounts_the_docker_socket(ctrsec_compose):
    assert_check("compose.no-runtime-socket-mount", ctrsec_compose)


def test_debug_tools_stay_behind_a_profile(ctrsec_compose):
    # admin is privileged by design, so it must never start without --profile debug.
    assert "admin" not in {s.name for s in ctrsec_compose.services}
