"""Interpolation of a Compose document: every string value (never a key) is substituted, and
the values Compose types after substitution (``privileged``, ``ports[].target``...) are cast.

Untouched subtrees are shared with the input; a rewritten entry keeps what was written in its
container's ``raws`` so the raw model can be rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import InterpolationError, SchemaError
from .nodes import Pos, YMap, YSeq, dotted
from .template import Lookup, TemplateError, substitute

Cast = Callable[[str], Any]


class CastError(ValueError):
    pass


def to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "y", "yes", "on"):
        return True
    if lowered in ("false", "n", "no", "off"):
        return False
    raise CastError(f"invalid boolean {text!r}")


def to_int(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise CastError(f"invalid integer {text!r}") from None


def to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CastError(f"invalid number {text!r}") from None


def _trie(paths: dict[str, Cast]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path, cast in paths.items():
        node = root
        parts = path.split(".")
        for part in parts:
            node = node.setdefault(part, {})
        node["."] = cast  # the cast of the node itself; other keys are its children
    return root


_SERVICE_CASTS = {
    "cpu_count": to_int, "cpu_percent": to_float, "cpu_period": to_int, "cpu_quota": to_int,
    "cpu_rt_period": to_int, "cpu_rt_runtime": to_int, "cpus": to_float, "cpu_shares": to_int,
    "init": to_bool, "depends_on.*.required": to_bool, "depends_on.*.restart": to_bool,
    "deploy.replicas": to_int, "deploy.update_config.parallelism": to_int,
    "deploy.update_config.max_failure_ratio": to_float, "deploy.rollback_config.parallelism": to_int,
    "deploy.rollback_config.max_failure_ratio": to_float, "deploy.restart_policy.max_attempts": to_int,
    "deploy.placement.max_replicas_per_node": to_int, "healthcheck.retries": to_int,
    "healthcheck.disable": to_bool, "oom_kill_disable": to_bool, "oom_score_adj": to_int,
    "pids_limit": to_int, "ports.[].target": to_int, "privileged": to_bool, "read_only": to_bool,
    "scale": to_int, "stdin_open": to_bool, "tty": to_bool, "ulimits.*": to_int,
    "ulimits.*.hard": to_int, "ulimits.*.soft": to_int, "volumes.[].read_only": to_bool,
    "volumes.[].volume.nocopy": to_bool,
}  # fmt: skip
_RESOURCE_CASTS = {
    "networks.*.external": to_bool, "networks.*.internal": to_bool, "networks.*.attachable": to_bool,
    "networks.*.enable_ipv4": to_bool, "networks.*.enable_ipv6": to_bool,
    "volumes.*.external": to_bool, "secrets.*.external": to_bool, "configs.*.external": to_bool,
}  # fmt: skip
CASTS = _trie({**{f"services.*.{k}": v for k, v in _SERVICE_CASTS.items()}, **_RESOURCE_CASTS})


class Interpolator:
    """Substitutes variables through one document, reporting errors at the entry's line."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup

    def string(self, text: str, path: tuple[Any, ...], pos: Pos) -> str:
        try:
            return substitute(text, self.lookup)
        except TemplateError as err:
            raise InterpolationError(f"{dotted(path)}: {err}", pos[0], pos[1]) from None

    def value(self, value: Any, path: tuple[Any, ...], pos: Pos, casts: dict[str, Any] | None) -> Any:
        if isinstance(value, str):
            out: Any = self.string(value, path, pos) if "$" in value else value
            cast = casts.get(".") if casts else None
            if cast is not None:
                try:
                    out = cast(out)
                except CastError as err:
                    raise SchemaError(f"{dotted(path)}: {err}", pos[0], pos[1]) from None
            return out
        if isinstance(value, YMap):
            return self.mapping(value, path, casts)
        if isinstance(value, YSeq):
            return self.sequence(value, path, casts)
        return value

    def mapping(self, node: YMap, path: tuple[Any, ...], casts: dict[str, Any] | None) -> YMap:
        changed: dict[str, Any] = {}
        for key, item in node.items():
            sub = None if casts is None else casts.get(key, casts.get("*"))
            if item.__class__ is str and sub is None and "$" not in item:
                continue
            new = self.value(item, path + (key,), node.loc(key), sub)
            if new is not item:
                changed[key] = new
        if not changed:
            return node
        out = node.shallow()
        for key, new in changed.items():
            if isinstance(new, (YMap, YSeq)) and isinstance(node[key], (YMap, YSeq)):
                dict.__setitem__(out, key, new)  # a rebuilt container keeps its own raws
            else:
                out.put(key, new, node.loc(key), node.raw_of(key), True)
        return out

    def sequence(self, node: YSeq, path: tuple[Any, ...], casts: dict[str, Any] | None) -> YSeq:
        sub = None if casts is None else casts.get("[]")
        out: YSeq | None = None
        for index, item in enumerate(node):
            if item.__class__ is str and sub is None and "$" not in item:
                continue
            new = self.value(item, path + (index,), node.loc(index), sub)
            if new is item:
                continue
            if out is None:
                out = YSeq(node.pos)
                out.extend(node)
                out.locs = list(node.locs)
                out.raws = dict(node.raws) if node.raws else None
            out[index] = new
            if not isinstance(new, (YMap, YSeq)):
                if out.raws is None:
                    out.raws = {}
                out.raws[index] = node.raw_of(index)
        return node if out is None else out


def interpolate(tree: YMap, lookup: Lookup) -> YMap:
    """The document with its variables substituted and Compose's typed values cast."""
    return Interpolator(lookup).mapping(tree, (), CASTS)
