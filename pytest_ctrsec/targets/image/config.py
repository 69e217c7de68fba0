"""The image configuration (Docker and OCI spell it the same way for what is read here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import SchemaError


@dataclass(frozen=True)
class HistoryEntry:
    """One build step: ``created_by`` is the command line the builder recorded."""

    created_by: str
    created: str | None = None
    empty_layer: bool = False
    comment: str = ""


@dataclass(frozen=True)
class ImageConfig:
    """What a container of this image starts with, and how the image was built."""

    user: str = ""
    env: tuple[str, ...] = field(default=(), repr=False)  # may hold secrets: never printed
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str = ""
    exposed_ports: tuple[str, ...] = ()  # "22/tcp"
    volumes: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    healthcheck: tuple[str, ...] | None = None  # Healthcheck.Test; None when absent
    stop_signal: str | None = None
    created: str | None = None
    architecture: str = ""
    os: str = ""
    history: tuple[HistoryEntry, ...] = field(default=(), repr=False)  # build args, secrets
    diff_ids: tuple[str, ...] = ()

    @property
    def env_map(self) -> dict[str, str]:
        """``Env`` as a mapping (a later duplicate wins, as in the engine)."""
        out: dict[str, str] = {}
        for item in self.env:
            key, _, value = item.partition("=")
            out[key] = value
        return out

    @property
    def healthcheck_disabled(self) -> bool:
        return self.healthcheck is not None and self.healthcheck[:1] in (("NONE",), ("none",))

    @classmethod
    def from_bytes(cls, raw: bytes, label: str) -> ImageConfig:
        try:
            doc = json.loads(raw)
        except ValueError as err:
            raise SchemaError(f"image config is not JSON: {err}", label) from None
        if not isinstance(doc, dict):
            raise SchemaError("image config is not a JSON object", label)
        return cls.from_json(doc, label)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], label: str) -> ImageConfig:
        """The fields read here, each checked to have the type the engine writes (a config
        of another shape is an error naming the field, not a crash or a guess)."""
        conf = _object(doc.get("config") or doc.get("Config"), "config", label)
        health = conf.get("Healthcheck")
        health = _object(health, "Healthcheck", label) if health is not None else None
        rootfs = _object(doc.get("rootfs"), "rootfs", label)
        history = _list(doc.get("history"), "history", label)
        return cls(
            user=_text(conf.get("User"), "User", label) or "",
            env=_strings(conf.get("Env"), "Env", label),
            entrypoint=_opt_strings(conf.get("Entrypoint"), "Entrypoint", label),
            cmd=_opt_strings(conf.get("Cmd"), "Cmd", label),
            working_dir=_text(conf.get("WorkingDir"), "WorkingDir", label) or "",
            exposed_ports=tuple(sorted(_object(conf.get("ExposedPorts"), "ExposedPorts", label))),
            volumes=tuple(sorted(_object(conf.get("Volumes"), "Volumes", label))),
            labels={str(k): _scalar(v) for k, v in _object(conf.get("Labels"), "Labels",
                                                          label).items()},
            healthcheck=(_opt_strings(health.get("Test"), "Healthcheck.Test", label)
                         if health is not None else None),
            stop_signal=_text(conf.get("StopSignal"), "StopSignal", label),
            created=_text(doc.get("created"), "created", label),
            architecture=_text(doc.get("architecture"), "architecture", label) or "",
            os=_text(doc.get("os"), "os", label) or "",
            history=tuple(_history(h, label) for h in history if isinstance(h, dict)),
            diff_ids=_strings(rootfs.get("diff_ids"), "rootfs.diff_ids", label),
        )


def _wrong(name: str, expected: str, label: str) -> SchemaError:
    return SchemaError(f"image config: {name!r} is not {expected}", label)


def _object(value: Any, name: str, label: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(name, "an object", label)
    return value


def _list(value: Any, name: str, label: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(name, "a list", label)
    return value


def _text(value: Any, name: str, label: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _wrong(name, "a string", label)


def _scalar(value: Any) -> str:
    """A label value (the engine writes strings; other scalars are shown as written)."""
    return value if isinstance(value, str) else json.dumps(value)[:200]


def _strings(value: Any, name: str, label: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _wrong(name, "a list of strings", label)


def _opt_strings(value: Any, name: str, label: str) -> tuple[str, ...] | None:
    return None if value is None else _strings(value, name, label)


def _history(h: Mapping[str, Any], label: str) -> HistoryEntry:
    return HistoryEntry(_text(h.get("created_by"), "history.created_by", label) or "",
                        _text(h.get("created"), "history.created", label),
                        bool(h.get("empty_layer")),
                        _text(h.get("comment"), "history.comment", label) or "")
