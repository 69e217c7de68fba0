"""A small vocabulary to describe the shape of a YAML document, and its checker.

The semantics follow JSON Schema's (types, ``properties``/``patternProperties``/
``additionalProperties``, ``required``, ``oneOf``, ``enum``, unanchored ``pattern``,
``minimum``/``maximum``, ``uniqueItems``) so that a description written with it gives the same
verdicts as the schema it describes, while the messages name the file, the line and the path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .nodes import Pos, YMap, YSeq, dotted

Path = tuple[Any, ...]



class Invalid(Exception):
    """A document that does not have the described shape (message, position, path).

    Raised without position and path by the value that is wrong; each container on the way
    up adds its key and, when still unknown, the position of that key."""

    def __init__(self, message: str, pos: Pos | None = None, path: Path = (), depth: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.path = path
        self.depth = depth  # how far into the value the problem lies (to pick the best)

    def __str__(self) -> str:
        where = dotted(self.path)
        return f"{where}: {self.message}" if where else self.message

    def within(self, key: Any, pos: Pos) -> Invalid:
        self.path = (key,) + self.path
        if self.pos is None:
            self.pos = pos
        return self


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, Sequence):
        return "array"
    return type(value).__name__


_NOUNS = {
    "null": "null", "boolean": "a boolean", "integer": "an integer", "number": "a number",
    "string": "a string", "object": "a mapping", "array": "a list",
}  # fmt: skip


def _has_type(value: Any, kind: str) -> bool:
    actual = json_type(value)
    if actual == kind:
        return True
    if kind == "number":
        return actual == "integer"
    if kind == "integer":
        return actual == "number" and float(value).is_integer()
    return False


def _nouns(kinds: Sequence[str]) -> str:
    words = [_NOUNS.get(k, k) for k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _got(value: Any) -> str:
    kind = json_type(value)
    if kind in ("object", "array", "null"):
        return _NOUNS[kind]
    return f"{_NOUNS.get(kind, kind)} ({value!r})"


def _canon(value: Any) -> Any:
    """A hashable form with JSON equality (1 == 1.0, but true != 1)."""
    if value is True or value is False:
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, Mapping):
        return ("o", frozenset((k, _canon(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("a", tuple(_canon(v) for v in value))
    return ("s", value)


_CLASSES: dict[str, tuple[type, ...]] = {
    "null": (type(None),), "boolean": (bool,), "integer": (int,), "number": (int, float),
    "string": (str,), "object": (dict, YMap), "array": (list, YSeq),
}  # fmt: skip


class Shape:
    """Base: what a value may look like."""

    types: tuple[str, ...] = ()
    _classes: frozenset[type] | None = None

    def accepts_type(self, value: Any) -> bool:
        if not self.types:
            return True
        classes = self._classes
        if classes is None:
            classes = self._classes = frozenset(c for k in self.types for c in _CLASSES.get(k, ()))
        if value.__class__ in classes:
            return True
        return any(_has_type(value, t) for t in self.types)

    def check(self, value: Any) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return _nouns(self.types) if self.types else "any value"

    def type_error(self, value: Any) -> Invalid:
        return Invalid(f"expected {self.describe()}, got {_got(value)}")


class Anything(Shape):
    def check(self, value: Any) -> None:
        return None


class Scalar(Shape):
    """A value of some JSON types, with optional enum, pattern and bounds."""

    def __init__(
        self,
        *types: str,
        enum: Sequence[Any] | None = None,
        pattern: str | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> None:
        self.types = types
        self.enum = tuple(enum) if enum is not None else None
        self.pattern = re.compile(pattern) if pattern else None
        self.minimum = minimum
        self.maximum = maximum
        plain = enum is None and pattern is None and minimum is None and maximum is None
        # classes that are accepted with no further look (the common case, kept fast)
        self.fast = frozenset(c for k in types for c in _CLASSES.get(k, ())) if plain else frozenset()

    def check(self, value: Any) -> None:
        if value.__class__ in self.fast:
            return
        if self.types and not self.accepts_type(value):
            raise self.type_error(value)
        if self.enum is not None and _canon(value) not in {_canon(e) for e in self.enum}:
            allowed = ", ".join(str(e) for e in self.enum)
            raise Invalid(f"must be one of {allowed}; got {value!r}", depth=1)
        if self.pattern is not None and isinstance(value, str) and not self.pattern.search(value):
            raise Invalid(f"{value!r} does not match {self.pattern.pattern!r}", depth=1)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                raise Invalid(f"must be at least {self.minimum:g}; got {value!r}", depth=1)
            if self.maximum is not None and value > self.maximum:
                raise Invalid(f"must be at most {self.maximum:g}; got {value!r}", depth=1)


class Obj(Shape):
    """A mapping: known keys, keys matching patterns, and what other keys may be.

    ``extensions`` allows ``x-*`` keys (most Compose mappings do); ``extra`` is what any other
    key may hold (``None``: no other key allowed). When ``types`` also lists non-object types,
    the key rules apply only when the value is a mapping (as in JSON Schema)."""

    def __init__(
        self,
        props: Mapping[str, Shape] | None = None,
        *,
        patterns: Mapping[str, Shape] | None = None,
        extra: Shape | None = None,
        extensions: bool = True,
        required: Sequence[str] = (),
        types: tuple[str, ...] = ("object",),
    ) -> None:
        self.props = dict(props or {})
        self.patterns = [(re.compile(p), s) for p, s in (patterns or {}).items()]
        self.extensions = extensions
        self.extra = extra
        self.required = tuple(required)
        self.types = types

    def check(self, value: Any) -> None:
        if not isinstance(value, Mapping):
            if self.accepts_type(value):
                return
            raise self.type_error(value)
        props = self.props
        patterns = self.patterns
        for key, item in value.items():
            shape = props.get(key)
            try:
                if shape is not None:
                    shape.check(item)
                    if not patterns:
                        continue
                matched = shape is not None
                for regex, pshape in patterns:
                    if regex.search(key):
                        matched = True
                        pshape.check(item)
                if not matched and not (self.extensions and key.startswith("x-")):
                    if self.extra is None:
                        matched = False
                    else:
                        self.extra.check(item)
                        matched = True
            except Invalid as err:
                raise err.within(key, _pos_of(value, key)) from None
            if not matched and self.extra is None and not (self.extensions and key.startswith("x-")):
                raise Invalid(self.unknown(key), _pos_of(value, key), depth=1)
        for key in self.required:
            if key not in value:
                raise Invalid(f"missing required key {key!r}", _pos_of(value, None), depth=1)

    def unknown(self, key: str) -> str:
        close = difflib.get_close_matches(key, list(self.props), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r}{hint}"


class Arr(Shape):
    types = ("array",)

    def __init__(self, items: Shape, unique: bool = False) -> None:
        self.items = items
        self.unique = unique

    def check(self, value: Any) -> None:
        if not isinstance(value, list):
            raise self.type_error(value)
        item_shape = self.items
        index = 0
        try:
            for index, item in enumerate(value):
                item_shape.check(item)
        except Invalid as err:
            raise err.within(index, _pos_of(value, index)) from None
        if self.unique and len(value) > 1:
            seen: dict[Any, int] = {}
            for index, item in enumerate(value):
                key = _canon(item)
                if key in seen:
                    raise Invalid(f"duplicate item {item!r} (also item {seen[key]})", depth=1).within(
                        index, _pos_of(value, index)
                    )
                seen[key] = index


class OneOf(Shape):
    """Exactly one of the alternatives must fit."""

    def __init__(self, *options: Shape) -> None:
        self.options = options
        self.types = tuple(t for o in options for t in (o.types or ("any",)))

    def describe(self) -> str:
        return _nouns(tuple(dict.fromkeys(self.types)))

    def check(self, value: Any) -> None:
        fits = 0
        best: Invalid | None = None
        for option in self.options:
            if option.types and not option.accepts_type(value):
                continue  # cannot fit: not even of the option's type
            try:
                option.check(value)
                fits += 1
            except Invalid as err:
                if best is None or err.depth >= best.depth:
                    best = Invalid(err.message, err.pos, err.path, err.depth + 1)
        if fits == 1:
            return
        if fits > 1:
            raise Invalid(f"matches more than one allowed form ({self.describe()})", depth=1)
        if best is not None:
            raise best
        raise self.type_error(value)


ANY = Anything()


def t(*types: str, **constraints: Any) -> Scalar:
    return Scalar(*types, **constraints)


def _pos_of(container: Any, key: Any) -> Pos | None:
    if isinstance(container, (YMap, YSeq)):
        return container.pos if key is None else container.loc(key)
    return None


def check_shape(shape: Shape, document: Any) -> None:
    """Raise :class:`Invalid` at the first place ``document`` departs from ``shape``."""
    try:
        shape.check(document)
    except Invalid as err:
        if err.pos is None:
            err.pos = _pos_of(document, None) or ("<input>", 0)
        raise
