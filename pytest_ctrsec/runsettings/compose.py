"""The Compose adapter: one :class:`ComposeService` to :class:`RunSettings`.

Reads the canonical (long-form, interpolated) ``config`` for every setting, and the
uninterpolated ``raw`` for ``environment`` so a rule can tell a literal from a ``${VAR}``
reference. Short syntax is accepted too (ports, volumes, devices, environment lists), so a
service written by hand in a test or by an older loader maps the same way. Nested mappings
are read as ``dict`` (the loader's located ``YMap`` is one), since an ABC ``isinstance`` per
value costs more than the rest of the adapter.

Compose precedence is followed where two keys set one thing: ``deploy.resources.limits``
over ``mem_limit``/``cpus``/``pids_limit``, ``deploy.restart_policy`` over ``restart``
(as ``docker compose up`` does).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import SchemaError
from ..findings import Location
from .imagefacts import LazyPasswd, lookup_image_facts, lookup_passwd
from .inspect import needs_passwd
from .model import ImageFacts, Mount, PortBinding, RunSettings
from .units import parse_bool, parse_bytes, parse_cpus, parse_int

if TYPE_CHECKING:  # the Compose target package imports this adapter
    from ..targets.compose.model import ComposeProject, ComposeService

ImageLookup = Callable[[str], ImageFacts | None]
PasswdLookup = Callable[[str], Mapping[str, int] | None]

# RunSettings field -> the Compose key it is written under, for findings' locations.
_FIELD_KEYS: Mapping[str, str] = {
    "image_ref": "image", "user": "user", "privileged": "privileged", "cap_add": "cap_add",
    "cap_drop": "cap_drop", "security_opt": "security_opt", "read_only": "read_only",
    "mounts": "volumes", "devices": "devices", "network_mode": "network_mode",
    "pid_mode": "pid", "ipc_mode": "ipc", "uts_mode": "uts", "userns_mode": "userns_mode",
    "networks": "networks", "ports": "ports", "healthcheck": "healthcheck",
    "environment": "environment", "logging_driver": "logging", "logging_options": "logging",
    "cpu_shares": "cpu_shares",
}
_RESTART_NAMES = {"none": "no", "": "no", "any": "always"}


def to_run_settings(service: ComposeService, project: ComposeProject | None = None, *,
                    image_lookup: ImageLookup | None = lookup_image_facts,
                    passwd_lookup: PasswdLookup | None = lookup_passwd) -> RunSettings:
    """Normalise one service. ``image_lookup`` gives image facts for a reference (default:
    the local engine, read-only) and ``passwd_lookup`` the image's user names when a name
    must be resolved; ``None`` leaves them unknown. Raises :class:`SchemaError` (with file
    and line) for a value Docker would refuse, such as ``mem_limit: lots``."""
    conf = service.config
    try:
        return _build(service, project, (image_lookup, passwd_lookup), conf)
    except ValueError as err:
        where = service.location
        raise SchemaError(f"service {service.name}: {err}", where.path, where.line) from None


def _build(service: ComposeService, project: ComposeProject | None,
           lookups: tuple[ImageLookup | None, PasswdLookup | None],
           conf: Mapping[str, Any]) -> RunSettings:
    limits = _dig(conf, "deploy", "resources", "limits")
    memory, mem_key = _first(limits, "memory", conf, "mem_limit", parse_bytes)
    pids, pids_key = _first(limits, "pids", conf, "pids_limit", parse_int)
    cpus, cpu_key = _cpu_limit(conf, limits)
    restart, retries, restart_key = _restart(conf)
    image_ref = _str(conf.get("image"))
    user = _str(conf.get("user")) or None  # "" (e.g. an unset ${UID}) means the image's
    user_unset = _unset_user(service.raw.get("user"), user)
    image_unset = _unset_image(service.raw.get("image"), image_ref)
    health, disabled = _healthcheck(conf.get("healthcheck"))
    # The image is only asked about what the service leaves to it, or a user name to resolve.
    inherits = user is None or health is None or needs_passwd(user)
    facts = _facts(service, project, image_ref, lookups) if inherits else None
    if facts is not None and facts.passwd is None and lookups[1] is not None and \
            needs_passwd(user if user is not None else facts.user):
        facts = replace(facts, passwd=LazyPasswd(facts.ref, lookups[1]))
    logging = _dig(conf, "logging")
    env, env_locations = _environment(service.raw.get("environment"),
                                      service.locate("environment"))
    _add_env_files(env, env_locations, conf, project)
    locations = _key_locations(service, mem_key, pids_key, cpu_key, restart_key)
    locations.update(env_locations)
    return RunSettings(
        name=service.name, image_ref=image_ref, image=facts, user=user, user_unset=user_unset,
        image_unset=image_unset,
        image_built=_build_only_policy(conf),
        privileged=parse_bool(conf.get("privileged")),
        cap_add=_strs(conf.get("cap_add")), cap_drop=_strs(conf.get("cap_drop")),
        security_opt=_strs(conf.get("security_opt")),
        read_only=parse_bool(conf.get("read_only")),
        mounts=_mounts(conf.get("volumes"), service, project),
        devices=tuple(_device(d) for d in conf.get("devices") or ()),
        network_mode=_str(conf.get("network_mode")), pid_mode=_str(conf.get("pid")),
        ipc_mode=_str(conf.get("ipc")), uts_mode=_str(conf.get("uts")),
        userns_mode=_str(conf.get("userns_mode")),
        networks=tuple(conf.get("networks") or ()),
        ports=_ports(conf.get("ports"), service.locate("ports")),
        memory_limit=memory, cpu_limit=cpus,
        cpu_shares=parse_int(conf.get("cpu_shares"), "a CPU share count"),
        pids_limit=pids if pids and pids > 0 else None,
        restart_policy=restart, restart_max_retries=retries,
        healthcheck=health, healthcheck_disabled=disabled,
        environment=env,
        logging_driver=_str(logging.get("driver")),
        logging_options={str(k): _str(v) or "" for k, v in
                         (_dig(logging, "options") or {}).items()},
        kind="service", env_syntax="compose",
        location=service.location,
        key_locations=locations,
    )


# --- small readers ---------------------------------------------------------------------

def _dig(conf: Any, *keys: str) -> Mapping[str, Any]:
    """The mapping at ``keys``, or an empty one."""
    for key in keys:
        conf = conf.get(key) if isinstance(conf, dict) else None
    return conf if isinstance(conf, dict) else {}


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strs(values: Any) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, (str, bytes)):
        return (str(values),)
    return tuple(str(v) for v in values)


def _first(primary: Mapping[str, Any], pkey: str, secondary: Mapping[str, Any], skey: str,
           parse: Callable[[Any], Any]) -> tuple[Any, str]:
    """A value from ``deploy.resources.limits`` when set, else from the service key; with
    the top-level key it is written under (for locations)."""
    if primary.get(pkey) is not None:
        return parse(primary[pkey]), "deploy"
    return parse(secondary.get(skey)), skey


def _cpu_limit(conf: Mapping[str, Any], limits: Mapping[str, Any]) -> tuple[float | None, str]:
    cpus, key = _first(limits, "cpus", conf, "cpus", parse_cpus)
    if cpus is not None:
        return cpus, key
    quota = parse_int(conf.get("cpu_quota"), "a CPU quota")
    if quota and quota > 0:
        period = parse_int(conf.get("cpu_period"), "a CPU period") or 100_000
        return quota / period, "cpu_quota"
    return None, key


def _restart(conf: Mapping[str, Any]) -> tuple[str | None, int | None, str]:
    policy = _dig(conf, "deploy", "restart_policy")
    if policy:
        cond = str(policy.get("condition") or "").strip()
        return (_RESTART_NAMES.get(cond, cond),
                parse_int(policy.get("max_attempts"), "a restart count"), "deploy")
    text = _str(conf.get("restart"))
    if text is None:
        return None, None, "restart"
    name, _, count = text.strip().partition(":")
    return (_RESTART_NAMES.get(name, name),
            parse_int(count, "a restart count") if count else None, "restart")


def _healthcheck(spec: Any) -> tuple[tuple[str, ...] | None, bool]:
    """The test command and whether the check is disabled; ``None`` when the service does
    not set a test (the image's applies)."""
    if not isinstance(spec, dict):
        return None, False
    if parse_bool(spec.get("disable")):
        return ("NONE",), True
    test = spec.get("test")
    if test is None:
        return None, False
    command = ("CMD-SHELL", test) if isinstance(test, str) else tuple(str(t) for t in test)
    return command, bool(command) and command[0].upper() == "NONE"


def _environment(env: Any, where: Location
                 ) -> tuple[dict[str, str | None], dict[str, Location]]:
    """``environment`` as a mapping (list form included; ``None`` for pass-through names),
    and where each variable is written (``environment.<NAME>``)."""
    values: dict[str, str | None] = {}
    locations: dict[str, Location] = {}
    if isinstance(env, dict):
        items = [(str(k), None if v is None else _str(v), k) for k, v in env.items()]
    else:
        items = []
        for index, item in enumerate(env or ()):
            name, eq, text = str(item).partition("=")
            items.append((name, text if eq else None, index))
    for name, value, key in items:
        values[name] = value
        locations[f"environment.{name}"] = _at(env, key, where)
    return values, locations


def _unset_user(raw: Any, user: str | None) -> str | None:
    """``user:`` as written when it refers to variables that are not set here, so that its
    user part came out empty (``"${UID}:${GID}"`` -> ``":"``): the deployment supplies them,
    and the effective user is unknown."""
    if not isinstance(raw, str) or "$" not in raw.replace("$$", ""):
        return None
    return raw if not (user or "").partition(":")[0].strip() else None


_BROKEN_REF = re.compile(r"^[/:@]|[/:@]$|//|[/:]:|:@|/@")


def _unset_image(raw: Any, image_ref: str | None) -> str | None:
    """``image:`` as written when it refers to variables that are not set here and came out
    incomplete (``ghcr.io/acme/app:${VERSION}`` -> ``ghcr.io/acme/app:``)."""
    if not isinstance(raw, str) or "$" not in raw.replace("$$", ""):
        return None
    return raw if not image_ref or _BROKEN_REF.search(image_ref.strip()) else None


def _add_env_files(env: dict[str, str | None], locations: dict[str, Location],
                   conf: Mapping[str, Any], project: ComposeProject | None) -> None:
    """Variables an ``env_file`` gives (and ``environment`` does not override), as written
    in that file, so a ``${VAR}`` there stays a reference; where the file is not known, the
    loaded value is taken literally (``$`` escaped)."""
    loaded = conf.get("environment")
    if not conf.get("env_file") or not isinstance(loaded, dict):
        return
    given = [(str(k), v, _at(loaded, k, Location("", 0))) for k, v in loaded.items()
             if str(k) not in env and v is not None]
    files = {where.path for _, _, where in given if where.line}
    written = _env_file_texts(project, files) if project is not None and files else {}
    for name, value, where in given:
        text = written.get((where.path, where.line or 0, name))
        env[name] = text if text is not None else str(value).replace("$", "$$")
        if where.line:
            locations[f"environment.{name}"] = where


def _env_file_texts(project: ComposeProject,
                    files: set[str]) -> dict[tuple[str, int, str], str]:
    """What each line of the env ``files`` says before expansion, by (file, line, name)."""
    return {(s.location.path, s.location.line or 0, s.key): s.value
            for s in project.strings if s.location.path in files}


def _at(node: Any, key: str | int, default: Location) -> Location:
    """Where entry ``key`` of a located YAML node (the loader's ``YMap``/``YSeq``) was
    written, else ``default``."""
    loc = getattr(node, "loc", None)
    if loc is None:
        return default
    path, line = loc(key)
    return Location(path, line) if line else default


def _facts(service: ComposeService, project: ComposeProject | None, image_ref: str | None,
           lookups: tuple[ImageLookup | None, PasswdLookup | None]) -> ImageFacts | None:
    lookup = lookups[0]
    if lookup is None:
        return None
    if image_ref:
        return lookup(image_ref)
    if "build" in service.config and project is not None:
        # What `docker compose build` tags a service that names no image.
        return lookup(f"{project.name}-{service.name}")
    return None


def _key_locations(service: ComposeService, mem_key: str, pids_key: str, cpu_key: str,
                   restart_key: str) -> dict[str, Location]:
    where = service.key_locations
    keys = dict(_FIELD_KEYS, memory_limit=mem_key, pids_limit=pids_key, cpu_limit=cpu_key,
                restart_policy=restart_key, restart_max_retries=restart_key)
    out = {field: where[key] for field, key in keys.items() if key in where}
    return out


# --- devices, ports and mounts ---------------------------------------------------------

def _device(spec: Any) -> str:
    if isinstance(spec, dict):
        return str(spec.get("source", ""))
    return str(spec).split(":", 1)[0]


def _port_range(text: Any) -> int | None:
    """The first port of ``8000`` or ``8000-8010``; ``None`` when empty."""
    first = str(text).strip().split("-", 1)[0] if text is not None else ""
    return int(first) if first else None


def _ports(specs: Any, at: Location) -> tuple[PortBinding, ...]:
    out = []
    for index, spec in enumerate(specs or ()):
        where = _at(specs, index, at)
        if isinstance(spec, dict):
            host_ip = spec.get("host_ip")
            out.append(PortBinding(
                container_port=_port_range(spec.get("target")) or 0,
                protocol=str(spec.get("protocol") or "tcp"),
                host_ip=None if host_ip is None else str(host_ip),
                host_port=_port_range(spec.get("published")), location=where))
        else:
            out.append(_short_port(str(spec), where))
    return tuple(out)


def _short_port(text: str, where: Location) -> PortBinding:
    """``[ip:][host:]container[/proto]``, with IPv6 addresses in brackets or bare."""
    body, _, proto = text.strip().partition("/")
    host_ip: str | None = None
    if body.startswith("["):
        end = body.find("]")
        host_ip, body = body[1:end], body[end + 2:]
        parts = body.split(":")
    else:
        parts = body.rsplit(":", 2)
        if len(parts) == 3:
            host_ip = parts.pop(0)
    container = _port_range(parts[-1]) or 0
    host_port = _port_range(parts[0]) if len(parts) == 2 else None
    return PortBinding(container, proto or "tcp", host_ip, host_port, where)


def _mounts(specs: Any, service: ComposeService,
            project: ComposeProject | None) -> tuple[Mount, ...]:
    where = service.locate("volumes")
    base = str(project.project_dir) if project is not None else None
    volumes = project.volumes if project is not None else {}
    homes = _home_sources(service.raw.get("volumes"), len(specs or ()))
    out = []
    for index, spec in enumerate(specs or ()):
        mount = _long_mount(spec) if isinstance(spec, dict) else _short_mount(str(spec))
        if index in homes:
            mount = replace(mount, source=_as_home(mount.source))
        out.append(_resolve(mount, base, volumes, _at(specs, index, where)))
    return tuple(out)


def _home_sources(raw: Any, count: int) -> set[int]:
    """Indexes of volumes whose source is written from ``~`` (the loader has expanded it
    with the home of whoever runs the checks, which says nothing of the deploying user's)."""
    if not isinstance(raw, list) or len(raw) != count:
        return set()
    out = set()
    for index, spec in enumerate(raw):
        source = spec.get("source") if isinstance(spec, dict) else spec
        if isinstance(source, str) and source.startswith("~"):
            out.add(index)
    return out


def _as_home(source: str | None) -> str | None:
    """An expanded ``~`` path written back from ``~``."""
    home = posixpath.expanduser("~")
    if source and home != "/" and (source == home or source.startswith(home + "/")):
        return "~" + source[len(home):]
    return source


def _long_mount(spec: Mapping[str, Any]) -> Mount:
    bind = _dig(spec, "bind")
    return Mount(type=str(spec.get("type") or "volume"), target=str(spec.get("target", "")),
                 source=_str(spec.get("source")), read_only=parse_bool(spec.get("read_only")),
                 propagation=_str(bind.get("propagation")))


_PROPAGATIONS = frozenset({"shared", "rshared", "slave", "rslave", "private", "rprivate"})


def _short_mount(text: str) -> Mount:
    parts = text.split(":")
    if len(parts) == 1:
        return Mount(type="volume", target=parts[0])
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) > 2 else []
    kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    propagation = next((o for o in options if o in _PROPAGATIONS), None)
    return Mount(type=kind, target=target, source=source, read_only="ro" in options,
                 propagation=propagation)


def _resolve(mount: Mount, base: str | None, volumes: Mapping[str, Mapping[str, Any]],
             where: Location) -> Mount:
    source = mount.source
    device = None
    if mount.type == "bind" and source and not source.startswith(("/", "~")) and base:
        source = posixpath.normpath(posixpath.join(base, source))
    elif mount.type == "volume" and source:
        device = _bind_device(volumes.get(source))
    return Mount(mount.type, mount.target, source, mount.read_only, mount.propagation,
                 device, mount.location or where, base)


def _bind_device(volume: Mapping[str, Any] | None) -> str | None:
    """The host path of a named volume that is a bind in disguise (local driver,
    ``driver_opts: {type: none, o: bind, device: /path}``)."""
    opts = _dig(volume, "driver_opts")
    device = _str(opts.get("device"))
    if not device or not device.startswith("/"):
        return None
    mount_opts = {o.strip() for o in str(opts.get("o") or "").split(",")}
    if str(opts.get("type") or "") == "none" or mount_opts & {"bind", "rbind"}:
        return device
    return None


def _build_only_policy(conf: Mapping[str, Any]) -> str | None:
    """The pull policy under which a service with ``build:`` never pulls its image: ``build``
    always builds it, ``never`` builds it when missing (Compose then never pulls)."""
    policy = str(conf.get("pull_policy") or "")
    return policy if "build" in conf and policy in ("build", "never") else None


__all__: Sequence[str] = ("to_run_settings", "ImageLookup", "PasswdLookup")

