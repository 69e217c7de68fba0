"""In-manifest waivers: ``ctrsec.io/waive.<check-id>: "<reason> [until=YYYY-MM-DD]"``
annotations on an object or on its pod template (a Namespace object's annotations waive the
namespace-wide checks of that namespace).

The check id may leave out its ``k8s.`` prefix (``ctrsec.io/waive.pss-privileged``). The
annotations are copied into :attr:`Target.annotations` (unless ``--ctrsec-no-annotation-waivers``)
and :func:`annotation_waivers` turns them into :class:`AnnotationWaiver` records for the
shared waiver mechanism, which decides what they do; a malformed one carries a ``problem``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ...findings import Location
from .. import Target
from .model import KubeNamespace, KubeObject

PREFIX = "ctrsec.io/waive."
_UNTIL = re.compile(r"(?:^|[\s;,(])until=(\S*?)(?=$|[\s;,)])")


@dataclass(frozen=True)
class AnnotationWaiver:
    """One waiver written as an annotation, for one check on one target."""

    check: str  # the full check id: "k8s.pss-privileged"
    target: str  # the target name it applies to
    reason: str
    until: date | None
    location: Location | None
    annotation: str  # the key as written
    problem: str = ""  # why this is not a valid waiver; "" when it is

    @property
    def valid(self) -> bool:
        return not self.problem


def waiver_annotations(model: KubeObject | KubeNamespace) -> dict[str, str]:
    """The ``ctrsec.io/waive.*`` annotations of an object and its pod template (the
    template's win), or of a namespace's Namespace object."""
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
                found[key] = "" if value is None else str(value)
    return found


def annotation_waivers(target: Target) -> list[AnnotationWaiver]:
    """The waivers a Kubernetes target's annotations declare."""
    return [_waiver(target, key, value) for key, value in target.annotations.items()
            if key.startswith(PREFIX)]


def parse_value(value: str) -> tuple[str, date | None, str]:
    """``(reason, until, problem)`` of an annotation value.

    >>> parse_value("legacy agent, see TICKET-1 until=2030-01-31")
    ('legacy agent, see TICKET-1', datetime.date(2030, 1, 31), '')
    >>> parse_value("until=2030-01-31")[2]
    'no reason given'
    """
    until: date | None = None
    problem = ""
    match = _UNTIL.search(value)
    if match:
        try:
            until = date.fromisoformat(match.group(1))
        except ValueError:
            problem = f"until={match.group(1)!r} is not a date (YYYY-MM-DD)"
        value = value[:match.start()] + value[match.end():]
    reason = value.strip(" \t\n;,")
    if not reason and not problem:
        problem = "no reason given"
    return reason, until, problem


def _waiver(target: Target, key: str, value: str) -> AnnotationWaiver:
    check = key[len(PREFIX):]
    if check and "." not in check:
        check = "k8s." + check
    reason, until, problem = parse_value(value)
    if not check:
        problem = "no check id after ctrsec.io/waive."
    return AnnotationWaiver(check, target.name, reason, until, _where(target.model, key), key,
                            problem)


def _where(model: Any, key: str) -> Location | None:
    if isinstance(model, KubeNamespace):
        obj = model.namespace_object
        return obj.locate("metadata", "annotations", key) if obj is not None else None
    if not isinstance(model, KubeObject):
        return None
    if model.pod is not None and key in model.pod.annotations:
        return model.locate(*model.pod.metadata_path, "annotations", key)
    return model.locate("metadata", "annotations", key)
