"""A fast YAML reader for Kubernetes manifests that remembers where every key was written.

PyYAML's own loaders spend most of their time building node objects and resolving tags in
Python; Kubernetes corpora are large (thousands of objects) and simple (plain maps, lists and
scalars), so this module builds Python data straight from libyaml's event stream. While it
does so it records the line of every mapping key in document order, in one compact array per
document: a finding can then name the line of any field by walking the data in the same order
(:func:`key_line`), without keeping a node tree in memory.

Scalars are resolved with YAML 1.1 rules, as Kubernetes' own YAML decoder does (``yes`` and
``on`` are booleans there too), except timestamps, which stay strings as they do in the API.

Hostile input stays harmless: aliases are shared, never copied, and a document whose aliases
would expand beyond :data:`MAX_EXPANDED_NODES` nodes (a "billion laughs") is rejected, as is
nesting deeper than :data:`MAX_DEPTH`.

With ``unique_keys`` a key written twice in one mapping is a :class:`ParseError`, as it is for
kubectl, Helm and the API server (Go's YAML decoders refuse it): which of the two values is
meant cannot be told. Keys brought in by a ``<<`` merge may be overridden.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from ...errors import ParseError
from ...limits import too_deep

# libyaml's parser; without libyaml the pure-Python Loader has the same event API, slower
_Parser: Any
try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Parser = yaml.Loader

MAX_EXPANDED_NODES = 1_000_000
MAX_DEPTH = 200

_STR = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()
_FIRST_CHARS = frozenset(k for k in _RESOLVER.yaml_implicit_resolvers if k is not None)
_CONSTRUCT = SafeConstructor()
_CONVERTERS = {
    "tag:yaml.org,2002:bool": _CONSTRUCT.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCT.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCT.construct_yaml_float,
    "tag:yaml.org,2002:null": _CONSTRUCT.construct_yaml_null,
}
# Plain scalars repeat a lot in manifests ("true", "80", "Always"); resolving costs regexes.
_MEMO: dict[str, Any] = {}
_MEMO_MAX = 20_000


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """One YAML document: its data, the line it starts on, and the key lines.

    ``key_lines`` holds the 1-based line of every mapping key in the order the keys were
    written; ``exact`` is false when aliases, merge keys or repeated keys make that order
    differ from the data's, and then only ``line`` is trustworthy."""

    data: Any
    line: int
    key_lines: array[int]
    exact: bool
    # id of each map and list -> the range of key_lines its keys take; built on first lookup
    index: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False,
                                               compare=False)


def read_documents(text: bytes | str, path: str, *,
                   unique_keys: bool = False) -> Iterator[YamlDoc]:
    """Every non-empty document of a YAML stream; :class:`ParseError` names path and line."""
    parser: Any = _Parser(text)
    try:
        parser.get_event()  # StreamStartEvent
        while not parser.check_event(ev.StreamEndEvent):
            start = parser.get_event()  # DocumentStartEvent
            builder = _Builder(parser, unique_keys)
            first = parser.get_event()
            data = builder.build(first, 0)
            parser.get_event()  # DocumentEndEvent
            if builder.aliased:
                _check_expansion(data, path, first.start_mark.line + 1)
            if data is None:
                continue
            line = _first_line(first, start)
            yield YamlDoc(data, line, builder.lines, builder.exact)
    except yaml.reader.ReaderError as err:
        raise ParseError(_unreadable(err), path, _line_at(text, err.position)) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        if too_deep(err):
            problem = f"YAML nested deeper than {MAX_DEPTH} levels"
        else:
            problem = f"invalid YAML: {problem}"
        raise ParseError(problem, path, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as err:
        raise ParseError(f"invalid YAML: {err}", path) from None
    except RecursionError:
        raise ParseError(f"YAML nested deeper than {MAX_DEPTH} levels", path) from None
    finally:
        parser.dispose()


def _unreadable(err: yaml.reader.ReaderError) -> str:
    """libyaml's reader error (a byte that is not UTF-8, a control character) in words."""
    if "UTF-8" in str(err.reason):
        return f"not UTF-8 text (byte 0x{err.character:02x}: {err.reason})"
    return f"invalid YAML: character U+{err.character:04X}: {err.reason}"


def _line_at(text: bytes | str, position: int) -> int:
    if isinstance(text, bytes):
        return text.count(b"\n", 0, position) + 1
    return text.count("\n", 0, position) + 1


def _first_line(first: Any, start: Any) -> int:
    """The line of the document's content (the first key of a mapping)."""
    return int(first.start_mark.line) + 1 if first.start_mark else int(start.start_mark.line) + 1


class _Builder:
    """Builds one document from events, recording key lines."""

    __slots__ = ("aliased", "anchors", "exact", "lines", "parser", "unique_keys")

    def __init__(self, parser: Any, unique_keys: bool = False) -> None:
        self.parser = parser
        self.lines = array("I")
        self.anchors: dict[str, Any] = {}
        self.exact = True
        self.aliased = False
        self.unique_keys = unique_keys

    def build(self, event: Any, depth: int) -> Any:
        kind = type(event)
        if kind is ev.ScalarEvent:
            value = _scalar(event)
        elif kind is ev.MappingStartEvent:
            value = self._mapping(event, depth)
        elif kind is ev.SequenceStartEvent:
            value = self._sequence(event, depth)
        elif kind is ev.AliasEvent:
            return self._alias(event)
        else:  # pragma: no cover - libyaml never emits anything else here
            raise yaml.YAMLError(f"unexpected {kind.__name__}")
        if event.anchor:
            self.anchors[event.anchor] = value
        return value

    def _mapping(self, event: Any, depth: int) -> dict[Any, Any]:
        if depth > MAX_DEPTH:
            raise RecursionError
        out: dict[Any, Any] = {}
        if event.anchor:  # a map may refer to itself through its anchor
            self.anchors[event.anchor] = out
        get, append = self.parser.get_event, self.lines.append
        merged: set[Any] = set()  # keys a << merge brought in: they may be overridden
        while True:
            item = get()
            if type(item) is ev.MappingEndEvent:
                return out
            append(item.start_mark.line + 1)
            key = self.build(item, depth + 1)
            value = self.build(get(), depth + 1)
            if key == "<<" and type(item) is ev.ScalarEvent and not item.style:
                merged.update(self._merge(out, value, item))
                continue
            if isinstance(key, (dict, list)):
                raise yaml.MarkedYAMLError(problem="a mapping key must be a scalar",
                                           problem_mark=item.start_mark)
            if key in out:
                if self.unique_keys and key not in merged:
                    raise yaml.MarkedYAMLError(
                        problem=f"key {str(key)[:80]!r} is written twice in this mapping "
                                "(Kubernetes refuses it)", problem_mark=item.start_mark)
                self.exact = False
                merged.discard(key)
            out[key] = value

    def _merge(self, out: dict[Any, Any], value: Any, event: Any) -> list[Any]:
        """``<<: *base`` merge keys: keys written in the map win over merged ones. Returns
        the keys it added."""
        self.exact = False
        sources = value if isinstance(value, list) else [value]
        added = []
        for source in sources:
            if not isinstance(source, dict):
                raise yaml.MarkedYAMLError(problem="a merge key needs a mapping",
                                           problem_mark=event.start_mark)
            for key, val in source.items():
                if key not in out:
                    out[key] = val
                    added.append(key)
        return added

    def _sequence(self, event: Any, depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            raise RecursionError
        out: list[Any] = []
        if event.anchor:
            self.anchors[event.anchor] = out
        get = self.parser.get_event
        while True:
            item = get()
            if type(item) is ev.SequenceEndEvent:
                return out
            out.append(self.build(item, depth + 1))

    def _alias(self, event: Any) -> Any:
        self.exact = False
        self.aliased = True
        try:
            return self.anchors[event.anchor]
        except KeyError:
            raise yaml.MarkedYAMLError(problem=f"unknown alias *{event.anchor}",
                                       problem_mark=event.start_mark) from None


def _scalar(event: Any) -> Any:
    value: str = event.value
    tag = event.tag
    if tag and tag != "!":
        return _tagged(tag, value, event)
    if event.style or not event.implicit[0]:
        return value  # quoted or block scalars are strings
    try:
        return resolve_plain(value)
    except ValueError:  # an integer beyond int()'s 4,300 digits (the API rejects it too)
        raise yaml.MarkedYAMLError(problem=f"number {value[:20]}... is too large",
                                   problem_mark=event.start_mark) from None


def resolve_plain(value: str) -> Any:
    """A plain scalar as YAML 1.1 reads it (timestamps kept as strings).

    >>> [resolve_plain(v) for v in ("80", "yes", "~", "1.5", "2024-01-01", "web")]
    [80, True, None, 1.5, '2024-01-01', 'web']
    """
    if not value:
        return None
    if value[0] not in _FIRST_CHARS:
        return value
    try:
        return _MEMO[value]
    except KeyError:
        pass
    tag = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    result = _convert(tag, value)
    if len(_MEMO) < _MEMO_MAX:
        _MEMO[value] = result
    return result


def _convert(tag: str, value: str) -> Any:
    converter = _CONVERTERS.get(tag)
    return converter(ScalarNode(tag, value)) if converter else value


def _tagged(tag: str, value: str, event: Any) -> Any:
    """Explicit tags: the core ones convert, any other (``!Ref``, ``!!binary``) is ignored,
    as Kubernetes ignores them, and the scalar is read as if untagged."""
    if tag == _STR:
        return value
    if tag in _CONVERTERS:
        try:
            return _convert(tag, value)
        except (ValueError, yaml.YAMLError):
            raise yaml.MarkedYAMLError(problem=f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}",
                                       problem_mark=event.start_mark) from None
    return value if event.style else resolve_plain(value)


def _check_expansion(data: Any, path: str, line: int) -> None:
    """Reject a document whose shared (aliased) parts would expand too far."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # a self-reference counts once
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                break
        sizes[key] = total
        return total

    if size(data) > MAX_EXPANDED_NODES:
        raise ParseError(f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes "
                         "(an alias bomb?)", path, line)


def key_line(doc: YamlDoc, path: tuple[Any, ...]) -> int:
    """The line of the deepest key of ``path`` that exists in the document (keys are names,
    list positions are ints), or the document's line when the path starts elsewhere or the
    key order is not exact.

    Keys were recorded in the order they were written, which is the data's insertion order;
    the first lookup numbers every map and list of the document once (:func:`_number`), so a
    lookup costs the keys of the maps on its path."""
    if not doc.exact:
        return doc.line
    if not doc.index:
        _number(doc.data, 0, doc.index)
    node, line = doc.data, doc.line
    for step in path:
        if isinstance(node, dict):
            if step not in node:
                return line
            index = doc.index[id(node)][0]
            for key, value in node.items():
                if key == step:
                    line = doc.key_lines[index]
                    break
                index += 1 + _size(value, doc.index)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            if isinstance(node, dict) and node:
                line = doc.key_lines[doc.index[id(node)][0]]
        else:
            return line
    return line


def _number(node: Any, start: int, index: dict[int, tuple[int, int]]) -> int:
    """Record the range of key positions each map and list spans; return where it ends."""
    if isinstance(node, dict):
        end = start
        for value in node.values():
            end = _number(value, end + 1, index)
    elif isinstance(node, list):
        end = start
        for value in node:
            end = _number(value, end, index)
    else:
        return start
    index[id(node)] = (start, end)
    return end


def _size(node: Any, index: dict[int, tuple[int, int]]) -> int:
    """How many keys ``node`` holds (scalars hold none)."""
    span = index.get(id(node)) if isinstance(node, (dict, list)) else None
    return span[1] - span[0] if span else 0
