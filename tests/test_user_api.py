"""The user-test API across kinds: every fixture's value is an ``assert_check`` subject,
lookups by name fail with one line naming what there is, and values pytest prints in a failed
assertion read well. (Image and container subjects are covered in test_image_api.py and the
container tests, which need an engine.)"""

from __future__ import annotations

import doctest
from pathlib import Path
from types import ModuleType

import pytest

import pytest_ctrsec.assertions
import pytest_ctrsec.catalog
import pytest_ctrsec.errors
import pytest_ctrsec.image_api
import pytest_ctrsec.inventory.model
import pytest_ctrsec.targets.dockerfile.parser
from pytest_ctrsec.assertions import assert_check, assert_fails, run_check
from pytest_ctrsec.errors import ConfigError, NotFound
from pytest_ctrsec.inventory.model import Package
from pytest_ctrsec.targets.compose.loader import load_project
from pytest_ctrsec.targets.daemon import Daemon
from pytest_ctrsec.targets.dockerfile import load_dockerfile
from pytest_ctrsec.targets.kube import load_manifests
from pytest_ctrsec.versions import InvalidVersion

SHOP = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1.4}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: debug, namespace: shop}
spec:
  selector: {matchLabels: {app: debug}}
  template:
    metadata: {labels: {app: debug}}
    spec:
      containers: [{name: sh, image: busybox:1.36, securityContext: {privileged: true}}]
"""


@pytest.mark.parametrize("module", [
    pytest_ctrsec.assertions, pytest_ctrsec.catalog, pytest_ctrsec.errors,
    pytest_ctrsec.image_api, pytest_ctrsec.inventory.model,
    pytest_ctrsec.targets.dockerfile.parser,
], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_k8s_corpus_object_and_namespace_are_subjects(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SHOP)
    corpus = load_manifests((str(tmp_path),))
    web = corpus.object("Deployment", "web", "shop")
    debug = corpus.object("Deployment", "debug", "shop")
    assert_check("k8s.pss-privileged", web)
    (failed,) = assert_fails("k8s.pss-privileged", debug)
    assert failed.target.name.endswith("#shop/Deployment/debug") and failed.findings[0].location
    outcomes = {r.target.label: r.outcome for r in run_check("k8s.pss-privileged", corpus)}
    assert outcomes == {"Namespace/shop": "skipped", "shop/Deployment/web": "passed",
                        "shop/Deployment/debug": "failed"}
    (shop,) = [n for n in corpus.namespaces() if n.name == "shop"]
    (ns_result,) = run_check("k8s.network-policy-default-deny", shop)
    assert ns_result.outcome == "failed"


SELECTORS = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: no-selector, namespace: shop}
spec: {minAvailable: 1}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: everything, namespace: shop}
spec: {minAvailable: 1, selector: {}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: elsewhere, namespace: ops}
spec: {minAvailable: 1, selector: {}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
"""


def test_k8s_selecting_finds_what_selects_a_workload(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SHOP + "---\n" + SELECTORS)
    corpus = load_manifests((str(tmp_path),))
    web = corpus.object("Deployment", "web", "shop")
    debug = corpus.object("Deployment", "debug", "shop")
    names = {kind: [o.name for o in corpus.selecting(kind, web)]
             for kind in ("PodDisruptionBudget", "Service", "NetworkPolicy")}
    assert names == {"PodDisruptionBudget": ["web", "everything"], "Service": ["web"],
                     "NetworkPolicy": ["deny"]}
    assert [o.name for o in corpus.selecting("PodDisruptionBudget", debug)] == ["everything"]
    assert corpus.selecting("Service", debug) == []
    assert corpus.selecting("Service", corpus.object("Namespace", "shop")) == []


def test_k8s_object_lookup_names_what_there_is(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SHOP)
    corpus = load_manifests((str(tmp_path),))
    assert corpus.get("Deployment", "web") is None  # unchanged: None without a namespace
    with pytest.raises(NotFound, match=r"no Deployment 'web' \(Deployments: "
                                       r"shop/Deployment/web, shop/Deployment/debug\)"):
        corpus.object("Deployment", "web")
    with pytest.raises(LookupError, match="in namespace 'ops'"):
        corpus.object("Deployment", "web", "ops")


def test_dockerfile_is_a_subject_and_stages_are_found_by_name(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20 AS Build\nRUN make\nFROM scratch\nCOPY --from=build /o /\n")
    model = load_dockerfile(path)
    (result,) = assert_fails("dockerfile.user-not-root", model)
    assert result.target.name == f"dockerfile:{path}"
    assert model.stage("build").base == "alpine:3.20" and model.stage("1").base == "scratch"
    with pytest.raises(NotFound, match=r"Dockerfile: no stage 'test' \(stages: Build, 1\)"):
        model.stage("test")


def test_dockerfile_last_follows_the_stages_a_stage_builds_on(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20 AS base\nUSER app\nHEALTHCHECK CMD true\n"
                    "FROM base AS run\nUSER root\nRUN id\nUSER 10001\n"
                    "FROM scratch AS bare\nCOPY --from=run /x /x\n")
    model = load_dockerfile(path)
    assert model.last("USER") is None  # FROM scratch: nothing inherited from other stages
    user = model.last("user", "run")
    assert user is not None and (user.args, user.line) == ("10001", 7)
    healthcheck = model.last("HEALTHCHECK", model.stage("run"))
    assert healthcheck is not None and healthcheck.line == 3  # from base
    with pytest.raises(NotFound, match="no stage 'nope'"):
        model.last("USER", "nope")


def test_compose_missing_service_is_a_lookup_and_config_error(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: web:1\n"
                                           "  job:\n    build: .\n")
    project = load_project((str(tmp_path / "compose.yaml"),))
    assert project.service("web").image == "web:1" and project.service("job").image is None
    assert repr(project) == f"<ComposeProject {project.name} ({tmp_path}/compose.yaml): " \
                            "services web, job>"
    assert repr(project.service("job")) == f"<ComposeService job at {tmp_path}/compose.yaml:4>"
    for kind in (NotFound, ConfigError, LookupError):
        with pytest.raises(kind, match=r"no active service 'api' \(active: web, job\)"):
            project.service("api")


def test_wrong_subject_kind_and_unknown_id_say_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: web:1\n")
    project = load_project((str(tmp_path / "compose.yaml"),))
    with pytest.raises(ValueError, match=r"judges image targets; the subject "
                                         r"\(compose:.*#web, .*\) has compose.service"):
        run_check("image.user-not-root", project)
    with pytest.raises(ConfigError, match="did you mean compose.no-privileged[?]"):
        run_check("compose.no-privilege", project)
    with pytest.raises(TypeError, match="cannot check a dict: pass what a ctrsec fixture"):
        run_check("compose.no-privileged", {"services": {}})


def test_assert_fails_says_what_happened_instead(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: web:1\n"
                                           "    read_only: true\n")
    web = load_project((str(tmp_path / "compose.yaml"),)).service("web")
    with pytest.raises(AssertionError, match=r"read-only-rootfs was expected to fail on the "
                                             r"subject but did not: compose:.*#web: passed"):
        assert_fails("compose.read-only-rootfs", web)


@pytest.mark.parametrize(("kind", "version", "other", "expected"), [
    ("deb", "3.0.11-1~deb12u2", "3.0.9-1", True),   # a string comparison says False
    ("deb", "3.0.11-1~deb12u2", "3.0.11-1", False),  # ~ sorts before the release
    ("deb", "1:1.0-1", "2.0-1", True),               # the epoch wins
    ("apk", "1.2.4-r2", "1.2.4-r10", False),
    ("rpm", "1.1.1k-7.el8", "1.1.1k-12.el8", False),
    ("pypi", "2.10.0", "2.9.1", True),
    ("npm", "4.17.21", "4.17.3", True),
])
def test_package_version_comparison(kind: str, version: str, other: str,
                                    expected: bool) -> None:
    assert Package(kind, "p", version).at_least(other) is expected


def test_package_version_comparison_refuses_what_it_cannot_order() -> None:
    with pytest.raises(InvalidVersion, match="no version ordering known for golang"):
        Package("golang", "x", "1.0").at_least("1.1")


def test_daemon_repr_leaves_out_the_engine_documents() -> None:
    daemon = Daemon("unix:///var/run/docker.sock", {"ID": "X" * 500, "HttpProxy": "p"},
                    {"Version": "26.1"}, config={"live-restore": False})
    text = repr(daemon)
    assert "XXXX" not in text and "HttpProxy" not in text and "live-restore" not in text
    assert "unix:///var/run/docker.sock" in text and len(text) < 400


def test_a_failed_mode_assertion_prints_octal(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        from pytest_ctrsec.image_api import FileMode
        def test_mode():
            assert FileMode(0o600) == 0o644
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "--ctrsec-no-bundled")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 0o600 == 420*"])


def test_plural_fixtures_are_lists_however_many_targets(pytester: pytest.Pytester) -> None:
    pytester.makefile("", **{"a/Dockerfile": "FROM scratch\nUSER app\n",
                             "b/Dockerfile": "FROM scratch\n"})
    pytester.makepyfile("""
        def test_shapes(ctrsec_dockerfiles, ctrsec_dockerfile, request):
            paths = [df.path for df in ctrsec_dockerfiles]
            assert paths == request.config.getoption("ctrsec_dockerfile")
            if len(paths) == 1:
                assert ctrsec_dockerfile is ctrsec_dockerfiles[0]
            else:
                assert ctrsec_dockerfile == ctrsec_dockerfiles

        def test_images_skip_without_option(ctrsec_images):
            raise AssertionError("not reached")
    """)
    for given in (["a/Dockerfile"], ["a/Dockerfile", "b/Dockerfile"]):
        args = [f"--ctrsec-dockerfile={g}" for g in given]
        result = pytester.runpytest("-p", "no:cacheprovider", "--ctrsec-no-bundled", "-rs", *args)
        result.assert_outcomes(passed=1, skipped=1)
        result.stdout.fnmatch_lines(["*no image target: pass --ctrsec-image=...*"])


def test_container_repr_is_short() -> None:
    from pytest_ctrsec.targets.container import Container

    container = Container("94deb4b15bcf" + "0" * 52, "web", "running", None,  # type: ignore[arg-type]
                          {"Config": {"Env": ["DB_PASSWORD=hunter2"]}})
    assert repr(container) == "<Container web 94deb4b15bcf running>"


def test_grant_repr_says_what_and_through_which_binding(tmp_path: Path) -> None:
    (tmp_path / "rbac.yaml").write_text("""\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: shop}
rules: [{apiGroups: [apps, ""], resources: [deployments], verbs: [patch, get]}]
""")
    corpus = load_manifests((str(tmp_path),))
    assert repr(corpus.effective_rbac("ServiceAccount", "ci", "ci")) == (
        '[<Grant verbs=get,patch resources=deployments groups="",apps '
        "via shop/RoleBinding/ci-deployer -> deployer, in shop>]")


def test_a_failed_env_assertion_does_not_print_the_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        from pytest_ctrsec.image_api import Environment
        def test_env():
            env = Environment({"PATH": "/usr/bin", "DB_PASSWORD": "hunter" + "2" * 8})
            assert "DB_PASSWORD" not in env
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "--ctrsec-no-bundled")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*'DB_PASSWORD': 'hu**********?*'*"])
    assert "hunter22" not in result.stdout.str()


def test_k8s_container_repr_leaves_out_its_env(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n"
        "  containers: [{name: app, image: a:1, env: [{name: DB_PASSWORD, value: hunter22}]}]\n")
    ((_, container),) = load_manifests((str(tmp_path),)).containers()
    assert "hunter22" not in repr(container) and "name='app'" in repr(container)
