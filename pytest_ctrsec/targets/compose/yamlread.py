"""Compose YAML read the way Compose reads it, with the file and line of every entry.

libyaml (through PyYAML's C parser) produces the events; the tree is built here without
recursion, so a hostile nesting depth cannot crash the interpreter, and with the YAML 1.2
scalar rules of Compose's Go parser: ``yes``/``on`` and ``80:80`` stay strings, ``0755`` is
octal. Also handled as Compose does: merge keys (``<<``), duplicate keys (an error), the
``!reset`` and ``!override`` tags (recorded by path for the merge), anchors and aliases
(shared, with the expanded size capped against alias bombs).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml._yaml import CParser

from ...errors import InputError, ParseError
from ...limits import TooLarge, read_capped, too_deep
from .nodes import Pos, YMap, YSeq

MAX_DEPTH = 100  # Compose files nest a dozen levels; far beyond that is hostile input
MAX_EXPANDED = 1_000_000  # nodes after alias expansion, per document
MAX_BYTES = 32 * 1024 * 1024

Path = tuple[Any, ...]

_INT = re.compile(r"[-+]?(?:0[bB][01_]+|0[oO][0-7_]+|0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}  # fmt: skip
_WORDS: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
}  # fmt: skip
_NUMERIC_START = frozenset("0123456789+-.")
_TAG_PREFIX = "tag:yaml.org,2002:"
RESET_TAG = "!reset"
OVERRIDE_TAG = "!override"


def _go_int(text: str) -> int | None:
    """An integer as Go's ``strconv.ParseInt(s, 0, 64)`` reads it (leading 0 = octal)."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    body = digits.lstrip("+-")
    try:
        if body[:2] in ("0x", "0X"):
            return sign * int(body[2:], 16)
        if body[:2] in ("0o", "0O"):
            return sign * int(body[2:], 8)
        if body[:2] in ("0b", "0B"):
            return sign * int(body[2:], 2)
        if len(body) > 1 and body[0] == "0":
            return sign * int(body[1:], 8)
        return sign * int(body, 10)
    except ValueError:
        return None


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under Compose's YAML rules."""
    if text in _WORDS:
        return _WORDS[text]
    if text[0] not in _NUMERIC_START or ":" in text:  # no number has a colon (80:80)
        return text
    if _INT.match(text):
        number = _go_int(text)
        if number is not None:
            return number
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if _FLOAT.match(text.replace("_", "")):
        return float(text.replace("_", ""))
    return text


def _tagged(text: str, tag: str, pos: Pos) -> Any:
    """A scalar with an explicit standard tag (``!!str 1``, ``!!int "8"``)."""
    kind = tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag
    if kind == "str":
        return text
    if kind == "null":
        return None
    if kind == "bool":
        value = _WORDS.get(text)
        if isinstance(value, bool):
            return value
    elif kind == "int":
        number = _go_int(text) if _INT.match(text) else None
        if number is not None:
            return number
    elif kind == "float":
        value = resolve_plain(text) if text else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    else:
        return resolve_plain(text) if text else text  # unknown local tags read as untagged
    raise ParseError(f"cannot read {text!r} as !!{kind}", pos[0], pos[1])


@dataclass
class Document:
    """One YAML document of a Compose file, as written (nothing interpolated)."""

    tree: Any
    path: str
    resets: list[Path] = field(default_factory=list)  # paths tagged !reset (value dropped)
    overrides: list[Path] = field(default_factory=list)  # paths tagged !override
    # literal scalars: (dotted path of their container, key or index, text, line)
    strings: list[tuple[str, str | int, str, int]] = field(default_factory=list)


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("node", "path", "dotted", "key", "key_line", "merges", "start", "anchor",
                 "mapping", "tag")

    def __init__(self, node: YMap | YSeq, path: Path, dotted: str, start: int,
                 anchor: str | None) -> None:
        self.node = node
        self.path = path
        self.dotted = dotted  # the path as written in messages: services.web.ports[0]
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.merges: list[tuple[Any, int]] | None = None
        self.start = start
        self.anchor = anchor
        self.mapping = isinstance(node, YMap)
        self.tag: str | None = None


_NO_KEY = object()
_MERGE = object()


class _Builder:
    """Turns libyaml events into located trees, one per document."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.doc = Document(None, path)

    def error(self, message: str, line: int) -> ParseError:
        return ParseError(message, self.path, line)

    def count(self, expanded: int, nodes: int, line: int) -> int:
        """``expanded`` plus ``nodes``; an error past the limit."""
        expanded += nodes
        if expanded > MAX_EXPANDED:
            raise InputError(
                f"YAML aliases expand to more than {MAX_EXPANDED:,} nodes (alias bomb?)",
                self.path,
                line,
            )
        return expanded

    def run(self, parser: Any) -> list[Document]:
        docs: list[Document] = []
        stack: list[_Frame] = []
        get = parser.get_event
        scalar_t, mstart_t, sstart_t = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
        mend_t, send_t, alias_t = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.AliasEvent
        dstart_t, dend_t, end_t = yaml.DocumentStartEvent, yaml.DocumentEndEvent, yaml.StreamEndEvent
        path = self.path
        strings = self.doc.strings
        numeric_start, words = _NUMERIC_START, _WORDS
        top: _Frame | None = None  # stack[-1]
        expanded = 0  # nodes of the document after alias expansion (kept local: hot)
        while True:
            ev = get()
            t = ev.__class__
            if t is scalar_t:
                line = ev.start_mark.line + 1
                tag = ev.tag
                plain = ev.implicit[0]
                text = ev.value
                if tag is None or tag == "!":
                    if plain and (not text or text[0] in numeric_start or text in words):
                        value = resolve_plain(text)
                    else:
                        value = text  # quoted, or plain text that cannot be a number or word
                    tag = None
                elif tag == RESET_TAG or tag == OVERRIDE_TAG:
                    value = resolve_plain(text) if not ev.style else text  # quoted stays a string
                else:
                    value = _tagged(text, tag, (self.path, line))
                expanded += 1
                if ev.anchor:
                    self.anchors[ev.anchor] = (value, 1)
                if top is not None and tag is None:
                    # the common cases, inlined: a key, a value under a fresh key, an item
                    if top.mapping:
                        key = top.key
                        if key is _NO_KEY:
                            if value.__class__ is str and text != "<<":
                                top.key = value
                                top.key_line = line
                                continue
                        elif key is not _MERGE and key not in top.node:
                            top.key = _NO_KEY
                            node = top.node
                            node[key] = value
                            node.locs[key] = (path, top.key_line)
                            if value is not None and value is not True and value is not False:
                                strings.append((top.dotted, key, text, line))
                            continue
                    else:
                        seq = top.node
                        if value is not None and value is not True and value is not False:
                            strings.append((top.dotted, len(seq), text, line))
                        seq.append(value)
                        seq.locs.append((path, line))
                        continue
                self.add(stack, value, line, tag, text, plain and tag is None)
            elif t is mstart_t or t is sstart_t:
                line = ev.start_mark.line + 1
                if len(stack) >= MAX_DEPTH:
                    raise self.error(f"nesting deeper than {MAX_DEPTH} levels", line)
                expanded += 1
                parent_path, dotted = self.child_path(stack)
                node: YMap | YSeq = YMap((self.path, line)) if t is mstart_t else YSeq((self.path, line))
                top = _Frame(node, parent_path, dotted, expanded, ev.anchor)
                if ev.tag in (RESET_TAG, OVERRIDE_TAG):
                    top.tag = ev.tag
                stack.append(top)
            elif t is mend_t or t is send_t:
                frame = stack.pop()
                top = stack[-1] if stack else None
                node = frame.node
                self.count(expanded, 0, node.pos[1])
                if frame.merges:
                    node = self.apply_merges(frame)
                if frame.anchor:
                    self.anchors[frame.anchor] = (node, expanded - frame.start + 1)
                self.add(stack, node, node.pos[1], frame.tag, None, None)
            elif t is alias_t:
                line = ev.start_mark.line + 1
                if ev.anchor not in self.anchors:
                    raise self.error(f"unknown anchor {ev.anchor!r} referenced", line)
                value, size = self.anchors[ev.anchor]
                expanded = self.count(expanded, size, line)
                self.add(stack, value, line, None, None, None, alias=True)
            elif t is dstart_t:
                self.doc = Document(None, self.path)
                strings = self.doc.strings
                self.anchors = {}
                expanded = 0
            elif t is dend_t:
                docs.append(self.doc)
            elif t is end_t:
                return docs

    def child_path(self, stack: list[_Frame]) -> tuple[Path, str]:
        """The path of a container about to start, as a tuple and dotted."""
        if not stack:
            return (), ""
        top = stack[-1]
        if top.mapping:
            key = "<key>" if top.key is _NO_KEY else top.key
            if key.__class__ is not str:  # the value of a merge key (<<)
                return top.path + (key,), f"{top.dotted}[{key}]"
            return top.path + (key,), f"{top.dotted}.{key}" if top.dotted else key
        index = len(top.node)
        return top.path + (index,), f"{top.dotted}[{index}]"

    def add(
        self,
        stack: list[_Frame],
        value: Any,
        line: int,
        tag: str | None,
        text: str | None,
        plain: bool | None,
        alias: bool = False,
    ) -> None:
        if not stack:
            self.doc.tree = value
            if tag == RESET_TAG or tag == OVERRIDE_TAG:
                raise self.error(f"{tag} cannot tag the whole document", line)
            return
        top = stack[-1]
        if top.mapping:
            if top.key is _NO_KEY:
                self.set_key(top, value, line, text, plain)
                return
            key = top.key
            top.key = _NO_KEY
            if key is _MERGE:
                if top.merges is None:
                    top.merges = []
                top.merges.append((value, line))
                return
            node = top.node
            if key in node:
                raise self.error(
                    f"mapping key {key!r} already defined at line {node.locs[key][1]}", top.key_line
                )
            if tag == RESET_TAG:
                self.doc.resets.append(top.path + (key,))
                node.locs[key] = (self.path, top.key_line)  # remembered for duplicate checks only
                dict.__setitem__(node, key, _RESET)
                return
            if tag == OVERRIDE_TAG:
                self.doc.overrides.append(top.path + (key,))
            node[key] = value
            node.locs[key] = (self.path, top.key_line)
            if text is not None and not alias and value is not None and value is not True and value is not False:
                self.doc.strings.append((top.dotted, key, text, line))
        else:
            seq = top.node
            if tag == RESET_TAG:
                return  # Compose ignores !reset inside sequences; the item is just dropped
            if text is not None and not alias and value is not None and value is not True and value is not False:
                self.doc.strings.append((top.dotted, len(seq), text, line))
            seq.append(value)
            seq.locs.append((self.path, line))

    def set_key(self, top: _Frame, value: Any, line: int, text: str | None, plain: bool | None) -> None:
        if text is None:
            raise self.error("a mapping key must be a scalar", line)
        if text == "<<" and plain:
            top.key = _MERGE
        elif isinstance(value, str):
            top.key = value
        elif value is None:
            top.key = "null" if text else ""
        elif isinstance(value, bool):
            top.key = "true" if value else "false"
        else:
            top.key = str(value)
        top.key_line = line

    def apply_merges(self, frame: _Frame) -> YMap:
        """``<<: *base`` / ``<<: [*a, *b]``: explicit keys win, then earlier sources."""
        node = frame.node
        assert isinstance(node, YMap)
        out = YMap(node.pos)
        for value, line in frame.merges or ():
            sources = value if isinstance(value, YSeq) else [value]
            for source in sources:
                if not isinstance(source, YMap):
                    raise self.error("merge key '<<' needs a mapping or a list of mappings", line)
                for key in source:
                    if key not in out:
                        out.copy_entry(source, key)
        for key in node:
            out.copy_entry(node, key)
        return out


class _Reset:
    """Placeholder left where ``!reset`` stood until the document is finished."""

    def __repr__(self) -> str:
        return "!reset"


_RESET = _Reset()


def _strip_resets(value: Any) -> Any:
    """Drop the ``!reset`` placeholders (they only mark paths for the merge)."""
    if isinstance(value, YMap):
        if any(v is _RESET for v in value.values()):
            out = YMap(value.pos)
            for key, item in value.items():
                if item is not _RESET:
                    out.copy_entry(value, key)
            value = out
        for key, item in list(value.items()):
            if isinstance(item, (YMap, YSeq)):
                new = _strip_resets(item)
                if new is not item:
                    dict.__setitem__(value, key, new)
    elif isinstance(value, YSeq):
        for i, item in enumerate(value):
            if isinstance(item, (YMap, YSeq)):
                new = _strip_resets(item)
                if new is not item:
                    value[i] = new
    return value


def read_text(path: str, real_path: str | None = None) -> str:
    """The text of a file, with one clear error when it cannot be read."""
    try:
        data = read_capped(real_path or path, MAX_BYTES)
    except TooLarge:
        raise InputError(f"file is too large (limit {MAX_BYTES:,} bytes)", path) from None
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ParseError("not UTF-8 text", path, line) from None


def parse_documents(text: str, path: str) -> list[Document]:
    """Every document of a YAML stream, built with positions; ``ParseError`` on bad YAML."""
    builder = _Builder(path)
    try:
        docs = builder.run(CParser(text))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        if too_deep(err):
            raise ParseError(f"nesting deeper than {MAX_DEPTH} levels", path, line) from None
        problem = err.problem or err.context or "invalid YAML"
        raise ParseError(f"invalid YAML: {problem}", path, line) from None
    except yaml.YAMLError as err:
        raise ParseError(f"invalid YAML: {err}", path) from None
    for doc in docs:
        if doc.resets:
            doc.tree = _strip_resets(doc.tree)
    return docs


def read_documents(path: str, real_path: str | None = None) -> list[Document]:
    """Read and parse a Compose file (``path`` is how it is named in messages)."""
    return parse_documents(read_text(path, real_path), path)
