"""Pod-template extraction: where each kind keeps its pod, as Pod Security Admission reads it,
plus custom kinds the user maps (``--ctrsec-k8s-pod-template=Rollout=spec.template``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigError
from .model import CONTAINER_FIELDS, Container, PodTemplate, as_list, as_map

_TEMPLATE = ("spec", "template")

# kind -> (API groups the kind is served from, old ones included; path to the pod template).
# A Pod is its own template: metadata and spec at the root.
BUILTIN_TEMPLATES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "Pod": (frozenset({""}), ()),
    "PodTemplate": (frozenset({""}), ("template",)),
    "ReplicationController": (frozenset({""}), _TEMPLATE),
    "ReplicaSet": (frozenset({"apps", "extensions"}), _TEMPLATE),
    "Deployment": (frozenset({"apps", "extensions"}), _TEMPLATE),
    "DaemonSet": (frozenset({"apps", "extensions"}), _TEMPLATE),
    "StatefulSet": (frozenset({"apps"}), _TEMPLATE),
    "Job": (frozenset({"batch"}), _TEMPLATE),
    "CronJob": (frozenset({"batch"}), ("spec", "jobTemplate", "spec", "template")),
}

# Well-known custom kinds with a pod template; the option adds to (or overrides) these.
DEFAULT_CUSTOM_TEMPLATES: dict[str, str] = {
    "argoproj.io/Rollout": "spec.template",
}
DEFAULT_CUSTOM_TEMPLATES_ENTRIES = tuple(f"{k}={v}" for k, v in DEFAULT_CUSTOM_TEMPLATES.items())

OPTION = "--ctrsec-k8s-pod-template"


@dataclass(frozen=True)
class TemplatePaths:
    """Where the pod template of each kind is: built-in kinds plus custom ones."""

    custom: Mapping[tuple[str | None, str], tuple[str, ...]]  # (group or None, kind) -> path

    def path_for(self, group: str, kind: str) -> tuple[str, ...] | None:
        builtin = BUILTIN_TEMPLATES.get(kind)
        if builtin is not None and group in builtin[0]:
            return builtin[1]
        return self.custom.get((group, kind), self.custom.get((None, kind)))

    def custom_kinds(self) -> set[tuple[str | None, str]]:
        return set(self.custom)


def template_paths(entries: Iterable[str] = ()) -> TemplatePaths:
    """Parse ``KIND=PATH`` / ``GROUP/KIND=PATH`` entries over the defaults.

    >>> template_paths(["Rollout=spec.template"]).path_for("argoproj.io", "Rollout")
    ('spec', 'template')
    """
    custom: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for entry in (*DEFAULT_CUSTOM_TEMPLATES_ENTRIES, *entries):
        kind_part, sep, path = entry.partition("=")
        kind_part, path = kind_part.strip(), path.strip()
        group, slash, kind = kind_part.rpartition("/")
        keys = tuple(p for p in path.split(".") if p)
        if not sep or not kind or not keys or " " in path:
            raise ConfigError(f"{OPTION}: expected KIND=PATH or GROUP/KIND=PATH such as "
                              f"Rollout=spec.template, got {entry!r}")
        custom[(group if slash else None, kind)] = keys
    return TemplatePaths(custom)



def extract(raw: Mapping[str, Any], path: tuple[str, ...] | None) -> PodTemplate | None:
    """The pod template at ``path``, or None when the kind has none or it is not written
    (a ReplicationController without a template, a Rollout with a workloadRef)."""
    if path is None:
        return None
    template: Any = raw
    for step in path:
        template = as_map(template.get(step))
        if template is None:
            return None
    spec = as_map(template.get("spec"))
    if spec is None:
        return None
    metadata = as_map(template.get("metadata")) or {}
    return PodTemplate(path, metadata, spec, _containers(spec, (*path, "spec")))


def _containers(spec: Mapping[str, Any], spec_path: tuple[Any, ...]) -> tuple[Container, ...]:
    found = []
    for fld in CONTAINER_FIELDS:
        for i, item in enumerate(as_list(spec.get(fld))):
            if isinstance(item, dict):
                name = item.get("name")
                found.append(Container(fld, i, str(name) if name else f"#{i}", item,
                                       (*spec_path, fld, i)))
    return tuple(found)
