"""Load a Compose project the way ``docker compose -f a -f b config`` does, without Docker.

Order of work, per document of each file: parse (:mod:`.yamlread`), interpolate
(:mod:`.interpolate`), validate the structure (:mod:`.spec`), copy ``include`` projects in
(:mod:`.include`), resolve ``extends`` (:mod:`.extends`), merge into the model so far
(:mod:`.merge`). Then: profiles select the active services, each gets its canonical form
(:mod:`.canonical`), and the references between them are checked (:mod:`.consistency`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import InputError, SchemaError
from ...findings import Location
from .canonical import Context, canonical_resource, canonical_service
from .consistency import check_secrets, check_service
from .envfile import EnvEntry, parse_env
from .extends import FileRef, apply_extends
from .include import Folder, apply_includes
from .interpolate import interpolate
from .merge import RESOURCES, merge_documents
from .model import ComposeProject, ComposeService, SourceString
from .nodes import YMap, raw_view, to_location
from .spec import validate
from .yamlread import Document, read_documents, read_text

# Lists whose items are NAME=value pairs.
_SPLIT_LISTS = (".environment", ".args", ".labels", ".annotations")
_SPLIT_ITEM = re.compile(r"^(.*\.(?:environment|args|labels|annotations))\[\d+\]$")


class _Loading:
    """State of one load: parsed files (each read once) and the literal strings seen."""

    def __init__(self) -> None:
        self.docs: dict[str, list[Document]] = {}
        self.envs: dict[str, list[EnvEntry] | None] = {}
        self.strings: list[SourceString] = []

    # --- files ---------------------------------------------------------------------------
    def documents(self, ref: FileRef) -> list[Document]:
        if ref.real not in self.docs:
            docs = read_documents(ref.shown, ref.real)
            self.docs[ref.real] = docs
            for doc in docs:
                self.strings.extend(_source_strings(doc))
        return self.docs[ref.real]

    def env_entries(self, shown: str, real: str, lookup: Any) -> list[EnvEntry] | None:
        """An env file's entries (``None`` when it does not exist)."""
        if real not in self.envs:
            if not os.path.isfile(real):
                if os.path.exists(real):
                    raise InputError("is not a file", shown)
                self.envs[real] = None
            else:
                entries = parse_env(read_text(shown, real), shown, lookup)
                self.envs[real] = entries
                self.strings.extend(SourceString(e.key, e.written, Location(shown, e.line)) for e in entries)
        return self.envs[real]

    def env_files(self, refs: list[FileRef], variables: Mapping[str, str]) -> dict[str, str]:
        """Variables defined by env files read in order (``variables`` win in expansion)."""
        values: dict[str, str] = {}

        def lookup(name: str) -> str | None:
            return variables.get(name, values.get(name))

        for ref in refs:
            entries = self.env_entries(ref.shown, ref.real, lookup)
            if entries is None:
                raise InputError("no such file", ref.shown)
            values.update((e.key, e.value) for e in entries)
        return values

    # --- models --------------------------------------------------------------------------
    def load_model(self, files: list[FileRef], variables: dict[str, str], folder: Folder, chain: tuple[str, ...]) -> YMap:
        model = YMap((files[0].shown, 1))
        for ref in files:
            for doc in self.documents(ref):
                cfg = self.process(doc, ref, variables, folder, chain)
                model = merge_documents(model, cfg, doc.resets, doc.overrides)
        return model

    def process(self, doc: Document, ref: FileRef, variables: dict[str, str], folder: Folder, chain: tuple[str, ...]) -> YMap:
        tree = doc.tree
        if not isinstance(tree, YMap):
            raise SchemaError("top-level object must be a mapping", ref.shown, getattr(tree, "pos", (0, 1))[1] or 1)
        cfg = interpolate(tree, variables.get)
        validate(cfg)
        cfg = apply_includes(cfg, ref, folder, variables, self.load_model, self.env_files, chain)

        def read_services(target: FileRef) -> YMap:
            merged = YMap((target.shown, 1))
            for other in self.documents(target):
                if not isinstance(other.tree, YMap):
                    raise SchemaError("top-level object must be a mapping", target.shown, 1)
                part = interpolate(other.tree, variables.get)
                validate(part)
                merged = merge_documents(merged, part, other.resets, other.overrides)
            services = merged.get("services")
            return services if isinstance(services, YMap) else YMap((target.shown, 1))

        return apply_extends(cfg, ref, read_services, doc.resets + doc.overrides)


def _source_strings(doc: Document) -> list[SourceString]:
    out = []
    path = doc.path
    new, cls = tuple.__new__, SourceString  # tens of thousands on a corpus: no __new__ call
    for prefix, part, value, line in doc.strings:
        if part.__class__ is str:
            key = f"{prefix}.{part}" if prefix else part
            if key.endswith("]") and "=" in value:  # a key written like a list item
                match = _SPLIT_ITEM.match(key)
                if match:
                    name, _, value = value.partition("=")
                    key = f"{match.group(1)}.{name}"
        elif "=" in value and prefix.endswith(_SPLIT_LISTS) and "\n" not in prefix:
            # a NAME=value list item is known by its NAME, as in the mapping form
            name, _, value = value.partition("=")
            key = f"{prefix}.{name}"
        else:
            key = f"{prefix}[{part}]"
        out.append(new(cls, (key, value, to_location((path, line)))))
    return out


def _dotenv(env_files: Sequence[str], folder: Folder, environ: Mapping[str, str], loading: _Loading) -> dict[str, str]:
    """The variables of ``--env-file`` files, else of the project's ``.env``."""
    if env_files:
        refs = [FileRef(f, os.path.abspath(f)) for f in env_files]
    else:
        disabled = environ.get("COMPOSE_DISABLE_ENV_FILE", "").lower() in ("1", "true")
        default = folder.join(".env")
        refs = [] if disabled or not os.path.isfile(default.real) else [default]
    return loading.env_files(refs, environ)


def normalize_name(name: str) -> str:
    """A folder name as Compose turns it into a project name."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")


def _project_name(explicit: str | None, variables: Mapping[str, str], model: YMap, folder: Folder) -> str:
    chosen = explicit or variables.get("COMPOSE_PROJECT_NAME") or model.get("name")
    if chosen:
        chosen = str(chosen)
        if normalize_name(chosen) != chosen or not chosen:
            pos = model.loc("name") if not explicit and "name" in model else (folder.shown, 0)
            raise SchemaError(
                f"invalid project name {chosen!r}: use lowercase letters, digits, '-' and '_', "
                "starting with a letter or digit",
                pos[0] if pos[1] else None,
                pos[1] or None,
            )
        return chosen
    name = normalize_name(os.path.basename(folder.real.rstrip(os.sep)))
    if not name:
        raise InputError("cannot derive a project name from the folder; give one", folder.shown)
    return name


def _active(services: YMap, wanted: set[str]) -> list[str]:
    names = []
    for name, svc in services.items():
        own = svc.get("profiles") if isinstance(svc, YMap) else None
        if not own or "*" in wanted or wanted.intersection(str(p) for p in own):
            names.append(name)
    return names


def load_project(
    files: Sequence[str],
    *,
    profiles: Sequence[str] = (),
    env_files: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    project_dir: str | os.PathLike[str] | None = None,
    project_name: str | None = None,
) -> ComposeProject:
    """Load, merge, interpolate, validate and normalise a Compose project.

    ``files`` are merged in order. Variables come from ``environ`` (default: the process
    environment), then from ``env_files`` (default: the project's ``.env``); the process
    environment wins. ``profiles`` (default: ``COMPOSE_PROFILES``) activate services that
    declare them. Errors are :class:`~pytest_ctrsec.errors.InputError` subclasses naming the
    file and line."""
    if not files:
        raise InputError("no Compose file given")
    environ = dict(os.environ if environ is None else environ)
    first = str(files[0])
    if project_dir is not None:
        folder = Folder(str(project_dir), os.path.abspath(project_dir))
    else:
        folder = Folder(os.path.dirname(first) or ".", os.path.dirname(os.path.abspath(first)))
    loading = _Loading()
    variables = {**_dotenv(env_files, folder, environ, loading), **environ}
    refs = [FileRef(str(f), os.path.abspath(f)) for f in files]
    model = loading.load_model(refs, variables, folder, ())
    if not model:
        raise InputError("empty compose file", first)
    name = _project_name(project_name, variables, model, folder)
    variables.setdefault("COMPOSE_PROJECT_NAME", name)
    wanted = set(profiles) or {p.strip() for p in variables.get("COMPOSE_PROFILES", "").split(",") if p.strip()}
    return _build_project(name, [str(f) for f in files], folder, model, variables, wanted, loading)


def _build_project(
    name: str,
    files: list[str],
    folder: Folder,
    model: YMap,
    variables: dict[str, str],
    wanted: set[str],
    loading: _Loading,
) -> ComposeProject:
    ctx = Context(folder.real, folder.shown, variables.get, loading.env_entries)
    services = model.get("services") or YMap((files[0], 1))
    active = _active(services, wanted)
    resources: dict[str, YMap] = {}
    top: dict[str, Location] = {}
    for kind in RESOURCES:
        section = model.get(kind) or YMap((files[0], 1))
        out = YMap(section.pos)
        for key, value in section.items():
            out.put(key, canonical_resource(kind, key, value, section.loc(key), ctx, name), section.loc(key))
            top[f"{kind}.{key}"] = to_location(section.loc(key))
        resources[kind] = out
    built = []
    for svc_name in active:
        svc = services[svc_name]
        config = canonical_service(svc_name, svc, ctx)
        if "default" in (config.get("networks") or {}) and "default" not in resources["networks"]:
            resources["networks"].put("default", canonical_resource("networks", "default", None, svc.pos, ctx, name), svc.pos)
        raw = raw_view(svc)
        here = services.loc(svc_name)
        # keys written in the service, else where the canonical form took them from (an
        # env_file for environment); the implicit default network points at the service
        locations = {
            key: to_location(svc.locs.get(key) or (config.locs.get(key) if key != "networks" else None) or here)
            for key in config
        }
        built.append((svc_name, svc, raw, config, locations))
        top[f"services.{svc_name}"] = to_location(services.loc(svc_name))
    active_names, all_names = set(active), set(services)
    for svc_name, svc, raw, config, _ in built:
        check_service(svc_name, config, raw, resources, active_names, all_names, services.loc(svc_name))
    check_secrets(resources["secrets"])
    return ComposeProject(
        name=name,
        files=tuple(files),
        project_dir=Path(folder.real),
        services=tuple(
            ComposeService(n, config, raw, to_location(services.loc(n)), locations)
            for n, _, raw, config, locations in built
        ),
        secrets=resources["secrets"],
        configs=resources["configs"],
        volumes=resources["volumes"],
        networks=resources["networks"],
        top_locations=top,
        strings=tuple(loading.strings),
    )
