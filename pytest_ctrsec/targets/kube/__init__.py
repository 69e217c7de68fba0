"""Kubernetes targets: manifests (files, directories, standard input) and live clusters.

``load_targets(opts)`` is the plugin's entry point; :func:`load_corpora` gives the corpora
themselves (for the ``ctrsec_k8s`` fixture). Both read each input once per process: a corpus
is cached under the options that shape it, so standard input is read only once.

Options read (with ``getattr`` and a default): ``k8s`` (inputs), ``kube_context`` and
``kubeconfig`` (live), ``namespace`` (only objects of these namespaces are judged; a live
cluster is listed in them only), ``profile`` and ``pss_version`` (Pod Security level and
version), ``k8s_pod_template`` (custom kinds), ``no_annotation_waivers``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from .. import Target
from .corpus import KubeCorpus, build_corpus
from .manifests import STDIN_NAME, read_inputs
from .model import Container, KubeNamespace, KubeObject, PodTemplate, Unavailable
from .targets import corpus_targets
from .waivers import waiver_annotations

__all__ = [
    "Container", "KubeCorpus", "KubeNamespace", "KubeObject", "PodTemplate", "Unavailable",
    "load_corpora", "load_manifests", "load_targets", "waiver_annotations", "wants_live",
]

_CACHE: dict[tuple[Any, ...], list[KubeCorpus]] = {}


def load_targets(opts: Any) -> list[Target]:
    """Every Kubernetes target the options ask for."""
    waivers = not getattr(opts, "no_annotation_waivers", False)
    return [t for corpus in load_corpora(opts) for t in corpus_targets(corpus, waivers=waivers)]


def load_corpora(opts: Any, stdin: BinaryIO | None = None) -> list[KubeCorpus]:
    """The manifest corpus and the live-cluster corpus the options ask for (cached)."""
    key = _cache_key(opts)
    if key not in _CACHE:
        with _collector_paused():
            corpora = []
            inputs = tuple(getattr(opts, "k8s", ()) or ())
            if inputs:
                corpora.append(load_manifests(inputs, opts, stdin))
            if wants_live(opts):
                from .live import load_cluster  # the kubernetes client is imported only here

                corpora.append(load_cluster(opts))
        _CACHE[key] = corpora
    return _CACHE[key]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading builds hundreds of thousands of dicts and lists that all stay alive; the
    cyclic garbage collector would walk the growing heap again and again (a quarter of the
    load time). Pause it, then move what was loaded out of its sight for the rest of the run
    (``gc.freeze``): read-only data, collected only when the process ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()


def load_manifests(inputs: tuple[str, ...], opts: Any = None,
                   stdin: BinaryIO | None = None) -> KubeCorpus:
    """One corpus of every object of the given files, directories and ``-``."""
    label = ",".join(STDIN_NAME if i == "-" else i for i in inputs)
    return build_corpus(read_inputs(inputs, stdin), opts, label)


def wants_live(opts: Any) -> bool:
    """A live cluster is read when a kube context or a kubeconfig is given."""
    return bool(getattr(opts, "kube_context", None) or getattr(opts, "kubeconfig", None))


def clear_cache() -> None:
    _CACHE.clear()


def _cache_key(opts: Any) -> tuple[Any, ...]:
    names = ("k8s", "kube_context", "kubeconfig", "namespace", "profile", "pss_version",
             "k8s_pod_template")
    return tuple(_hashable(getattr(opts, n, None)) for n in names)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
