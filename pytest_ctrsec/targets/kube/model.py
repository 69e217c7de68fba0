"""The Kubernetes target model: objects as written, their pod templates, namespaces, and the
corpus that holds them together (plain data; the loaders fill it, the checks read it).

A :class:`KubeObject` keeps the object exactly as written (``raw``), never a copy or a typed
conversion, so a rule sees the same field spelling as the manifest. Its pod template, when it
has one, is extracted once (:class:`PodTemplate`) with every container in Pod Security
Admission's visiting order. Field lines are found on demand from a compact key-line table
(:meth:`KubeObject.locate`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...findings import Location
from .yamldocs import YamlDoc, key_line

if TYPE_CHECKING:
    from .. import Target
    from .corpus import KubeCorpus
    from .policy import PssPolicy

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")
_CONTAINER_WORDS = {"initContainers": "init container", "containers": "container",
                    "ephemeralContainers": "ephemeral container"}


def as_map(value: Any) -> Mapping[str, Any] | None:
    """``value`` when it is a mapping, else None (absent, null or the wrong type)."""
    return value if isinstance(value, dict) else None


def meta_map(metadata: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``labels`` or ``annotations`` of a metadata mapping ({} when absent or malformed)."""
    return as_map(metadata.get(key)) or {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class Container:
    """One container of a pod template (init, regular or ephemeral)."""

    field: str  # "initContainers", "containers" or "ephemeralContainers"
    index: int
    name: str
    # Not in the repr: pytest prints it in failed assertions, and its env may hold literal
    # credentials.
    data: Mapping[str, Any] = field(repr=False)
    path: tuple[Any, ...]  # from the object's root

    @property
    def security_context(self) -> Mapping[str, Any] | None:
        return as_map(self.data.get("securityContext"))

    @property
    def describe(self) -> str:
        """``container "app"``, ``init container "setup"``, ``ephemeral container "dbg"``."""
        return f'{_CONTAINER_WORDS[self.field]} "{self.name}"'

    def sc_path(self, *keys: str) -> tuple[Any, ...]:
        return (*self.path, "securityContext", *keys)


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """The pod metadata and spec of a Pod or of a workload's template.

    ``path`` leads from the object's root to the template (``()`` for a Pod,
    ``("spec", "template")`` for a Deployment); ``containers`` are in PSA's order: init
    containers, then containers, then ephemeral containers."""

    path: tuple[Any, ...]
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]
    containers: tuple[Container, ...]

    @property
    def spec_path(self) -> tuple[Any, ...]:
        return (*self.path, "spec")

    @property
    def metadata_path(self) -> tuple[Any, ...]:
        return (*self.path, "metadata")

    @property
    def security_context(self) -> Mapping[str, Any] | None:
        return as_map(self.spec.get("securityContext"))

    @property
    def labels(self) -> Mapping[str, Any]:
        return meta_map(self.metadata, "labels")

    @property
    def annotations(self) -> Mapping[str, Any]:
        return meta_map(self.metadata, "annotations")

    def of(self, *fields: str) -> Iterator[Container]:
        """The containers of the given fields (all when none given)."""
        wanted = fields or CONTAINER_FIELDS
        return (c for c in self.containers if c.field in wanted)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object was read: a document of a file (``doc`` set) or a live cluster."""

    file: str | None  # the path as the user gave it, "<stdin>", or None for a live object
    line: int | None
    doc: YamlDoc | None = field(default=None, repr=False)
    prefix: tuple[Any, ...] = ()  # the object's path inside the document (List items)


@dataclass(frozen=True, slots=True)
class KubeObject:
    """One Kubernetes object as written, with what its rules need precomputed."""

    raw: Mapping[str, Any] = field(repr=False)
    kind: str
    api_version: str
    namespace: str  # "" when not set (cluster-scoped, or left to the deploy tool)
    name: str
    origin: Origin
    source: str  # the input it came from ("deploy/", "<stdin>", a cluster context)
    pod: PodTemplate | None = field(default=None, repr=False)
    pss: PssPolicy | None = field(default=None, repr=False)
    corpus: KubeCorpus | None = field(default=None, repr=False, compare=False)

    @property
    def group(self) -> str:
        """The API group ("" for the core group): ``apps`` for ``apps/v1``."""
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> Mapping[str, Any]:
        return as_map(self.raw.get("metadata")) or {}

    @property
    def labels(self) -> Mapping[str, Any]:
        return meta_map(self.metadata, "labels")

    @property
    def annotations(self) -> Mapping[str, Any]:
        return meta_map(self.metadata, "annotations")

    @property
    def ref(self) -> str:
        """``ns/Kind/name``, or ``Kind/name`` without a namespace."""
        base = f"{self.kind}/{self.name}"
        return f"{self.namespace}/{base}" if self.namespace else base

    @property
    def location(self) -> Location | None:
        if self.origin.file is None:
            return None
        return Location(self.origin.file, self.origin.line)

    def locate(self, *path: Any) -> Location | None:
        """The file and line of the field at ``path`` (from the object's root), or of its
        nearest written ancestor; None for live objects."""
        origin = self.origin
        if origin.file is None:
            return None
        if origin.doc is None or not path:
            return Location(origin.file, origin.line)
        line = key_line(origin.doc, (*origin.prefix, *path))
        return Location(origin.file, max(line, origin.line or 1))

    def ctrsec_targets(self) -> list[Target]:
        """The object as a check target (for ``assert_check``), with its corpus for the
        checks that look at other objects (NetworkPolicies, bindings).

        >>> assert_check("k8s.pss-privileged", corpus.object("Deployment", "web", "shop"))
        ... # doctest: +SKIP
        """
        from .targets import object_target

        return [object_target(self, self.corpus)] if self.corpus is not None else [
            object_target(self, _lone_corpus(self))]

    def get(self, *path: Any) -> Any:
        """The value at ``path`` or None (a missing step, or a step of the wrong type).

        >>> obj.get("spec", "template", "spec", "containers", 0, "image")  # doctest: +SKIP
        'web:1.4'
        """
        node: Any = self.raw
        for step in path:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
                node = node[step]
            else:
                return None
        return node


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Objects of a kind that could not be read from a live cluster (for example a 403):
    every check that needs that kind skips with ``reason`` instead of passing silently."""

    kind: str
    namespace: str
    reason: str
    source: str
    workload: bool = False  # a kind with a pod template
    corpus: KubeCorpus | None = field(default=None, repr=False, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.kind}/*" if self.namespace else f"{self.kind}/*"


@dataclass(frozen=True, slots=True)
class KubeNamespace:
    """A namespace of the corpus and the objects in it (model of namespace-wide checks)."""

    name: str  # "" for the objects that name no namespace
    objects: tuple[KubeObject, ...] = field(repr=False)
    namespace_object: KubeObject | None = field(default=None, repr=False)
    corpus: KubeCorpus | None = field(default=None, repr=False, compare=False)

    @property
    def display(self) -> str:
        return self.name or UNSET_NAMESPACE

    @property
    def workloads(self) -> tuple[KubeObject, ...]:
        return tuple(o for o in self.objects if o.pod is not None)

    def ctrsec_targets(self) -> list[Target]:
        """The namespace as a check target (for the namespace-wide checks in
        ``assert_check``, e.g. ``k8s.network-policy-default-deny``)."""
        from .targets import namespace_target

        if self.corpus is None:
            raise TypeError(f"namespace {self.display} belongs to no corpus")
        return [namespace_target(self, self.corpus)]

    @property
    def location(self) -> Location | None:
        anchor = self.namespace_object or (self.workloads or self.objects or (None,))[0]
        return anchor.location if anchor is not None else None


UNSET_NAMESPACE = "(unset)"


def _lone_corpus(obj: KubeObject) -> KubeCorpus:
    """A corpus of just ``obj``, for an object built outside any corpus."""
    from .corpus import KubeCorpus

    corpus = KubeCorpus(obj.source)
    corpus.add(obj)
    return corpus
