"""Located YAML containers: plain ``dict``/``list`` that also know where each entry was written.

Every stage of the loader (interpolation, merge, ``extends``, canonical form) passes these
along, so a value keeps its file and line through all of them. ``raws`` remembers, for an
entry that a stage rewrote (a ``${VAR}`` interpolated, a short syntax expanded), what was
written in the file; :func:`raw_view` puts those back to give the uninterpolated model.
The trees are never changed in place once built: stages build new containers and share the
untouched ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...findings import Location

Pos = tuple[str, int]  # (file as shown to the user, 1-based line)
NOWHERE: Pos = ("<input>", 0)


class YMap(dict[str, Any]):
    """A mapping with the position of each key (``locs``) and of itself (``pos``)."""

    __slots__ = ("locs", "raws", "pos")

    def __init__(self, pos: Pos = NOWHERE) -> None:
        # dict.__init__ is not called: with no arguments it has nothing to do
        self.locs: dict[str, Pos] = {}
        self.raws: dict[str, Any] | None = None
        self.pos = pos

    def put(self, key: str, value: Any, loc: Pos, raw: Any = None, has_raw: bool = False) -> None:
        """Set ``key`` with where it was written and, when it was rewritten, its raw value."""
        self[key] = value
        self.locs[key] = loc
        if has_raw:
            if self.raws is None:
                self.raws = {}
            self.raws[key] = raw
        elif self.raws is not None:
            self.raws.pop(key, None)

    def copy_entry(self, src: YMap, key: str) -> None:
        """Copy ``key`` of ``src`` with its position and raw value."""
        raws = src.raws
        if raws is not None and key in raws:
            self.put(key, src[key], src.locs.get(key, src.pos), raws[key], True)
        else:
            self.put(key, src[key], src.locs.get(key, src.pos))

    def raw_of(self, key: str) -> Any:
        """What was written for ``key`` before any rewriting."""
        if self.raws is not None and key in self.raws:
            return self.raws[key]
        return self[key]

    def loc(self, key: str) -> Pos:
        return self.locs.get(key, self.pos)

    def location(self, key: str) -> Location:
        path, line = self.loc(key)
        return Location(path, line or None)

    def drop(self, key: str) -> None:
        self.pop(key, None)
        self.locs.pop(key, None)
        if self.raws is not None:
            self.raws.pop(key, None)

    def shallow(self) -> YMap:
        """A copy of this level only (children shared)."""
        out = YMap(self.pos)
        out.update(self)
        out.locs = dict(self.locs)
        out.raws = dict(self.raws) if self.raws else None
        return out


class YSeq(list[Any]):
    """A sequence with the position of each item (``locs``) and of itself (``pos``)."""

    __slots__ = ("locs", "raws", "pos")

    def __init__(self, pos: Pos = NOWHERE) -> None:
        self.locs: list[Pos] = []
        self.raws: dict[int, Any] | None = None
        self.pos = pos

    def add(self, value: Any, loc: Pos, raw: Any = None, has_raw: bool = False) -> None:
        if has_raw:
            if self.raws is None:
                self.raws = {}
            self.raws[len(self)] = raw
        self.append(value)
        self.locs.append(loc)

    def add_from(self, src: YSeq, index: int) -> None:
        """Append item ``index`` of ``src`` with its position and raw value."""
        raws = src.raws
        loc = src.locs[index] if index < len(src.locs) else src.pos
        if raws is not None and index in raws:
            self.add(src[index], loc, raws[index], True)
        else:
            self.add(src[index], loc)

    def set_item(self, index: int, src: YSeq, src_index: int) -> None:
        """Replace item ``index`` by item ``src_index`` of ``src``."""
        self[index] = src[src_index]
        self.locs[index] = src.locs[src_index] if src_index < len(src.locs) else src.pos
        if self.raws is not None:
            self.raws.pop(index, None)
        if src.raws is not None and src_index in src.raws:
            if self.raws is None:
                self.raws = {}
            self.raws[index] = src.raws[src_index]

    def loc(self, index: int) -> Pos:
        return self.locs[index] if 0 <= index < len(self.locs) else self.pos

    def raw_of(self, index: int) -> Any:
        if self.raws is not None and index in self.raws:
            return self.raws[index]
        return self[index]


_LOCATIONS: dict[Pos, Location] = {}


def to_location(pos: Pos) -> Location:
    """The :class:`Location` of a position (shared: many keys have the same one)."""
    found = _LOCATIONS.get(pos)
    if found is None:
        if len(_LOCATIONS) > 100_000:
            _LOCATIONS.clear()
        found = _LOCATIONS[pos] = Location(pos[0], pos[1] or None)
    return found


def seq_of(items: Iterable[tuple[Any, Pos]], pos: Pos) -> YSeq:
    out = YSeq(pos)
    for value, loc in items:
        out.add(value, loc)
    return out


def raw_view(value: Any) -> Any:
    """The tree as written: rewritten entries replaced by their raw values (located).
    Subtrees with nothing rewritten are returned as they are (shared)."""
    if isinstance(value, YMap):
        raws = value.raws
        changed: dict[str, Any] = {}
        for key, item in value.items():
            if raws is not None and key in raws:
                changed[key] = raws[key]
            elif isinstance(item, (YMap, YSeq)):
                new = raw_view(item)
                if new is not item:
                    changed[key] = new
        if not changed:
            return value
        out = YMap(value.pos)
        out.update(value)
        out.update(changed)
        out.locs = value.locs
        return out
    if isinstance(value, YSeq):
        raws_s = value.raws
        seq: YSeq | None = None
        for i, item in enumerate(value):
            if raws_s is not None and i in raws_s:
                new = raws_s[i]
            elif isinstance(item, (YMap, YSeq)):
                new = raw_view(item)
            else:
                continue
            if new is not item:
                if seq is None:
                    seq = YSeq(value.pos)
                    seq.extend(value)
                    seq.locs = value.locs
                seq[i] = new
        return value if seq is None else seq
    return value


def plain(value: Any) -> Any:
    """Plain ``dict``/``list`` copies (for comparisons and JSON)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def dotted(path: Iterable[str | int]) -> str:
    """``("services", "web", "ports", 0)`` -> ``services.web.ports[0]``."""
    out = ""
    for part in path:
        if part.__class__ is str:
            out = f"{out}.{part}" if out else part
        else:
            out += f"[{part}]"
    return out
