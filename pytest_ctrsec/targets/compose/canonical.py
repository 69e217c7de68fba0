"""The canonical long form of a merged service, as ``docker compose config`` prints it.

Short syntaxes become long ones (ports, volumes, secrets, configs, devices, build), lists of
``KEY=value`` become mappings, single strings become lists (``dns``, ``tmpfs``), relative and
``~`` paths are resolved, ``env_file`` files are loaded into ``environment`` and bare
``environment`` names take their value from the project environment. Every entry keeps the
position it was written at (an ``env_file`` variable points into that file).
"""

from __future__ import annotations

import os
import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import InputError, SchemaError
from .envfile import EnvEntry
from .nodes import Pos, YMap, YSeq
from .syntax import (
    SyntaxProblem,
    is_path_source,
    parse_device,
    parse_port,
    parse_volume,
    scalar_text,
    split_key_value,
)

EnvReader = Callable[[str, str, Callable[[str], "str | None"]], "list[EnvEntry] | None"]


@dataclass(frozen=True)
class Context:
    """What canonicalisation needs besides the service: where relative paths start, the
    project environment, and a reader for ``env_file`` files (``None`` when missing)."""

    base_dir: str  # real directory relative paths are resolved against
    shown_dir: str  # the same directory as it is named in messages and locations
    lookup: Callable[[str], "str | None"]
    read_env: EnvReader


def expand_path(path: str, base_dir: str) -> str:
    """``~`` expanded, then made absolute against ``base_dir`` (never touches the disk)."""
    if path.startswith("~"):
        path = os.path.expanduser(path)
    if os.path.isabs(path):
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(base_dir, path))


def _is_remote_context(path: str) -> bool:
    return "://" in path or path.startswith(("git@", "github.com/")) or path.endswith(".git")


def _problem(err: SyntaxProblem, pos: Pos, where: str) -> SchemaError:
    return SchemaError(f"{where}: {err}", pos[0], pos[1] or None)


def _ymap(pos: Pos, items: dict[str, Any] | None = None) -> YMap:
    out = YMap(pos)
    for key, value in (items or {}).items():
        out.put(key, _located(value, pos), pos)
    return out


def _located(value: Any, pos: Pos) -> Any:
    if isinstance(value, (YMap, YSeq)):
        return value
    if isinstance(value, dict):
        return _ymap(pos, value)
    if isinstance(value, list):
        seq = YSeq(pos)
        for item in value:
            seq.add(_located(item, pos), pos)
        return seq
    return value


def _seq(value: Any, pos: Pos) -> YSeq:
    if isinstance(value, YSeq):
        return value
    out = YSeq(pos)
    if value is not None:
        out.add(value, pos)
    return out


def kv_mapping(value: Any, pos: Pos, none_as: str | None = None) -> YMap:
    """``[A=1, B]`` or ``{A: 1, B: null}`` as ``{A: "1", B: none_as}`` with string values."""
    out = YMap(pos)
    if isinstance(value, YMap):
        for key, item in value.items():
            out.put(key, none_as if item is None else scalar_text(item), value.loc(key))
    elif isinstance(value, YSeq):
        for index, item in enumerate(value):
            key, val = split_key_value(str(item))
            out.put(key, none_as if val is None else val, value.loc(index))
    return out


class ServiceCanon:
    """Builds the canonical form of one service."""

    def __init__(self, name: str, service: YMap, ctx: Context) -> None:
        self.name = name
        self.service = service
        self.ctx = ctx

    def where(self, key: str) -> str:
        return f"services.{self.name}.{key}"

    def run(self) -> YMap:
        svc = self.service
        out = YMap(svc.pos)
        handlers = _HANDLERS
        locs = svc.locs
        for key, value in svc.items():
            if key == "extends":
                continue
            loc = locs.get(key, svc.pos)
            handler = handlers.get(key)
            out.put(key, value if handler is None else handler(self, value, loc), loc)
        env = self.environment(svc.get("environment"), svc.get("env_file"), svc.loc("environment"))
        if env is not None:
            out.put("environment", env, svc.loc("environment") if "environment" in svc else svc.loc("env_file"))
        if "networks" not in svc and "network_mode" not in svc and "provider" not in svc:
            out.put("networks", _ymap(svc.pos, {"default": None}), svc.pos)
        if out.get("pull_policy") == "if_not_present":
            out.put("pull_policy", "missing", svc.loc("pull_policy"))
        return out

    # --- keys -------------------------------------------------------------------------
    def c_build(self, value: Any, pos: Pos) -> YMap:
        build = _ymap(pos, {"context": value}) if isinstance(value, str) else value.shallow()
        context = str(build.get("context", "."))
        if not _is_remote_context(context):
            build.put("context", expand_path(context, self.ctx.base_dir), build.loc("context"))
        if "dockerfile" not in build and "dockerfile_inline" not in build:
            build.put("dockerfile", "Dockerfile", pos)
        for key in ("args", "labels", "additional_contexts"):
            if key in build:
                build.put(key, kv_mapping(build[key], build.loc(key)), build.loc(key))
        return build

    def c_command(self, value: Any, pos: Pos) -> Any:
        if isinstance(value, str):
            try:
                return _located(shlex.split(value), pos)
            except ValueError as err:
                raise SchemaError(f"{self.where('command')}: {err}", pos[0], pos[1]) from None
        return value

    c_entrypoint = c_command

    def c_labels(self, value: Any, pos: Pos) -> YMap:
        return kv_mapping(value, pos, none_as="")

    c_annotations = c_labels

    def c_sysctls(self, value: Any, pos: Pos) -> YMap:
        return kv_mapping(value, pos, none_as="")

    def c_dns(self, value: Any, pos: Pos) -> YSeq:
        return _seq(value, pos)

    c_dns_search = c_dns
    c_tmpfs = c_dns

    def c_expose(self, value: Any, pos: Pos) -> YSeq:
        out = YSeq(pos)
        for index, item in enumerate(value):
            out.add(scalar_text(item), value.loc(index))
        return out

    def c_env_file(self, value: Any, pos: Pos) -> YSeq:
        out = YSeq(pos)
        for index, item in enumerate(_seq(value, pos)):
            loc = _seq(value, pos).loc(index)
            entry = _ymap(loc, {"path": item}) if isinstance(item, str) else item.shallow()
            entry.put("path", expand_path(str(entry["path"]), self.ctx.base_dir), entry.loc("path"))
            required = entry.get("required", True)
            entry.put("required", required if isinstance(required, bool) else str(required).lower() == "true", loc)
            out.add(entry, loc)
        return out

    def c_label_file(self, value: Any, pos: Pos) -> YSeq:
        out = YSeq(pos)
        for index, item in enumerate(_seq(value, pos)):
            out.add(expand_path(str(item), self.ctx.base_dir), _seq(value, pos).loc(index))
        return out

    def c_ports(self, value: Any, pos: Pos) -> YSeq:
        out = YSeq(pos)
        for index, item in enumerate(value):
            loc = value.loc(index)
            if isinstance(item, YMap):
                entry = item.shallow()
                entry.put("mode", item.get("mode", "ingress"), loc)
                if "target" in item:
                    entry.put("target", _port_number(item["target"], loc, self.where("ports")), item.loc("target"))
                if "published" in item:
                    entry.put("published", scalar_text(item["published"]), item.loc("published"))
                entry.put("protocol", str(item.get("protocol", "tcp")).lower(), loc)
                out.add(entry, loc)
                continue
            try:
                parsed = parse_port(item)
            except SyntaxProblem as err:
                raise _problem(err, loc, self.where("ports")) from None
            for entry in parsed:
                out.add(_ymap(loc, entry), loc)
        return out

    def c_volumes(self, value: Any, pos: Pos) -> YSeq:
        out = YSeq(pos)
        for index, item in enumerate(value):
            loc = value.loc(index)
            if isinstance(item, YMap):
                entry = item.shallow()
            else:
                try:
                    entry = _ymap(loc, parse_volume(str(item)))
                except SyntaxProblem as err:
                    raise _problem(err, loc, self.where("volumes")) from None
            source = entry.get("source")
            if entry.get("type") == "bind" and isinstance(source, str) and source:
                entry.put("source", expand_path(source, self.ctx.base_dir), entry.loc("source"))
            if isinstance(entry.get("target"), str) and entry["target"]:
                entry.put("target", posixpath.normpath(entry["target"]), entry.loc("target"))
            out.add(entry, loc)
        return out

    def _file_mounts(self, value: Any, pos: Pos, default_dir: str) -> YSeq:
        out = YSeq(pos)
        for index, item in enumerate(value):
            loc = value.loc(index)
            entry = _ymap(loc, {"source": item}) if not isinstance(item, YMap) else item.shallow()
            if "target" not in entry:
                entry.put("target", f"{default_dir}{entry.get('source')}", loc)
            out.add(entry, loc)
        return out

    def c_secrets(self, value: Any, pos: Pos) -> YSeq:
        return self._file_mounts(value, pos, "/run/secrets/")

    def c_configs(self, value: Any, pos: Pos) -> YSeq:
        return self._file_mounts(value, pos, "/")

    def c_devices(self, value: Any, pos: Pos) -> YSeq:
        out = YSeq(pos)
        for index, item in enumerate(value):
            loc = value.loc(index)
            if isinstance(item, YMap):
                entry = item.shallow()
                entry.put("target", item.get("target") or item.get("source"), loc)
                entry.put("permissions", item.get("permissions", "rwm"), loc)
            else:
                try:
                    entry = _ymap(loc, parse_device(str(item)))
                except SyntaxProblem as err:
                    raise _problem(err, loc, self.where("devices")) from None
            out.add(entry, loc)
        return out

    def c_networks(self, value: Any, pos: Pos) -> YMap:
        if isinstance(value, YMap):
            return value
        out = YMap(pos)
        for index, item in enumerate(value):
            out.put(str(item), None, value.loc(index))
        return out

    def c_depends_on(self, value: Any, pos: Pos) -> YMap:
        out = YMap(pos)
        if isinstance(value, YSeq):
            for index, item in enumerate(value):
                out.put(str(item), _ymap(value.loc(index), {"condition": "service_started", "required": True}), value.loc(index))
            return out
        for key, item in value.items():
            entry = item.shallow() if isinstance(item, YMap) else YMap(value.loc(key))
            entry.put("condition", entry.get("condition", "service_started"), value.loc(key))
            entry.put("required", entry.get("required", True), value.loc(key))
            out.put(key, entry, value.loc(key))
        return out

    def c_extra_hosts(self, value: Any, pos: Pos) -> YSeq:
        out = YSeq(pos)
        if isinstance(value, YMap):
            for host, address in value.items():
                for one in address if isinstance(address, list) else [address]:
                    out.add(f"{host}={one}", value.loc(host))
            return out
        for index, item in enumerate(value):
            text = str(item)
            if "=" not in text:
                host, _, address = text.partition(":")
                text = f"{host}={address}"
            out.add(text, value.loc(index))
        return out

    def c_healthcheck(self, value: Any, pos: Pos) -> Any:
        if isinstance(value, YMap) and isinstance(value.get("test"), str):
            check = value.shallow()
            check.put("test", _located(["CMD-SHELL", value["test"]], value.loc("test")), value.loc("test"))
            return check
        return value

    def c_logging(self, value: Any, pos: Pos) -> Any:
        if isinstance(value, YMap) and isinstance(value.get("options"), YMap):
            logging = value.shallow()
            logging.put("options", kv_mapping(value["options"], value.loc("options"), none_as=""), value.loc("options"))
            return logging
        return value

    # --- environment --------------------------------------------------------------------
    def environment(self, env: Any, env_files: Any, pos: Pos) -> YMap | None:
        if env is None and env_files is None:
            return None
        explicit = kv_mapping(env, pos) if env is not None else YMap(pos)
        files_pos = self.service.loc("env_file")
        for key, value in explicit.items():
            if value is None:
                found = self.ctx.lookup(key)
                if found is not None:
                    explicit.put(key, found, explicit.loc(key))
        out = YMap(pos)
        if env_files is not None:
            for entry in self.c_env_file(env_files, files_pos):
                self.load_env_file(entry, explicit, out)
        for key in explicit:
            out.copy_entry(explicit, key)
        return out

    def load_env_file(self, entry: YMap, explicit: YMap, out: YMap) -> None:
        path = str(entry["path"])
        shown = _shown(path, self.ctx)

        def lookup(name: str) -> str | None:
            found = self.ctx.lookup(name)
            return found if found is not None else explicit.get(name)

        entries = self.ctx.read_env(shown, path, lookup)
        if entries is None:
            if entry.get("required", True):
                loc = entry.loc("path")
                raise InputError(f"{self.where('env_file')}: env file {shown} not found", loc[0], loc[1] or None)
            return
        for item in entries:
            out.put(item.key, item.value, (shown, item.line))


# Key -> the method that writes its canonical form (``c_<key>``), looked up once.
_HANDLERS: dict[str, Callable[[ServiceCanon, Any, Pos], Any]] = {
    name[2:]: func for name, func in vars(ServiceCanon).items() if name.startswith("c_")
}


def _shown(real: str, ctx: Context) -> str:
    """A resolved path named relative to the project folder as the user named it."""
    rel = os.path.relpath(real, ctx.base_dir)
    if rel.startswith(".."):
        return real
    return os.path.normpath(os.path.join(ctx.shown_dir, rel))


def _port_number(value: Any, pos: Pos, where: str) -> int:
    try:
        return int(str(value), 10)
    except ValueError:
        raise SchemaError(f"{where}: invalid target port {value!r}", pos[0], pos[1]) from None


def canonical_service(name: str, service: YMap, ctx: Context) -> YMap:
    return ServiceCanon(name, service, ctx).run()


def canonical_resource(kind: str, name: str, value: Any, pos: Pos, ctx: Context, project: str) -> YMap:
    """A top-level network, volume, secret or config with its defaults and resolved paths."""
    out = value.shallow() if isinstance(value, YMap) else YMap(pos)
    external = out.get("external")
    if isinstance(external, YMap):
        if "name" in external and "name" not in out:
            out.put("name", external["name"], external.loc("name"))
        out.put("external", True, out.loc("external"))
    if kind in ("secrets", "configs") and isinstance(out.get("file"), str):
        out.put("file", expand_path(out["file"], ctx.base_dir), out.loc("file"))
    if kind == "volumes":
        _resolve_bind_device(out, ctx)
    if "labels" in out:
        out.put("labels", kv_mapping(out["labels"], out.loc("labels"), none_as=""), out.loc("labels"))
    if "name" not in out:
        out.put("name", name if out.get("external") is True else f"{project}_{name}", pos)
    return out


def _resolve_bind_device(volume: YMap, ctx: Context) -> None:
    opts = volume.get("driver_opts")
    if volume.get("driver", "local") != "local" or not isinstance(opts, YMap):
        return
    device = opts.get("device")
    if isinstance(device, str) and "bind" in str(opts.get("o", "")).split(",") and is_path_source(device):
        new = opts.shallow()
        new.put("device", expand_path(device, ctx.base_dir), opts.loc("device"))
        volume.put("driver_opts", new, volume.loc("driver_opts"))
