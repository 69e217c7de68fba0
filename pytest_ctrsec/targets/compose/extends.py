"""``extends``: a service built on another one, from the same file or another file.

The base is resolved first (chains are followed, a cycle is an error naming the file, the
line and the cycle), cloned, stripped of what the extending document tagged ``!reset`` or
``!override``, then merged with the extending service. A base from another file has its
relative paths resolved against that file's folder, and ``file:`` itself is relative to the
folder of the file that names it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import InputError
from .merge import merge_service, remove_paths
from .nodes import YMap
from .paths import absolutize_service

Path = tuple[Any, ...]


@dataclass(frozen=True)
class FileRef:
    """A Compose file as named to the user (``shown``) and on disk (``real``)."""

    shown: str
    real: str

    def sibling(self, relative: str) -> FileRef:
        """A path written inside this file, relative to this file's folder."""
        return join_ref(os.path.dirname(self.shown), os.path.dirname(self.real), relative)


def join_ref(shown_dir: str, real_dir: str, relative: str) -> FileRef:
    """``relative`` under a folder known by two names (as shown, on disk)."""
    if os.path.isabs(relative):
        return FileRef(relative, relative)
    shown = os.path.normpath(os.path.join(shown_dir or ".", relative))
    return FileRef(shown, os.path.normpath(os.path.join(real_dir, relative)))


# Reads the services of another file (interpolated, validated, merged over its documents).
SourceReader = Callable[[FileRef], YMap]


class ExtendsResolver:
    def __init__(self, read_services: SourceReader, marks: Sequence[Path]) -> None:
        self.read_services = read_services
        self.marks = marks  # !reset / !override paths of the extending document
        self.done: dict[tuple[str, str], YMap] = {}

    def resolve(self, name: str, services: YMap, file: FileRef, chain: tuple[tuple[FileRef, str], ...]) -> Any:
        service = services[name]
        if not isinstance(service, YMap) or "extends" not in service:
            return service
        if (file.real, name) in self.done:
            return self.done[(file.real, name)]
        ext = service["extends"]
        loc = service.loc("extends")
        ref, other = (ext, None) if isinstance(ext, str) else (ext.get("service"), ext.get("file"))
        link = (file, name)
        if any(f.real == file.real and n == name for f, n in chain):
            cycle = " -> ".join(f"{n} ({f.shown})" for f, n in chain + (link,))
            raise InputError(f"services.{name}.extends: circular reference: {cycle}", loc[0], loc[1])
        chain = chain + (link,)
        if other:
            target = file.sibling(str(other))
            try:
                base_services = self.read_services(target)
            except InputError as err:
                if err.path == target.shown and err.line is None:
                    raise InputError(f"services.{name}.extends: {target.shown}: {err.message}", loc[0], loc[1]) from None
                raise
            if str(ref) not in base_services:
                raise InputError(
                    f"services.{name}.extends: service {ref!r} not found in {target.shown}", loc[0], loc[1]
                )
            base = self.resolve(str(ref), base_services, target, chain)
            base = absolutize_service(base, os.path.dirname(target.real))
        else:
            if str(ref) not in services:
                raise InputError(f"services.{name}.extends: service {ref!r} not found in {file.shown}", loc[0], loc[1])
            base = self.resolve(str(ref), services, file, chain)
        if not isinstance(base, YMap):
            base = YMap(service.pos)
        own = [m[2:] for m in self.marks if len(m) > 2 and m[0] == "services" and m[1] == name]
        merged = merge_service(remove_paths(base, own), service, ("services", name))
        merged = merged.shallow()
        merged.drop("extends")
        self.done[(file.real, name)] = merged
        return merged


def apply_extends(cfg: YMap, file: FileRef, read_services: SourceReader, marks: Sequence[Path]) -> YMap:
    """``cfg`` with every service's ``extends`` resolved."""
    services = cfg.get("services")
    if not isinstance(services, YMap):
        return cfg
    if not any(isinstance(s, YMap) and "extends" in s for s in services.values()):
        return cfg
    resolver = ExtendsResolver(read_services, marks)
    fixed = services.shallow()
    for name in services:
        dict.__setitem__(fixed, name, resolver.resolve(name, services, file, ()))
    out = cfg.shallow()
    dict.__setitem__(out, "services", fixed)
    return out
