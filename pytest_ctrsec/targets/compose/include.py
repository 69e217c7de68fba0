"""``include``: other Compose projects loaded whole and copied into this one.

Each entry (a path, a list of paths, or ``{path, project_directory, env_file}``) is loaded
as a project of its own: its project directory (the folder of its first file by default)
resolves its relative paths and provides its ``.env``; the including project's variables
win over the included ``.env``. A resource the included project defines that this document
(or an earlier include) also defines differently is an error, as in Compose.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import InputError
from .extends import FileRef, join_ref
from .nodes import YMap, YSeq, plain
from .paths import absolutize_model

KINDS = ("services", "volumes", "networks", "secrets", "configs", "models")


@dataclass(frozen=True)
class Folder:
    shown: str
    real: str

    def join(self, relative: str) -> FileRef:
        return join_ref(self.shown, self.real, relative)


# (files, variables, project folder, include chain) -> the included project's merged model
ModelLoader = Callable[[list[FileRef], dict[str, str], Folder, tuple[str, ...]], YMap]
# (env files, variables) -> variables those files define
EnvLoader = Callable[[list[FileRef], dict[str, str]], dict[str, str]]


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _entry(item: Any) -> tuple[list[str], str | None, list[str] | None]:
    if isinstance(item, YMap):
        env = item.get("env_file")
        return _strings(item.get("path")), item.get("project_directory"), None if env is None else _strings(env)
    return [str(item)], None, None


def apply_includes(
    cfg: YMap,
    file: FileRef,
    folder: Folder,
    variables: dict[str, str],
    load_model: ModelLoader,
    load_env: EnvLoader,
    chain: tuple[str, ...],
) -> YMap:
    """``cfg`` with the resources of its included projects copied in (and no ``include``)."""
    items = cfg.get("include")
    if items is None:
        return cfg
    out = cfg.shallow()
    out.drop("include")
    assert isinstance(items, YSeq)
    for index, item in enumerate(items):
        loc = items.loc(index)
        paths, project_dir, env_files = _entry(item)
        if not paths:
            raise InputError("include: an entry without a path", loc[0], loc[1])
        refs = [folder.join(p) for p in paths]
        for ref in refs:
            if not os.path.isfile(ref.real):
                raise InputError(f"include: {ref.shown}: no such file", loc[0], loc[1])
        if refs[0].real in chain or refs[0].real == file.real:
            cycle = " -> ".join(chain + (file.real, refs[0].real))
            raise InputError(f"include cycle: {cycle}", loc[0], loc[1])
        if project_dir:
            sub = folder.join(project_dir)
            sub_folder = Folder(sub.shown, sub.real)
        else:
            sub_folder = Folder(os.path.dirname(refs[0].shown) or ".", os.path.dirname(refs[0].real))
        env_refs = (
            [folder.join(f) for f in env_files if f != "/dev/null"]
            if env_files is not None
            else [r for r in [sub_folder.join(".env")] if os.path.isfile(r.real)]
        )
        own = load_env(env_refs, variables)
        sub_vars = {**own, **variables}
        model = load_model(refs, sub_vars, sub_folder, chain + (file.real,))
        model = absolutize_model(model, sub_folder.real)
        out = _import(out, model, refs[0])
    return out


def _import(target: YMap, source: YMap, ref: FileRef) -> YMap:
    for kind in KINDS:
        incoming = source.get(kind)
        if not isinstance(incoming, YMap):
            continue
        existing = target.get(kind)
        merged = existing.shallow() if isinstance(existing, YMap) else YMap(incoming.pos)
        for name in incoming:
            if name in merged and plain(merged[name]) != plain(incoming[name]):
                here, there = merged.loc(name), incoming.loc(name)
                raise InputError(
                    f"{kind}.{name} is defined here and differently in included {there[0]}:{there[1]}",
                    here[0],
                    here[1],
                )
            if name not in merged:
                merged.copy_entry(incoming, name)
        if isinstance(existing, YMap):
            target.put(kind, merged, target.loc(kind))
        else:
            target.put(kind, merged, source.loc(kind))
    return target
