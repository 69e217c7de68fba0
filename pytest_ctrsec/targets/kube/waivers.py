"""In-manifest waivers: ``ctrsec.io/waive.<check-id>: "<reason> [until=YYYY-MM-DD]"``
annotations on an object or on its pod template (a Namespace object's annotations waive the
namespace-wide checks of that namespace).

The check id may leave out its ``k8s.`` prefix (``ctrsec.io/waive.pss-privileged``). This
module only gathers the annotations into :attr:`Target.annotations`, with the full check id in
the key; the shared waiver mechanism (:func:`pytest_ctrsec.waivers.from_annotations`) reads
them like any waiver. ``--ctrsec-no-annotation-waivers`` leaves them out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import KubeNamespace, KubeObject

PREFIX = "ctrsec.io/waive."


def waiver_annotations(model: KubeObject | KubeNamespace) -> dict[str, str]:
    """The waiver annotations of an object and its pod template (the template's win when
    both name a check), or of a namespace's Namespace object."""
    sources: list[Mapping[str, Any]] = []
    if isinstance(model, KubeNamespace):
        if model.namespace_object is not None:
            sources.append(model.namespace_object.annotations)
    else:
        sources.append(model.annotations)
        if model.pod is not None:
            sources.append(model.pod.annotations)
    found: dict[str, str] = {}
    for annotations in sources:
        for key, value in annotations.items():
            if isinstance(key, str) and key.startswith(PREFIX):
                found[full_key(key)] = "" if value is None else str(value)
    return found


def full_key(key: str) -> str:
    """``ctrsec.io/waive.pss-privileged`` -> ``ctrsec.io/waive.k8s.pss-privileged``.

    >>> full_key("ctrsec.io/waive.pss-privileged"), full_key("ctrsec.io/waive.k8s.ingress-tls")
    ('ctrsec.io/waive.k8s.pss-privileged', 'ctrsec.io/waive.k8s.ingress-tls')
    """
    check = key[len(PREFIX):]
    return key if not check or "." in check else f"{PREFIX}k8s.{check}"
