"""The merged filesystem of an image: a path-component trie of entries (no file data except
the few captured small files).

Layers are applied bottom-up with the OCI rules: a layer's whiteouts and opaque markers hide
lower-layer entries before its own entries land; a non-directory replaces a whole subtree;
a directory over a directory only changes attributes. Every walk is iterative, so very deep
trees cannot exhaust Python's stack.
"""

from __future__ import annotations

import posixpath
import re
import stat
from collections.abc import Iterable, Iterator
from typing import NamedTuple

MAX_SYMLINK_HOPS = 40


class Entry(NamedTuple):
    """One filesystem entry. ``mode`` holds permission bits with setuid/setgid/sticky;
    ``linkname`` is a symlink's target, or for a hardlinked file the path it is linked to;
    ``data`` the captured bytes (small inventory and account files only); ``hits`` the kinds
    of secret content found while streaming (``private-key``, ``aws-access-key`` ...)."""

    kind: str  # file, dir, symlink, char, block, fifo
    mode: int
    uid: int
    gid: int
    size: int
    linkname: str = ""
    mtime: int = 0
    layer: int = -1
    data: bytes | None = None
    hits: tuple[str, ...] = ()

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_symlink(self) -> bool:
        return self.kind == "symlink"

    @property
    def filemode(self) -> str:
        """``ls -l`` style, e.g. ``-rwsr-xr-x``."""
        kind_bits = {"file": stat.S_IFREG, "dir": stat.S_IFDIR, "symlink": stat.S_IFLNK,
                     "char": stat.S_IFCHR, "block": stat.S_IFBLK, "fifo": stat.S_IFIFO}
        return stat.filemode(kind_bits.get(self.kind, stat.S_IFREG) | self.mode)


IMPLICIT_DIR = Entry("dir", 0o755, 0, 0, 0)


class _Node:
    __slots__ = ("entry", "children")

    def __init__(self, entry: Entry | None) -> None:
        self.entry = entry
        self.children: dict[str, _Node] | None = {} if entry is None or entry.is_dir else None


def _as_dir(node: _Node) -> _Node:
    if node.children is None:
        node.children = {}
        node.entry = IMPLICIT_DIR
    return node


def split(path: str) -> list[str]:
    """Components of a normalised relative path (``""`` is the root)."""
    return [p for p in path.split("/") if p] if path else []


class FileIndex:
    """Merged view of all layers, with look-ups that resolve symlinks inside the image."""

    def __init__(self) -> None:
        self._root = _Node(Entry("dir", 0o755, 0, 0, 0))

    # -- building ------------------------------------------------------------------------

    def _walk_create(self, parts: list[str]) -> _Node:
        """The directory node at ``parts``, created as needed; a non-directory met on the
        way (the last one included) gives way to an implicit directory, as a file written
        under a non-directory replaces it."""
        node = self._root
        for name in parts:
            node = _as_dir(node)
            assert node.children is not None
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = _Node(None)
            node = child
        return _as_dir(node)

    def _find(self, parts: list[str]) -> _Node | None:
        node: _Node | None = self._root
        for name in parts:
            if node is None or node.children is None:
                return None
            node = node.children.get(name)
        return node

    def add(self, path: str, entry: Entry) -> None:
        """Put ``entry`` at ``path`` (a layer's own entry, over what lower layers had)."""
        parts = split(path)
        if not parts:
            if entry.is_dir:
                self._root.entry = entry
            return
        parent = self._walk_create(parts[:-1])
        assert parent.children is not None
        old = parent.children.get(parts[-1])
        if entry.is_dir and old is not None and old.children is not None:
            old.entry = entry  # directory over directory: attributes only
        else:
            parent.children[parts[-1]] = _Node(entry)

    def remove(self, path: str) -> None:
        """A whiteout: drop ``path`` and everything below it."""
        parts = split(path)
        parent = self._find(parts[:-1]) if parts else None
        if parent is not None and parent.children:
            parent.children.pop(parts[-1], None)

    def make_opaque(self, path: str) -> None:
        """An opaque directory: hide every lower-layer child of ``path``."""
        node = self._find(split(path))
        if node is not None and node.children is not None:
            node.children = {}

    # -- reading -------------------------------------------------------------------------

    def walk(self, top: str = "") -> Iterator[tuple[str, Entry]]:
        """Every entry below ``top`` (not ``top`` itself), parents before children, sorted."""
        start = self._find(split(top))
        if start is None or start.children is None:
            return
        stack: list[tuple[str, _Node]] = [
            (posixpath.join(top, k) if top else k, n) for k, n in sorted(
                start.children.items(), reverse=True)]
        while stack:
            path, node = stack.pop()
            yield path, node.entry or IMPLICIT_DIR
            if node.children:
                stack.extend((path + "/" + k, n) for k, n in sorted(node.children.items(),
                                                                       reverse=True))

    def __iter__(self) -> Iterator[tuple[str, Entry]]:
        return self.walk("")

    def __len__(self) -> int:
        return sum(1 for _ in self.walk(""))

    def lstat(self, path: str) -> Entry | None:
        """The entry at ``path`` without following a final symlink (parents are resolved)."""
        resolved = self.resolve(path, follow=False)
        return None if resolved is None else resolved[1]

    def stat(self, path: str) -> Entry | None:
        """The entry at ``path``, following symlinks."""
        resolved = self.resolve(path, follow=True)
        return None if resolved is None else resolved[1]

    def realpath(self, path: str, follow: bool = True) -> str | None:
        resolved = self.resolve(path, follow)
        return None if resolved is None else resolved[0]

    def resolve(self, path: str, follow: bool = True) -> tuple[str, Entry] | None:
        """``(real path, entry)`` for ``path`` as seen inside the image (symlinks resolved
        within the image root, at most :data:`MAX_SYMLINK_HOPS`), or ``None`` when it does
        not exist, loops or dangles."""
        todo = split(path.lstrip("/"))
        todo.reverse()
        done: list[str] = []
        nodes: list[_Node] = [self._root]
        hops = 0
        while todo:
            name = todo.pop()
            if name == ".":
                continue
            if name == "..":
                if done:
                    done.pop()
                    nodes.pop()
                continue
            node = nodes[-1]
            child = node.children.get(name) if node.children is not None else None
            if child is None:
                return None
            entry = child.entry or IMPLICIT_DIR
            if entry.is_symlink and (todo or follow):
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    return None
                target = split(entry.linkname)
                if entry.linkname.startswith("/"):
                    done, nodes = [], [self._root]
                todo.extend(reversed(target))
                continue
            done.append(name)
            nodes.append(child)
        last = nodes[-1]
        return "/".join(done), (last.entry or IMPLICIT_DIR)

    def data(self, path: str) -> bytes | None:
        """Captured bytes of the file at ``path`` (symlinks followed), if captured."""
        entry = self.stat(path)
        return entry.data if entry is not None and entry.is_file else None

    def glob(self, pattern: str) -> Iterator[tuple[str, Entry]]:
        """Entries whose path matches a shell glob (``**`` crosses directories)."""
        regex = glob_regex(pattern)
        fixed = _literal_prefix(pattern.lstrip("/"))
        for path, entry in self.walk(fixed):
            if regex.fullmatch(path):
                yield path, entry

    def entries(self) -> list[tuple[str, Entry]]:
        return list(self.walk(""))

    @classmethod
    def from_entries(cls, items: Iterable[tuple[str, Entry]]) -> FileIndex:
        """Rebuild from :meth:`entries` (parents before children)."""
        index = cls()
        for path, entry in items:
            parts = split(path)
            parent = index._walk_create(parts[:-1])
            assert parent.children is not None
            old = parent.children.get(parts[-1])
            if old is not None and entry.is_dir and old.children is not None:
                old.entry = entry
            else:
                parent.children[parts[-1]] = _Node(entry)
        return index


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex over relative paths: ``*`` and ``?`` stay in one component, ``**``
    matches any number of components."""
    pattern = pattern.lstrip("/")
    out: list[str] = []
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append("(?:.*)" if last else "(?:[^/]+/)*")
            continue
        out.append(_component_regex(part) + ("" if last else "/"))
    return re.compile("".join(out), re.S)


def _component_regex(part: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(part):
        c = part[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in part[i + 2:] or c == "[" and part[i + 1:i + 2] == "]":
            end = part.index("]", i + 2)
            body = part[i + 1:end]
            neg = body.startswith("!")
            body = body[1:] if neg else body
            out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _literal_prefix(pattern: str) -> str:
    """The leading directories of a glob that hold no wildcard."""
    keep: list[str] = []
    for part in pattern.split("/")[:-1]:
        if any(c in part for c in "*?["):
            break
        keep.append(part)
    return "/".join(keep)
