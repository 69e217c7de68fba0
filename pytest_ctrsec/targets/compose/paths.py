"""Relative paths made absolute early, for models whose base folder differs from the project's.

A service taken from another file by ``extends`` resolves its paths against that file's folder,
an included project against its own project directory; the rest of the project resolves them
against the project directory when the canonical form is built.
"""

from __future__ import annotations

from typing import Any

from .canonical import expand_path
from .nodes import YMap, YSeq
from .syntax import SyntaxProblem, parse_volume


def _path_value(value: Any, base_dir: str) -> Any:
    return expand_path(value, base_dir) if isinstance(value, str) and value else value


def _volumes(value: Any, base_dir: str) -> Any:
    if not isinstance(value, YSeq):
        return value
    out = YSeq(value.pos)
    for index, item in enumerate(value):
        loc = value.loc(index)
        if isinstance(item, str):
            try:
                parsed = parse_volume(item)
            except SyntaxProblem:
                out.add_from(value, index)
                continue
            if parsed["type"] != "bind":
                out.add_from(value, index)
                continue
            entry = YMap(loc)
            for key, val in parsed.items():
                if isinstance(val, dict):
                    sub = YMap(loc)
                    for k, v in val.items():
                        sub.put(k, v, loc)
                    val = sub
                entry.put(key, val, loc)
            entry.put("source", expand_path(parsed["source"], base_dir), loc)
            out.add(entry, loc, value.raw_of(index), True)
        elif isinstance(item, YMap) and item.get("type") == "bind" and isinstance(item.get("source"), str):
            entry = item.shallow()
            entry.put("source", expand_path(item["source"], base_dir), item.loc("source"))
            out.add(entry, loc)
        else:
            out.add_from(value, index)
    return out


def _env_files(value: Any, base_dir: str) -> Any:
    if isinstance(value, str):
        return expand_path(value, base_dir)
    if not isinstance(value, YSeq):
        return value
    out = YSeq(value.pos)
    for index, item in enumerate(value):
        if isinstance(item, YMap) and isinstance(item.get("path"), str):
            entry = item.shallow()
            entry.put("path", expand_path(item["path"], base_dir), item.loc("path"))
            out.add(entry, value.loc(index))
        elif isinstance(item, str):
            out.add(expand_path(item, base_dir), value.loc(index), item, True)
        else:
            out.add_from(value, index)
    return out


def _build(value: Any, base_dir: str) -> Any:
    if isinstance(value, str):
        return value if "://" in value else expand_path(value, base_dir)
    if isinstance(value, YMap):
        out = value.shallow()
        context = value.get("context", ".")
        if isinstance(context, str) and "://" not in context:
            out.put("context", expand_path(context, base_dir), value.loc("context"))
        return out
    return value


_SERVICE_PATHS = {"volumes": _volumes, "env_file": _env_files, "label_file": _env_files, "build": _build}


def absolutize_service(service: Any, base_dir: str) -> Any:
    if not isinstance(service, YMap):
        return service
    out = service.shallow()
    for key, fix in _SERVICE_PATHS.items():
        if key in service:
            new = fix(service[key], base_dir)
            if new is not service[key]:
                out.put(key, new, service.loc(key), service.raw_of(key), True)
    return out


def absolutize_model(model: YMap, base_dir: str) -> YMap:
    """Every relative path of a model resolved against ``base_dir``."""
    out = model.shallow()
    services = model.get("services")
    if isinstance(services, YMap):
        fixed = services.shallow()
        for name, service in services.items():
            dict.__setitem__(fixed, name, absolutize_service(service, base_dir))
        dict.__setitem__(out, "services", fixed)
    for kind in ("secrets", "configs"):
        resources = model.get(kind)
        if isinstance(resources, YMap):
            fixed = resources.shallow()
            for name, resource in resources.items():
                if isinstance(resource, YMap) and isinstance(resource.get("file"), str):
                    entry = resource.shallow()
                    entry.put("file", _path_value(resource["file"], base_dir), resource.loc("file"))
                    dict.__setitem__(fixed, name, entry)
            dict.__setitem__(out, kind, fixed)
    return out
