"""Merging Compose documents (``-f a -f b``, ``extends``) with the specification's rules.

Mappings merge key by key; sequences append; ``command``, ``entrypoint`` and
``healthcheck.test`` are replaced; ``ports``, ``volumes``, ``secrets``, ``configs`` and
``devices`` merge by their unique key (the later entry replaces the earlier one in place);
``environment``, ``labels``, ``extra_hosts``, ``sysctls``... merge as mappings whatever syntax
each side uses; ``cap_add``, ``dns``, ``security_opt``... append without duplicates;
``logging`` merges only when the driver is the same. ``!reset`` removes a value from what is
merged into, ``!override`` replaces it whole. Inputs are never changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...errors import SchemaError
from .nodes import Pos, YMap, YSeq, dotted
from .syntax import device_key, file_mount_key, port_key, split_key_value, volume_key

Path = tuple[Any, ...]
Merger = Callable[[Any, Any, Pos, Path], Any]

RESOURCES = ("networks", "volumes", "secrets", "configs", "models")


def _conflict(path: Path, pos: Pos, base: Any, over: Any) -> SchemaError:
    kinds = {dict: "a mapping", list: "a list"}
    def kind(v: Any) -> str:
        return next((n for t, n in kinds.items() if isinstance(v, t)), "a value")
    return SchemaError(f"cannot override {dotted(path)}: {kind(base)} with {kind(over)}", pos[0], pos[1])


def as_seq(value: Any, pos: Pos) -> YSeq:
    """A string, list or ``{key: value}`` mapping as a list (``key=value`` items)."""
    if isinstance(value, YSeq):
        return value
    out = YSeq(pos)
    if isinstance(value, YMap):
        for key, item in value.items():
            out.add(key if item is None else f"{key}={item}", value.loc(key))
    elif isinstance(value, list):
        for item in value:
            out.add(item, pos)
    elif value is not None:
        out.add(value, pos)
    return out


def as_map(value: Any, pos: Pos, default: Callable[[], Any] | None = None) -> YMap:
    """A ``KEY=value`` list (or a list of names) as a mapping; a mapping as it is."""
    if isinstance(value, YMap):
        return value
    out = YMap(pos)
    seq = as_seq(value, pos)
    for index, item in enumerate(seq):
        text = str(item)
        if default is not None:
            out.put(text, default(), seq.loc(index))
            continue
        key, val = split_key_value(text)
        raw = seq.raw_of(index)
        if raw is not item and isinstance(raw, str):
            out.put(key, val, seq.loc(index), split_key_value(raw)[1], True)
        else:
            out.put(key, val, seq.loc(index))
    return out


def extra_hosts_map(value: Any, pos: Pos) -> YMap:
    """``extra_hosts`` in any syntax as ``{host: address or [addresses]}``."""
    if isinstance(value, YMap):
        return value
    out = YMap(pos)
    seq = as_seq(value, pos)
    for index, item in enumerate(seq):
        text = str(item)
        sep = "=" if "=" in text else ":"
        host, _, address = text.partition(sep)
        out.put(host, address, seq.loc(index))
    return out


def merge_mappings(base: YMap, over: YMap, path: Path, keep_base_locs: bool = False) -> YMap:
    out = base.shallow()
    for key in over:
        if key not in base:
            out.copy_entry(over, key)
            continue
        merged = merge_value(base[key], over[key], over.loc(key), path + (key,))
        loc = base.loc(key) if keep_base_locs else over.loc(key)
        if merged is over[key]:
            raws = over.raws
            has_raw = raws is not None and key in raws
            out.put(key, merged, loc, raws[key] if has_raw else None, has_raw)
        else:
            out.put(key, merged, loc)
    return out


def _generic(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    if over is None:
        return base
    if isinstance(base, YMap):
        if not isinstance(over, YMap):
            raise _conflict(path, pos, base, over)
        return merge_mappings(base, over, path)
    if isinstance(base, YSeq):
        if not isinstance(over, YSeq):
            raise _conflict(path, pos, base, over)
        return unique_append(base, over, None)
    return over


def _replace(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    return over


def unique_append(base: YSeq, over: YSeq, key: Callable[[Any], Any] | None) -> YSeq:
    """``base`` then ``over``; with a ``key``, a later item replaces an earlier one in place."""
    out = YSeq(base.pos)
    if key is None:
        for index in range(len(base)):
            out.add_from(base, index)
        for index in range(len(over)):
            out.add_from(over, index)
        return out
    where: dict[Any, int] = {}
    for src in (base, over):
        for index, item in enumerate(src):
            k = _hashable(key(item))
            if k in where:
                out.set_item(where[k], src, index)
            else:
                where[k] = len(out)
                out.add_from(src, index)
    return out


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _same(item: Any) -> Any:
    return item


def _keyed(key: Callable[[Any], Any]) -> Merger:
    def merge(base: Any, over: Any, pos: Pos, path: Path) -> Any:
        return unique_append(as_seq(base, pos), as_seq(over, pos), key)

    return merge


def _as_mappings(convert: Callable[[Any, Pos], YMap]) -> Merger:
    def merge(base: Any, over: Any, pos: Pos, path: Path) -> Any:
        if over is None:
            return base
        return merge_mappings(convert(base, pos), convert(over, pos), path)

    return merge


def _depends_default() -> YMap:
    out = YMap()
    out.put("condition", "service_started", out.pos)
    out.put("required", True, out.pos)
    return out


def _depends_map(value: Any, pos: Pos) -> YMap:
    return as_map(value, pos, _depends_default)


def _names_map(value: Any, pos: Pos) -> YMap:
    return as_map(value, pos, lambda: None)


def _env_file_key(item: Any) -> Any:
    return item.get("path") if isinstance(item, dict) else item


def _key_value_key(item: Any) -> Any:
    return split_key_value(item)[0] if isinstance(item, str) else item


def _logging(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    if isinstance(base, YMap) and isinstance(over, YMap):
        if "driver" in base and "driver" in over and base["driver"] != over["driver"]:
            return over
    return _generic(base, over, pos, path)


def _build_map(value: Any, pos: Pos) -> YMap:
    if isinstance(value, YMap):
        return value
    out = YMap(pos)
    out.put("context", value, pos)
    return out


def _build(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    return merge_with(_build_map(base, pos), _build_map(over, pos), path, BUILD_RULES)


def _ulimits(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    if not (isinstance(base, YMap) and isinstance(over, YMap)):
        return _generic(base, over, pos, path)
    out = base.shallow()
    for key in over:
        if key in base and isinstance(base[key], YMap) and isinstance(over[key], YMap):
            out.put(key, merge_mappings(base[key], over[key], path + (key,)), over.loc(key))
        else:
            out.copy_entry(over, key)
    return out


def _healthcheck(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    if isinstance(base, YMap) and isinstance(over, YMap):
        return merge_with(base, over, path, {"test": _replace})
    return _generic(base, over, pos, path)


def merge_with(base: YMap, over: YMap, path: Path, rules: dict[str, Merger]) -> YMap:
    out = base.shallow()
    for key in over:
        if key not in base:
            out.copy_entry(over, key)
            continue
        rule = rules.get(key, _generic)
        merged = rule(base[key], over[key], over.loc(key), path + (key,))
        if merged is over[key]:
            out.copy_entry(over, key)
        else:
            out.put(key, merged, over.loc(key))
    return out


_UNIQUE = _keyed(_same)
_KV_MAP = _as_mappings(as_map)

BUILD_RULES: dict[str, Merger] = {
    "args": _KV_MAP, "labels": _KV_MAP, "additional_contexts": _KV_MAP,
    "extra_hosts": _as_mappings(extra_hosts_map), "tags": _UNIQUE, "platforms": _UNIQUE,
    "cache_from": _UNIQUE, "cache_to": _UNIQUE, "secrets": _keyed(lambda i: file_mount_key(i, "/run/secrets")),
    "ulimits": _ulimits,
}  # fmt: skip

SERVICE_RULES: dict[str, Merger] = {
    "command": _replace,
    "entrypoint": _replace,
    "extends": _replace,
    "healthcheck": _healthcheck,
    "build": _build,
    "environment": _KV_MAP,
    "labels": _KV_MAP,
    "annotations": _KV_MAP,
    "sysctls": _KV_MAP,
    "extra_hosts": _as_mappings(extra_hosts_map),
    "ulimits": _ulimits,
    "logging": _logging,
    "depends_on": _as_mappings(_depends_map),
    "networks": _as_mappings(_names_map),
    "models": _as_mappings(_names_map),
    "ports": _keyed(port_key),
    "volumes": _keyed(volume_key),
    "secrets": _keyed(lambda item: file_mount_key(item, "/run/secrets")),
    "configs": _keyed(lambda item: file_mount_key(item, "/")),
    "devices": _keyed(device_key),
    "env_file": _keyed(_env_file_key),
    "label_file": _UNIQUE,
    "cap_add": _UNIQUE,
    "cap_drop": _UNIQUE,
    "dns": _UNIQUE,
    "dns_opt": _keyed(_key_value_key),
    "dns_search": _UNIQUE,
    "security_opt": _UNIQUE,
    "expose": _keyed(str),
    "group_add": _UNIQUE,
    "links": _UNIQUE,
    "external_links": _UNIQUE,
    "volumes_from": _UNIQUE,
    "device_cgroup_rules": _UNIQUE,
    "profiles": _UNIQUE,
    "tmpfs": _UNIQUE,
}


def merge_service(base: Any, over: Any, path: Path) -> Any:
    if not isinstance(base, YMap) or not isinstance(over, YMap):
        return over if over is not None else base
    return merge_with(base, over, path, SERVICE_RULES)


def _merge_ipam_config(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    if isinstance(base, YSeq) and isinstance(over, YSeq):
        return unique_append(base, over, lambda i: i.get("subnet") if isinstance(i, dict) else i)
    return _generic(base, over, pos, path)


RESOURCE_RULES: dict[str, Merger] = {"labels": _KV_MAP}


def merge_resource(base: Any, over: Any, path: Path) -> Any:
    if not isinstance(base, YMap) or not isinstance(over, YMap):
        return over if over is not None else base
    out = merge_with(base, over, path, RESOURCE_RULES)
    ipam_b, ipam_o = base.get("ipam"), over.get("ipam")
    if isinstance(ipam_b, YMap) and isinstance(ipam_o, YMap):
        out.put("ipam", merge_with(ipam_b, ipam_o, path + ("ipam",), {"config": _merge_ipam_config}), over.loc("ipam"))
    return out


def merge_value(base: Any, over: Any, pos: Pos, path: Path) -> Any:
    """Merge ``over`` onto ``base`` at ``path`` (a tuple of keys from the document root)."""
    if len(path) == 2 and path[0] == "services":
        return merge_service(base, over, path)
    if len(path) == 2 and path[0] in RESOURCES:
        return merge_resource(base, over, path)
    if len(path) == 1 and path[0] in ("services",) + RESOURCES:
        if isinstance(base, YMap) and isinstance(over, YMap):
            return merge_mappings(base, over, path, keep_base_locs=True)
    return _generic(base, over, pos, path)


def remove_paths(tree: YMap, paths: Iterable[Path]) -> YMap:
    """``tree`` without the values at ``paths`` (the ``!reset``/``!override`` marks)."""
    for path in paths:
        tree = _remove(tree, path)
    return tree


def _remove(node: Any, path: Path) -> Any:
    if not path or not isinstance(node, YMap) or path[0] not in node:
        return node
    key = path[0]
    out = node.shallow()
    if len(path) == 1:
        out.drop(key)
        return out
    child = _remove(node[key], path[1:])
    if child is not node[key]:
        dict.__setitem__(out, key, child)
    return out


def merge_documents(base: YMap, over: YMap, resets: Iterable[Path] = (), overrides: Iterable[Path] = ()) -> YMap:
    """The model of ``base`` overridden by the document ``over`` (with its tags)."""
    base = remove_paths(base, list(resets) + list(overrides))
    out = base.shallow()
    for key in over:
        if key in base:
            merged = merge_value(base[key], over[key], over.loc(key), (key,))
            loc = base.loc(key) if key in ("services",) + RESOURCES else over.loc(key)
            if merged is over[key]:
                out.copy_entry(over, key)
                out.locs[key] = loc
            else:
                out.put(key, merged, loc)
        else:
            out.copy_entry(over, key)
    return out
