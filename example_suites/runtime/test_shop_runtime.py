"""A team's own runtime policy for the shop's running containers, with pytest-ctrsec.

    example_suites/runtime/up.sh
    pytest example_suites/runtime --ctrsec-container=label:com.example.stack=shop
    example_suites/runtime/up.sh down

(up.sh publishes shop-web on 127.0.0.1:18080; set SHOP_PORT for both commands to use another
port.) The bundled checks run on both containers: shop-web passes them all but
container.image-digest-pinned (it runs a local build), shop-cache fails several on purpose
(root, the default bridge, no limits). The tests below are the team's own; they all pass. They
read the containers through the Engine API (inspect, the process list, files), which works on
images without a shell too, and use testinfra where the container has one.
"""

import os

import pytest

from pytest_ctrsec.assertions import assert_check


@pytest.fixture(scope="module")
def web(ctrsec_load_container):
    return ctrsec_load_container("shop-web")


def test_front_end_is_hardened(web):
    for check in ("container.user-not-root", "container.read-only-rootfs",
                  "container.capabilities-dropped", "container.no-new-privileges",
                  "container.memory-limited", "container.not-on-default-bridge",
                  "container.ports-bound-to-interface", "container.no-sshd"):
        assert_check(check, web)


def test_only_the_web_server_runs(web):
    assert web.running, f"shop-web is {web.status}"
    assert {p.name for p in web.processes} == {"httpd"}
    assert {p.uid for p in web.processes} == {1000}


def test_published_on_loopback_only(web):
    port = int(os.environ.get("SHOP_PORT", "18080"))
    assert [(p.host_ip, p.host_port) for p in web.settings.ports] == [("127.0.0.1", port)]


def test_serves_the_shipped_page(web):
    # From the image, through the archive API: no shell needed for this one.
    assert b"<title>shop</title>" in web.read_file("/www/index.html")
    # And from inside the container, through testinfra (the image has busybox's shell).
    page = web.host.check_output("wget -q -O - http://127.0.0.1:8080/")
    assert "everything must go" in page


def test_no_writable_document_root(web):
    # A read-only root filesystem: the running server cannot deface its own pages.
    assert web.host.run("touch /www/defaced.html").rc != 0
