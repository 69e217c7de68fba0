"""Run options: every ``--ctrsec-*`` flag, its ini twin ``ctrsec_*``, and validation.

One frozen :class:`RunOptions` holds the resolved values (command line first, then the ini
file, then the default), so loaders and checks never touch pytest's config object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .findings import SEVERITIES

GRANULARITIES = ("auto", "object", "source", "check")
TARGET_OPTIONS = ("image", "dockerfile", "container", "daemon", "compose", "k8s")
LIVE_K8S_OPTIONS = ("kube_context", "kubeconfig")


def _opt(default: Any, help: str, *, kind: str = "str", metavar: str | None = None,
         choices: tuple[str, ...] = (), path: bool | tuple[str, ...] = False) -> Any:
    """A dataclass field carrying how the option is spelled on the command line and in ini;
    ``path`` says whether a value is a path, or after which prefixes one is."""
    meta = {"help": help, "kind": kind, "metavar": metavar, "choices": choices, "path": path}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RunOptions:
    """Resolved plugin options (see ``pytest --help``, group "ctrsec")."""

    image: tuple[str, ...] = _opt((), "image to check: engine ref, docker-archive:PATH or oci:PATH "
                                  "(repeatable)", kind="list", metavar="REF",
                                  path=("docker-archive:", "oci:"))
    dockerfile: tuple[str, ...] = _opt((), "Dockerfile to check (repeatable)", kind="list",
                                       metavar="PATH", path=True)
    container: tuple[str, ...] = _opt((), "container name or id, 'running' for all running ones, "
                                      "or label:KEY[=VALUE] (repeatable)", kind="list",
                                      metavar="NAME")
    daemon: str | None = _opt(None, "check the Docker daemon ('local', the default when the flag "
                              "has no value, or an engine URL)", kind="daemon", metavar="ENGINE")
    daemon_json: str | None = _opt(None, "daemon.json to read (default /etc/docker/daemon.json)",
                                   metavar="PATH", path=True)
    compose: tuple[str, ...] = _opt((), "Compose file; repeat to merge in order like "
                                    "'docker compose -f a -f b'", kind="list", metavar="FILE",
                                    path=True)
    compose_profile: tuple[str, ...] = _opt((), "Compose profile to activate (repeatable)",
                                            kind="list", metavar="NAME")
    compose_env_file: tuple[str, ...] = _opt((), "env file for Compose interpolation, instead of "
                                             "the project's .env (repeatable)", kind="list",
                                             metavar="FILE", path=True)
    k8s: tuple[str, ...] = _opt((), "Kubernetes manifests: file, directory or '-' for stdin "
                                "(repeatable)", kind="list", metavar="PATH", path=True)
    kube_context: str | None = _opt(None, "check the live cluster of this kubeconfig context",
                                    metavar="NAME")
    kubeconfig: str | None = _opt(None, "kubeconfig file for the live cluster", metavar="PATH",
                                  path=True)
    namespace: tuple[str, ...] = _opt((), "limit Kubernetes objects to this namespace "
                                      "(repeatable)", kind="list", metavar="NS")
    pss_version: str | None = _opt(None, "Pod Security Standards version (v1.0 ... latest)",
                                   metavar="VERSION")
    k8s_pod_template: tuple[str, ...] = _opt((), "pod-template path of a custom kind, e.g. "
                                             "Rollout=spec.template (repeatable)", kind="list",
                                             metavar="KIND=PATH")
    no_annotation_waivers: bool = _opt(False, "ignore ctrsec.io/waive.* annotations",
                                       kind="bool")
    vulndb: str | None = _opt(None, "offline OSV database directory", metavar="PATH", path=True)
    vulndb_cache: str | None = _opt(None, "where the indexed OSV cache lives", metavar="PATH",
                                    path=True)
    scan_report: tuple[str, ...] = _opt((), "Trivy or Grype JSON report to use for "
                                        "vulnerabilities (repeatable)", kind="list",
                                        metavar="FILE", path=True)
    pull: bool = _opt(False, "pull images that are not in the local engine", kind="bool")
    structure_test: tuple[str, ...] = _opt((), "container-structure-test YAML to run "
                                           "(repeatable)", kind="list", metavar="FILE",
                                           path=True)
    allow_run: bool = _opt(False, "allow starting throwaway containers (image .run())",
                           kind="bool")
    profile: str | None = _opt(None, "check profile: default, all, cis-docker, pss-baseline, "
                               "pss-restricted or one from configuration", metavar="NAME")
    select: tuple[str, ...] = _opt((), "run only checks matching an id glob or a reference "
                                   "such as 'CIS 5.*' (repeatable)", kind="list", metavar="PAT")
    ignore: tuple[str, ...] = _opt((), "skip checks matching an id glob or reference "
                                   "(repeatable)", kind="list", metavar="PAT")
    fail_on: str = _opt("low", "lowest severity of a failed check that fails the run "
                        "(default low: info results are reported without gating)",
                        kind="choice", choices=SEVERITIES, metavar="SEVERITY")
    waivers: str | None = _opt(None, "waiver file (YAML)", metavar="FILE", path=True)
    strict: bool = _opt(False, "ignore every waiver", kind="bool")
    severity: tuple[str, ...] = _opt((), "override a check's severity: ID-OR-GLOB=SEVERITY "
                                     "(repeatable)", kind="list", metavar="ID=SEV")
    define_profile: tuple[str, ...] = _opt((), "define a profile: NAME=PATTERN[,PATTERN...] with "
                                           "id globs or references (repeatable)", kind="list",
                                           metavar="NAME=PATS")
    check_option: tuple[str, ...] = _opt((), "set a check's option: ID:NAME=VALUE, the value "
                                         "in YAML (e.g. image.recently-built:max_age_days=30)",
                                         kind="list", metavar="ID:NAME=VAL")
    json: str | None = _opt(None, "write the JSON report here", metavar="PATH", path=True)
    sarif: str | None = _opt(None, "write a SARIF 2.1.0 report here", metavar="PATH",
                             path=True)
    sbom: str | None = _opt(None, "write a CycloneDX SBOM per image into this directory",
                            metavar="DIR", path=True)
    no_bundled: bool = _opt(False, "do not collect the bundled checks", kind="bool")
    granularity: str = _opt("auto", "what one bundled test item covers: one target, one source "
                            "file or namespace, or every target of a check; auto picks the finest "
                            "within --ctrsec-max-items", kind="choice", choices=GRANULARITIES,
                            metavar="HOW")
    max_items: int = _opt(2000, "item budget for granularity auto", kind="int", metavar="N")

    @property
    def wants_bundled(self) -> bool:
        """A target was given and the bundled checks are not turned off."""
        return not self.no_bundled and self.has_targets

    @property
    def has_targets(self) -> bool:
        given = any(getattr(self, name) for name in TARGET_OPTIONS)
        return given or any(getattr(self, name) for name in LIVE_K8S_OPTIONS)


def option_fields() -> tuple[dataclasses.Field[Any], ...]:
    """Every option, in the order of :class:`RunOptions`."""
    return dataclasses.fields(RunOptions)


def flag(name: str) -> str:
    """``compose_env_file`` -> ``--ctrsec-compose-env-file``."""
    return "--ctrsec-" + name.replace("_", "-")


def ini_name(name: str) -> str:
    return "ctrsec_" + name


def ini_type(kind: str) -> str:
    return {"list": "linelist", "bool": "bool"}.get(kind, "string")


def resolve(cli: dict[str, Any], ini: dict[str, Any], ini_dir: Path | None) -> RunOptions:
    """Combine command-line and ini values (command line wins) and validate them."""
    values: dict[str, Any] = {}
    for fld in option_fields():
        raw, from_ini = cli.get(fld.name), False
        if raw in (None, [], False):
            raw, from_ini = ini.get(fld.name), True
        elif _blank(raw):
            # --ctrsec-compose=$FILE with FILE unset would check nothing and pass the gate
            raise ConfigError(f"{flag(fld.name)}: empty value (an unset variable?)")
        if raw in (None, [], "", False):
            continue
        values[fld.name] = _convert(fld, raw, ini_dir if from_ini else None)
    return RunOptions(**values)


def _blank(raw: Any) -> bool:
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return any(not str(v).strip() for v in values)


def _convert(fld: dataclasses.Field[Any], raw: Any, ini_dir: Path | None) -> Any:
    meta, name = fld.metadata, flag(fld.name)
    kind = meta["kind"]
    if kind == "list":
        items = [raw] if isinstance(raw, str) else list(raw)
        return tuple(_relocate(str(v), ini_dir, meta["path"]) for v in items if str(v).strip())
    if kind == "bool":
        return raw is True or str(raw).lower() in ("1", "true", "yes", "on")
    if kind == "int":
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
        if value < 1:
            raise ConfigError(f"{name}: must be at least 1, got {value}")
        return value
    text = str(raw).strip()
    if kind == "choice" and text not in meta["choices"]:
        raise ConfigError(f"{name}: {text!r} is not one of {', '.join(meta['choices'])}")
    return _relocate(text, ini_dir, meta["path"])


def pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` entries of a list option, stripped; a malformed one is a ConfigError."""
    out = []
    for entry in values:
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{flag(option)}: expected KEY=VALUE, got {entry!r}")
        out.append((key.strip(), value.strip()))
    return out


def severity_overrides(opts: RunOptions) -> list[tuple[str, str]]:
    """``(id glob, severity)`` pairs, validated."""
    found = pairs(opts.severity, "severity")
    for glob, sev in found:
        if sev not in SEVERITIES:
            raise ConfigError(f"{flag('severity')}: {sev!r} for {glob} is not one of "
                              f"{', '.join(SEVERITIES)}")
    return found


def overridden(check_id: str, default: str, overrides: list[tuple[str, str]]) -> str:
    """A check's severity after ``--ctrsec-severity`` (the last matching glob wins)."""
    found = [sev for glob, sev in overrides if fnmatchcase(check_id, glob)]
    return found[-1] if found else default


def profile_definitions(opts: RunOptions) -> dict[str, tuple[str, ...]]:
    """User-defined profiles: name -> patterns."""
    return {name: tuple(p.strip() for p in pats.split(",") if p.strip())
            for name, pats in pairs(opts.define_profile, "define_profile")}


def check_options(opts: RunOptions) -> dict[str, dict[str, Any]]:
    """Per-check option values: check id -> {option name: value}."""
    import yaml

    out: dict[str, dict[str, Any]] = {}
    for key, value in pairs(opts.check_option, "check_option"):
        check_id, sep, name = key.partition(":")
        if not sep or not check_id or not name:
            raise ConfigError(f"{flag('check_option')}: expected ID:NAME=VALUE, got {key!r}")
        try:
            out.setdefault(check_id, {})[name] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"{flag('check_option')}: {key}: value {value!r} is not "
                              "valid YAML") from None
    return out


def _relocate(value: str, ini_dir: Path | None, is_path: bool | tuple[str, ...]) -> str:
    """A relative path from the ini file is relative to the ini file's folder."""
    if isinstance(is_path, tuple):  # an image: only docker-archive:PATH and oci:PATH
        prefix = next((p for p in is_path if value.startswith(p)), None)
        if prefix is None:
            return value
        return prefix + _relocate(value[len(prefix):], ini_dir, True)
    if not is_path or ini_dir is None or value == "-" or Path(value).is_absolute():
        return value
    full = ini_dir / value
    try:
        # kept relative where it can be: the path is part of target names, test ids and
        # waiver targets, which should read the same as given on the command line
        return str(full.relative_to(Path.cwd()))
    except ValueError:
        return str(full)
