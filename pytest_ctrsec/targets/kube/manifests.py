"""Reading manifests: files, directories (recursive ``*.yaml``, ``*.yml``, ``*.json``) and
standard input (``helm template ... | pytest --ctrsec-k8s=-``), multi-document YAML, ``List``
and ``*List`` kinds, each object with the file and line it starts on.

Every document must be a Kubernetes object (a mapping with ``apiVersion`` and ``kind``);
anything else is reported with its file and line, never dropped. Empty documents (``---``
alone, comments only) are skipped, as kubectl skips them. A key written twice in one mapping
is refused, as kubectl refuses it.

What is not a manifest until a tool builds it is refused with the command that builds it,
since judging its files would judge something else than what gets deployed: a folder holding
a Helm chart (``Chart.yaml``: templates and values, ``helm template``), a Kustomize folder
(``kustomization.yaml``: resources before their patches, images and namespace, ``kubectl
kustomize``), a Kustomize file given by name, and a document whose name, namespace, kind or
apiVersion is still a template (``{{ .Release.Name }}``)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ...errors import InputError, ParseError, SchemaError
from .model import Origin
from .yamldocs import YamlDoc, key_line, read_documents

SUFFIXES = (".yaml", ".yml", ".json")
STDIN_NAME = "<stdin>"
MAX_BYTES = 256 * 1024 * 1024  # one manifest stream; a cluster dump of 5,000 objects is ~5 MB
_KUSTOMIZE = "a Kustomize file: pipe `kubectl kustomize DIR` into --ctrsec-k8s=-"
_HELM = "pipe `helm template CHART` into --ctrsec-k8s=-"
_HINTS = {
    "kustomization.yaml": _KUSTOMIZE,
    "kustomization.yml": _KUSTOMIZE,
    "kustomization": _KUSTOMIZE,
    "chart.yaml": f"a Helm chart: {_HELM}",
    "values.yaml": f"Helm values: {_HELM}",
    "values.yml": f"Helm values: {_HELM}",
}
# Files that make their folder something a tool builds manifests from.
CHART_FILE = "Chart.yaml"
KUSTOMIZE_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"
# A Go template action ({{ .Values.x }}, {{- include "x" . }}) left in by an unrendered chart
_TEMPLATE = re.compile(r"\{\{-?\s*[-.$\w\"(/]")


@dataclass(frozen=True, slots=True)
class RawObject:
    """An object as read, before the corpus gives it its pod template and policy."""

    raw: dict[str, Any]
    kind: str
    api_version: str
    origin: Origin
    source: str


def read_inputs(inputs: Sequence[str], stdin: BinaryIO | None = None) -> list[RawObject]:
    """Every object of every input, in order; an input with no object at all is an error."""
    found: list[RawObject] = []
    for given in inputs:
        before = len(found)
        if given == "-":
            found.extend(read_text(read_stdin(stdin), STDIN_NAME))
        else:
            for path, shown in _files(given):
                found.extend(read_file(path, shown))
        if len(found) == before:
            where = "standard input" if given == "-" else given
            raise InputError(f"no Kubernetes objects found in {where}", given)
    return found


def read_stdin(stdin: BinaryIO | None = None) -> bytes:
    """All of standard input (pytest must not be capturing it)."""
    try:
        stream = stdin if stdin is not None else sys.stdin.buffer
        return _capped(stream, STDIN_NAME)
    except (OSError, AttributeError, ValueError) as err:
        raise InputError(f"cannot read standard input: {err}", STDIN_NAME) from None


def read_file(path: Path, shown: str) -> Iterator[RawObject]:
    """The objects of one manifest file (YAML or JSON)."""
    try:
        with path.open("rb") as stream:
            data = _capped(stream, shown)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", shown) from None
    return read_text(data, shown)


def _capped(stream: BinaryIO, shown: str) -> bytes:
    """All of a stream, or an :class:`InputError` past :data:`MAX_BYTES` (a device or an
    endless pipe must not fill the memory). Read in chunks: asking for the cap at once
    would allocate it."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > MAX_BYTES:
            raise InputError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB; split the "
                             "manifests", shown)
        chunks.append(chunk)


def read_text(text: bytes | str, shown: str) -> Iterator[RawObject]:
    """The objects of a YAML or JSON stream named ``shown`` in messages."""
    try:
        for doc in read_documents(text, shown, unique_keys=True):
            yield from objects_of(doc, shown)
    except ParseError as err:
        if not _unrendered(text):
            raise
        raise ParseError(f"{err.message} (an unrendered Helm template? {_HELM})", err.path,
                         err.line) from None


def _unrendered(text: bytes | str) -> bool:
    sample = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return _TEMPLATE.search(sample) is not None


def objects_of(doc: YamlDoc, shown: str) -> Iterator[RawObject]:
    """The object a document holds, or the items of a ``List``."""
    data = doc.data
    if not isinstance(data, dict):
        raise SchemaError(f"not a Kubernetes object (a YAML {_yaml_type(data)}){_hint(shown)}",
                          shown, doc.line)
    kind, api_version = _identity(data, shown, doc.line)
    if api_version.partition("/")[0] == KUSTOMIZE_GROUP:
        raise SchemaError(f"{kind} is not a Kubernetes object ({_KUSTOMIZE})", shown, doc.line)
    if kind == "List" or (kind.endswith("List") and isinstance(data.get("items"), list)):
        yield from _items(doc, kind, api_version, shown)
        return
    _check_metadata(data, shown, doc.line)
    yield RawObject(data, kind, api_version, Origin(shown, doc.line, doc), shown)


def _items(doc: YamlDoc, kind: str, api_version: str, shown: str) -> Iterator[RawObject]:
    """Items of a List; a typed list (``PodList``) may leave kind and apiVersion out of its
    items, as the API does, and they are then the list's."""
    items = doc.data.get("items")
    if items is None:
        return
    if not isinstance(items, list):
        raise SchemaError(f"{kind}: items is not a list", shown, doc.line)
    item_kind = kind[:-4] if kind != "List" else None
    for i, item in enumerate(items):
        line = key_line(doc, ("items", i))
        if not isinstance(item, dict):
            raise SchemaError(f"{kind} item {i} is not an object (a YAML {_yaml_type(item)})",
                              shown, line)
        defaults = (item_kind, api_version) if item_kind else None
        ikind, iversion = _identity(item, shown, line, defaults)
        _check_metadata(item, shown, line)
        yield RawObject(item, ikind, iversion, Origin(shown, line, doc, ("items", i)), shown)


def _identity(data: dict[str, Any], shown: str, line: int,
              defaults: tuple[str, str] | None = None) -> tuple[str, str]:
    kind = data.get("kind", defaults[0] if defaults else None)
    api_version = data.get("apiVersion", defaults[1] if defaults else None)
    for key, value in (("kind", kind), ("apiVersion", api_version)):
        if value is None or value == "":
            raise SchemaError(f"not a Kubernetes object: no {key}{_hint(shown)}", shown, line)
        if not isinstance(value, str):
            raise SchemaError(f"{key} must be a string, not {_yaml_type(value)}", shown, line)
    return kind, api_version  # type: ignore[return-value]


def _check_metadata(data: dict[str, Any], shown: str, line: int) -> None:
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise SchemaError(f"{data['kind']}: metadata is not a mapping", shown, line)
    fields = (("kind", data.get("kind")), ("apiVersion", data.get("apiVersion")),
              *((f"metadata.{k}", (metadata or {}).get(k)) for k in ("name", "namespace")))
    for name, value in fields:
        if isinstance(value, str) and _TEMPLATE.search(value):
            raise SchemaError(f"{data.get('kind')}: {name} is an unrendered template "
                              f"({value[:60]}): {_HELM}", shown, line)


def _hint(shown: str) -> str:
    hint = _HINTS.get(os.path.basename(shown).lower())
    return f" ({hint})" if hint else ""


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "sequence"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, str):
        return "string"
    return "scalar"


def _files(given: str) -> Iterator[tuple[Path, str]]:
    """The manifest files of one input: itself, or those found under a directory (hidden
    files and directories skipped, symlinked directories not followed)."""
    path = Path(given)
    if not path.exists():
        raise InputError("no such file or directory", given)
    if not path.is_dir():
        yield path, given
        return
    for dirpath, dirnames, filenames in os.walk(path, onerror=_walk_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        _not_a_build_source(given, path, dirpath, filenames)
        for name in sorted(filenames):
            full = Path(dirpath, name)
            # regular files only: a device or FIFO found in a tree is not a manifest
            if name.endswith(SUFFIXES) and not name.startswith(".") and full.is_file():
                yield full, os.path.join(given, os.path.relpath(full, path))


def _not_a_build_source(given: str, root: Path, dirpath: str, filenames: list[str]) -> None:
    """A folder a tool builds manifests from is refused, with the command that builds them."""
    shown = os.path.normpath(os.path.join(given, os.path.relpath(dirpath, root)))
    if CHART_FILE in filenames:
        raise InputError(f"a Helm chart ({CHART_FILE}): its templates and values are not "
                         f"Kubernetes objects until rendered; pipe `helm template {shown}` "
                         "into --ctrsec-k8s=-, or give the folders that hold manifests", shown)
    kustomization = next((f for f in KUSTOMIZE_FILES if f in filenames), None)
    if kustomization is not None:
        raise InputError(f"a Kustomize folder ({kustomization}): its objects are what "
                         f"`kubectl kustomize {shown}` builds (namespace, images and patches "
                         "applied); pipe that into --ctrsec-k8s=-", shown)


def _walk_error(err: OSError) -> None:
    raise InputError(f"cannot read directory: {err.strerror or err}", str(err.filename))
