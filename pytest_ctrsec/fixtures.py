"""Public fixtures: thin wrappers over the target loaders.

Each target fixture is session-scoped, loads what its option names once, and skips (with the
option to pass) when the option was not given, so a policy test file can live in a repository
whose CI does not always pass every target.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from .errors import CtrsecError
from .options import RunOptions, flag

if TYPE_CHECKING:
    from .image_api import ImageHandle
    from .targets.compose.model import ComposeProject
    from .targets.container import Container
    from .targets.daemon import Daemon
    from .targets.dockerfile import Dockerfile
    from .targets.kube import KubeCorpus


@pytest.fixture(scope="session")
def ctrsec_options(pytestconfig: pytest.Config) -> RunOptions:
    """The resolved ``--ctrsec-*`` options of this run."""
    from .plugin import OPTIONS_KEY

    return pytestconfig.stash[OPTIONS_KEY]


def _required(opts: RunOptions, name: str) -> None:
    if not getattr(opts, name):
        pytest.skip(f"no {name} target: pass {flag(name)}=...")


Paths = str | os.PathLike[str] | Sequence[str]  # one path or several


def _paths(given: Paths) -> tuple[str, ...]:
    """One path or several: a lone string is one file, not a sequence of letters."""
    if isinstance(given, (str, os.PathLike)):
        return (os.fspath(given),)
    return tuple(os.fspath(p) for p in given)


def _load(what: str, load: Callable[[], Any]) -> Any:
    """Load a target for a fixture; bad input fails the test with its one-line message."""
    try:
        return load()
    except CtrsecError as err:
        pytest.fail(f"{what}: {err}", pytrace=False)


@pytest.fixture(scope="session")
def ctrsec_load_compose() -> Callable[..., ComposeProject]:
    """Factory: ``ctrsec_load_compose(["compose.yaml"], profiles=["debug"])`` returns a
    :class:`~pytest_ctrsec.targets.compose.model.ComposeProject`."""
    from .targets.compose.loader import load_project

    def load(files: Paths, **kwargs: Any) -> ComposeProject:
        return load_project(_paths(files), **kwargs)

    return load


@pytest.fixture(scope="session")
def ctrsec_compose(ctrsec_options: RunOptions,
                   ctrsec_load_compose: Callable[..., ComposeProject]) -> ComposeProject:
    """The Compose project of ``--ctrsec-compose`` (files merged in order, profiles and env
    files applied)."""
    _required(ctrsec_options, "compose")
    opts = ctrsec_options
    return _load("--ctrsec-compose", lambda: ctrsec_load_compose(
        list(opts.compose), profiles=opts.compose_profile, env_files=opts.compose_env_file))


@pytest.fixture(scope="session")
def ctrsec_load_container() -> Callable[..., Container]:
    """Factory: ``ctrsec_load_container("web", url=None)`` returns a
    :class:`~pytest_ctrsec.targets.container.Container` (inspect data, processes, files and
    ``.host``, a testinfra Host when the container has a shell)."""
    from .targets.container import load_container

    return load_container


@pytest.fixture(scope="session")
def ctrsec_containers(ctrsec_options: RunOptions) -> list[Container]:
    """Every container of ``--ctrsec-container`` as a list, however many there are (one
    name, ``running``, ``label:K=V``), so a suite can loop over them::

        def test_web_publishes_only_443(ctrsec_containers):
            for c in ctrsec_containers:
                if c.labels.get("tier") == "web":
                    assert {p.container_port for p in c.settings.ports} <= {443}
    """
    _required(ctrsec_options, "container")
    from .targets.container import load_containers

    return list(_load("--ctrsec-container",
                      lambda: load_containers(list(ctrsec_options.container))))


@pytest.fixture(scope="session")
def ctrsec_container(ctrsec_containers: list[Container]) -> Container | list[Container]:
    """The container of ``--ctrsec-container`` when there is one, else the list of them
    (:func:`ctrsec_containers` is always a list)."""
    return _one_or_list(ctrsec_containers)


def _one_or_list(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else items


@pytest.fixture(scope="session")
def ctrsec_daemon(ctrsec_options: RunOptions) -> Daemon:
    """The Docker daemon of ``--ctrsec-daemon`` (info, version, daemon.json, command line,
    socket and file modes)."""
    _required(ctrsec_options, "daemon")
    from .targets.daemon import load_daemon

    opts = ctrsec_options
    url = None if opts.daemon == "local" else opts.daemon
    return _load("--ctrsec-daemon", lambda: load_daemon(url, opts.daemon_json))


def _targets(kind: str) -> list[Any]:
    """The loaded targets of a model type in this process (the bundled checks' own)."""
    from .session import current

    state = current()
    return list(state.targets.get(kind, [])) if state else []


@pytest.fixture(scope="session")
def ctrsec_images(ctrsec_options: RunOptions) -> list[ImageHandle]:
    """Every image of ``--ctrsec-image`` as a list of
    :class:`~pytest_ctrsec.image_api.ImageHandle`, however many were given. The bundled
    checks' analysis is reused, so each image is read once::

        def test_no_pip_cache(ctrsec_images):
            for image in ctrsec_images:
                assert not image.files("/root/.cache/**"), image.ref
    """
    _required(ctrsec_options, "image")
    from .image_api import ImageHandle
    from .targets.image import load_targets

    targets = _targets("image") or _load("--ctrsec-image", lambda: load_targets(ctrsec_options))
    return [ImageHandle(t.model, allow_run=ctrsec_options.allow_run) for t in targets]


@pytest.fixture(scope="session")
def ctrsec_image(ctrsec_images: list[ImageHandle]) -> ImageHandle | list[ImageHandle]:
    """The image of ``--ctrsec-image`` as an :class:`~pytest_ctrsec.image_api.ImageHandle`
    (``file()``, ``files()``, ``config``, ``history``, ``user``; ``run()`` only with
    ``--ctrsec-allow-run``), or a list of them when several were given
    (:func:`ctrsec_images` is always a list)."""
    return _one_or_list(ctrsec_images)


@pytest.fixture(scope="session")
def ctrsec_load_image(ctrsec_options: RunOptions) -> Callable[[str], ImageHandle]:
    """Factory: ``ctrsec_load_image("app:1")`` (or ``docker-archive:PATH``, ``oci:PATH``)
    returns an :class:`~pytest_ctrsec.image_api.ImageHandle`."""
    from .image_api import ImageHandle
    from .targets.image import open_image, settings_from

    def load(ref: str) -> ImageHandle:
        return ImageHandle(open_image(ref, settings_from(ctrsec_options)),
                           allow_run=ctrsec_options.allow_run)

    return load


@pytest.fixture(scope="session")
def ctrsec_dockerfiles(ctrsec_options: RunOptions) -> list[Dockerfile]:
    """Every Dockerfile of ``--ctrsec-dockerfile`` (folders searched) as a list of
    :class:`~pytest_ctrsec.targets.dockerfile.Dockerfile`, however many there are::

        def test_final_stage_user(ctrsec_dockerfiles):
            for df in ctrsec_dockerfiles:
                user = df.last("USER")
                assert user is not None and user.args == "app", df.path
    """
    _required(ctrsec_options, "dockerfile")
    from .targets.dockerfile import load_targets

    targets = _targets("dockerfile") or _load("--ctrsec-dockerfile",
                                              lambda: load_targets(ctrsec_options))
    return [t.model for t in targets]


@pytest.fixture(scope="session")
def ctrsec_dockerfile(ctrsec_dockerfiles: list[Dockerfile]) -> Dockerfile | list[Dockerfile]:
    """The parsed Dockerfile of ``--ctrsec-dockerfile`` (``stages``, ``final``,
    ``stage(name)``, ``last(keyword)``, instructions with lines), or a list when several
    were given (:func:`ctrsec_dockerfiles` is always a list)."""
    return _one_or_list(ctrsec_dockerfiles)


@pytest.fixture(scope="session")
def ctrsec_k8s(ctrsec_options: RunOptions) -> KubeCorpus | list[KubeCorpus]:
    """The Kubernetes objects of ``--ctrsec-k8s`` (or of the live cluster of
    ``--ctrsec-kube-context``/``--ctrsec-kubeconfig``) as a
    :class:`~pytest_ctrsec.targets.kube.corpus.KubeCorpus` (``workloads``, ``containers``,
    ``pod_specs``, ``effective_rbac``, ``policies_selecting``, ``namespaces``); a list when
    both manifests and a cluster are given. It is the corpus the bundled checks judged."""
    opts = ctrsec_options
    if not (opts.k8s or opts.kube_context or opts.kubeconfig):
        pytest.skip("no Kubernetes target: pass --ctrsec-k8s=PATH or --ctrsec-kube-context=NAME")
    from .targets.kube import load_corpora

    corpora = _load("--ctrsec-k8s", lambda: load_corpora(opts))
    return _one_or_list(corpora)


@pytest.fixture(scope="session")
def ctrsec_load_k8s(ctrsec_options: RunOptions) -> Callable[[Paths], KubeCorpus]:
    """Factory: ``ctrsec_load_k8s(["deploy/"])`` returns the corpus of those manifests."""
    from .targets.kube import load_manifests

    return lambda paths: load_manifests(_paths(paths), ctrsec_options)
