"""Loading container targets: which containers ``--ctrsec-container`` names, and each one's
inspect data, run settings and processes, read once per session through the Engine API.

Per container: one inspect, one ``top`` when it runs, the image's config (once per image),
/etc/passwd only when USER is a name, each local volume's options once. Read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ...engine import endpoint as engine_endpoint
from ...engine import get_client
from ...errors import CannotEvaluate, TargetUnavailable
from ...runsettings.imagefacts import facts_from_config
from ...runsettings.inspect import from_inspect, needs_passwd
from ...runsettings.model import DaemonDefaults, ImageFacts
from .. import Target
from .model import Container, Process
from .processes import read_processes

RUNNING = "running"
LABEL_PREFIX = "label:"


def load_targets(opts: Any) -> list[Target]:
    """Targets of ``--ctrsec-container``: names or ids, ``running``, ``label:KEY[=VALUE]``."""
    specs = getattr(opts, "container", ()) or ()
    if isinstance(specs, str):
        specs = (specs,)
    containers = load_containers(specs, daemon_json=getattr(opts, "daemon_json", None))
    return [t for c in containers for t in c.ctrsec_targets()]


def load_containers(specs: Sequence[str], url: str | None = None,
                    daemon_json: str | None = None) -> list[Container]:
    """Every container the specs select, in order, each once."""
    if not specs:
        return []
    reader = Reader(url, daemon_json)
    # One container after the other: the engine's `top` (a ps run over the host's processes)
    # is most of the time and is CPU-bound in the engine, so parallel requests gained ~10%
    # on two cores (bench/containers) at the price of a shared HTTP session across threads.
    return [reader.container(cid) for cid in resolve(reader.client, specs, reader.where)]


def load_container(ref: str, url: str | None = None) -> Container:
    """One container by name or id (for fixtures and user tests)."""
    reader = Reader(url)
    return reader.container(resolve(reader.client, [ref], reader.where)[0])


def resolve(client: Any, specs: Iterable[str], where: str) -> list[str]:
    """Container ids for the specs; an unknown name or id is a :class:`TargetUnavailable`."""
    ids: dict[str, None] = {}
    for spec in specs:
        for cid in _select(client, spec.strip(), where):
            ids.setdefault(cid)
    return list(ids)


def _select(client: Any, spec: str, where: str) -> list[str]:
    from docker.errors import APIError, NotFound

    try:
        if spec == RUNNING:
            return [c["Id"] for c in client.api.containers()]
        if spec.startswith(LABEL_PREFIX):
            label = spec[len(LABEL_PREFIX):]
            return [c["Id"] for c in client.api.containers(filters={"label": label})]
        return [client.api.inspect_container(spec)["Id"]]
    except NotFound:
        raise TargetUnavailable(f"container {spec!r}: no such container on the Docker engine "
                                f"at {where}") from None
    except APIError as err:
        raise TargetUnavailable(f"container {spec!r}: {err.explanation or err}") from None


@dataclass
class Reader:
    """One session's engine reads, with what several containers share read once."""

    url: str | None = None
    daemon_json: str | None = None
    client: Any = field(init=False)
    where: str = field(init=False)
    _images: dict[str, Mapping[str, Any] | None] = field(default_factory=dict, init=False)
    _volumes: dict[str, str | None] = field(default_factory=dict, init=False)
    _daemon: tuple[DaemonDefaults | None, bool | None] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.where = engine_endpoint(self.url)
        self.client = get_client(self.url)

    def container(self, cid: str) -> Container:
        from docker.errors import NotFound

        try:
            data = self.client.api.inspect_container(cid)
        except NotFound:  # removed since it was listed
            raise TargetUnavailable(f"container {cid[:12]}: removed while being read") from None
        processes, reason = self._processes(data)
        defaults, apparmor = self._daemon_facts()
        settings = from_inspect(data, image=self._image(data), daemon=defaults,
                                apparmor_active=apparmor, volume_devices=self._binds(data))
        state = data.get("State") or {}
        return Container(data["Id"], str(data.get("Name", "")).lstrip("/"),
                         state.get("Status", "unknown"), settings, data, processes, reason,
                         self.where)

    def _processes(self, data: Mapping[str, Any]) -> tuple[tuple[Process, ...] | None, str]:
        from docker.errors import APIError

        state = data.get("State") or {}
        if not state.get("Running"):
            return None, f"the container is {state.get('Status', 'not running')}: no processes"
        try:
            return read_processes(self.client, data["Id"]), ""
        except APIError as err:  # e.g. it stopped between inspect and top
            return None, f"cannot list processes: {err.explanation or err}"

    def _image(self, data: Mapping[str, Any]) -> ImageFacts | None:
        from docker.errors import APIError

        config = data.get("Config") or {}
        ref = config.get("Image") or data.get("Image", "")
        image_id = data.get("Image", "")
        if image_id not in self._images:
            try:
                self._images[image_id] = self.client.api.inspect_image(image_id)
            except APIError:  # removed with --force while the container lives on
                self._images[image_id] = None
        user = str(config.get("User") or "")
        passwd = self._passwd(data) if needs_passwd(user) else None
        facts = facts_from_config(ref, (self._images[image_id] or {}).get("Config"))
        return replace(facts, passwd=passwd)

    def _passwd(self, data: Mapping[str, Any]) -> dict[str, int] | None:
        """The container's own /etc/passwd, to resolve a user name to its uid."""
        from ..image.accounts import name_to_id, parse
        from .files import read_file

        label = "container:" + str(data.get("Name", "")).lstrip("/")
        try:
            return name_to_id(parse(read_file(self.client, data["Id"], "/etc/passwd", 1 << 20,
                                              label)))
        except (OSError, ValueError):
            return None

    def _binds(self, data: Mapping[str, Any]) -> dict[str, str]:
        """Named volumes of the local driver that bind a host directory (``o=bind``)."""
        out = {}
        for m in data.get("Mounts") or ():
            name = m.get("Name")
            if m.get("Type") != "volume" or m.get("Driver", "local") != "local" or not name:
                continue
            if name not in self._volumes:
                self._volumes[name] = self._bind_device(name)
            if self._volumes[name]:
                out[name] = str(self._volumes[name])
        return out

    def _bind_device(self, name: str) -> str | None:
        from docker.errors import APIError

        try:
            options = self.client.api.inspect_volume(name).get("Options") or {}
        except APIError:
            return None
        if "bind" in str(options.get("o", "")).split(",") and options.get("device"):
            return str(options["device"])
        return None

    def _daemon_facts(self) -> tuple[DaemonDefaults | None, bool | None]:
        """Daemon-wide defaults that count for containers, and whether AppArmor is on."""
        if self._daemon is None:
            self._daemon = daemon_facts(self.url, self.daemon_json)
        return self._daemon


def daemon_facts(url: str | None, daemon_json: str | None
                 ) -> tuple[DaemonDefaults | None, bool | None]:
    """(defaults, AppArmor active). The defaults are ``None`` when the daemon's own
    no-new-privileges setting cannot be seen (a remote daemon): unknown, not off."""
    from ..daemon import load_daemon

    daemon = load_daemon(url, daemon_json)
    apparmor = daemon.has_security_option("apparmor")
    try:
        nnp = daemon.setting("no-new-privileges", False).value is True
        log_opts = daemon.setting("log-opts", {}).value or {}
    except CannotEvaluate:
        return None, apparmor
    driver = daemon.info.get("LoggingDriver")
    return DaemonDefaults(nnp, driver, dict(log_opts)), apparmor
