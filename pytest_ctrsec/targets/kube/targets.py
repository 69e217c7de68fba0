"""Targets of a corpus: one per object (``k8s.object``), one per namespace
(``k8s.namespace``), and one per kind a live cluster would not list (every check of that kind
then skips with the reason).

An object whose controller is in the input too (the ReplicaSets and Pods of a Deployment in a
``kubectl get -o yaml`` dump) is judged through that controller, as on a live cluster, not a
second time."""

from __future__ import annotations

from .. import Target
from .corpus import KubeCorpus
from .model import KubeNamespace, KubeObject, Unavailable
from .waivers import waiver_annotations


def corpus_targets(corpus: KubeCorpus, *, waivers: bool = True) -> list[Target]:
    """Every target of the corpus, objects first, in the order they were read."""
    targets = [object_target(obj, corpus, waivers) for obj in corpus.objects
               if corpus.judged(obj.namespace) and corpus.controller(obj) is None]
    targets += [unavailable_target(item, corpus) for item in corpus.unavailable]
    targets += [namespace_target(ns, corpus, waivers) for ns in corpus.namespaces()
                if corpus.judged(ns.name)]
    return targets


def object_target(obj: KubeObject, corpus: KubeCorpus, waivers: bool = True) -> Target:
    where = obj.origin.file or corpus.label
    return Target("k8s.object", f"k8s:{where}#{obj.ref}", obj.ref, obj.source, obj.location,
                  obj, waiver_annotations(obj) if waivers else {})


def namespace_target(ns: KubeNamespace, corpus: KubeCorpus, waivers: bool = True) -> Target:
    return Target("k8s.namespace", f"k8s:{corpus.label}#{ns.display}", ns.display,
                  corpus.label, ns.location, ns, waiver_annotations(ns) if waivers else {})


def unavailable_target(item: Unavailable, corpus: KubeCorpus) -> Target:
    return Target("k8s.object", f"k8s:{corpus.label}#{item.ref}", item.ref, item.source, None,
                  item)
