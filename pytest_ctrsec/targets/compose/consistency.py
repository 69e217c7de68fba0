"""Checks across a loaded project that Compose makes before it accepts it: every network,
volume, secret, config and service a service refers to exists, every service has an image
or a build, ``network_mode`` and ``networks`` are not both set, healthcheck tests start with
a known word, and secrets say where their content comes from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import SchemaError
from .nodes import Pos, YMap


def _fail(message: str, pos: Pos) -> SchemaError:
    return SchemaError(message, pos[0], pos[1] or None)


def check_service(
    name: str, svc: YMap, raw: YMap, project: Mapping[str, Any], active: set[str], all_names: set[str], here: Pos
) -> None:
    """Raise :class:`SchemaError` for the first broken reference of service ``name``
    (``svc`` canonical, ``raw`` as written, ``here`` where the service is defined)."""
    where = f"services.{name}"
    if "image" not in svc and "build" not in svc and "provider" not in svc:
        raise _fail(f"{where}: has neither an image nor a build context", here)
    if "network_mode" in raw and "networks" in raw:
        raise _fail(f"{where}: network_mode and networks cannot both be set", raw.loc("networks"))
    networks = svc.get("networks")
    if isinstance(networks, YMap):
        defined = project.get("networks") or {}
        for net in networks:
            if net not in defined:
                raise _fail(f"{where}.networks: undefined network {net!r}", networks.loc(net))
    for index, mount in enumerate(svc.get("volumes") or ()):
        if mount.get("type") == "volume" and mount.get("source"):
            if mount["source"] not in (project.get("volumes") or {}):
                raise _fail(f"{where}.volumes: undefined volume {mount['source']!r}", svc["volumes"].loc(index))
    for kind in ("secrets", "configs"):
        for index, ref in enumerate(svc.get(kind) or ()):
            if ref.get("source") not in (project.get(kind) or {}):
                raise _fail(f"{where}.{kind}: undefined {kind[:-1]} {ref.get('source')!r}", svc[kind].loc(index))
    depends = svc.get("depends_on")
    if isinstance(depends, YMap):
        for dep, spec in depends.items():
            required = not isinstance(spec, Mapping) or spec.get("required", True) is not False
            if dep not in all_names or (dep not in active and required):
                state = "undefined" if dep not in all_names else "inactive (profiles)"
                raise _fail(f"{where}.depends_on: {state} service {dep!r}", depends.loc(dep))
    test = (svc.get("healthcheck") or {}).get("test")
    if isinstance(test, list) and test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise _fail(f"{where}.healthcheck.test: must start with CMD, CMD-SHELL or NONE", svc["healthcheck"].loc("test"))


def check_secrets(secrets: YMap) -> None:
    for name, secret in secrets.items():
        if secret.get("external") is True:
            continue
        if "file" not in secret and "environment" not in secret:
            raise _fail(f"secrets.{name}: needs a file or an environment variable", secrets.loc(name))
