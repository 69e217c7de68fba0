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
    env: tuple[str, ...] = ()
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
    history: tuple[HistoryEntry, ...] = ()
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
        conf = doc.get("config") or doc.get("Config") or {}
        if not isinstance(conf, dict):
            raise SchemaError("image config: 'config' is not an object", label)
        health = conf.get("Healthcheck")
        rootfs = doc.get("rootfs") or {}
        return cls(
            user=str(conf.get("User") or ""),
            env=_strings(conf.get("Env")),
            entrypoint=_opt_strings(conf.get("Entrypoint")),
            cmd=_opt_strings(conf.get("Cmd")),
            working_dir=str(conf.get("WorkingDir") or ""),
            exposed_ports=tuple(sorted(conf.get("ExposedPorts") or {})),
            volumes=tuple(sorted(conf.get("Volumes") or {})),
            labels={str(k): str(v) for k, v in (conf.get("Labels") or {}).items()},
            healthcheck=_opt_strings(health.get("Test")) if isinstance(health, dict) else None,
            stop_signal=conf.get("StopSignal"),
            created=doc.get("created"),
            architecture=str(doc.get("architecture") or ""),
            os=str(doc.get("os") or ""),
            history=tuple(_history(h) for h in doc.get("history") or () if isinstance(h, dict)),
            diff_ids=_strings(rootfs.get("diff_ids") if isinstance(rootfs, dict) else None),
        )


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _opt_strings(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _strings(value)


def _history(h: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(str(h.get("created_by") or ""), h.get("created"),
                        bool(h.get("empty_layer")), str(h.get("comment") or ""))
