"""Containers for the container tests: test images, and a lab that creates containers with
given ``docker run`` flags on the real engine and removes them afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from images import build_image

from pytest_ctrsec.targets.container import Container, load_container

APP = "ctrsec-test/container-app:1"
APP_LATEST = "ctrsec-test/container-app:latest"
NOSHELL = "ctrsec-test/container-noshell:1"
SSHD = "ctrsec-test/container-sshd:1"
PASSWD = (b"root:x:0:0:root:/root:/bin/sh\n"
          b"app:x:1000:1000::/home/app:/bin/sh\n"
          b"toor:x:0:0:root twin:/root:/bin/sh\n")
SLEEP = ["sleep", "3600"]


def require_option(name: str) -> None:
    """Skip when the plugin does not offer ``--ctrsec-<name>`` on the command line yet."""
    import pytest

    from pytest_ctrsec.options import flag, option_fields

    if name not in {f.name for f in option_fields()}:
        pytest.skip(f"{flag(name)} is not offered on the command line yet")


def build_app(client: Any) -> None:
    """busybox with a shell, an /etc/passwd (``app`` is 1000, ``toor`` is 0), no HEALTHCHECK."""
    build_image(client, APP, [f"CMD {json.dumps(SLEEP)}"], files={"etc/passwd": PASSWD})
    client.images.get(APP).tag(APP_LATEST)


def build_noshell(client: Any) -> None:
    """No shell at all: one static binary (busybox under the name of its ``sleep`` applet)."""
    dockerfile = 'FROM scratch\nCOPY busybox /sleep\nCMD ["/sleep", "3600"]\n'
    build_image(client, NOSHELL, dockerfile=dockerfile)


def build_sshd(client: Any) -> None:
    """A process named sshd without an SSH server: the host's dynamically linked ``sleep``
    installed as /usr/sbin/sshd with its libraries (busybox would refuse an unknown name)."""
    sleep = shutil.which("sleep") or "/usr/bin/sleep"
    files: dict[str, bytes | tuple[bytes, int]] = {"usr/sbin/sshd": (Path(sleep).read_bytes(),
                                                                     0o755)}
    for lib in _libraries(sleep):
        files[lib.lstrip("/")] = (Path(lib).read_bytes(), 0o755)
    build_image(client, SSHD, ['CMD ["/usr/sbin/sshd", "3600"]'], files=files)


def _libraries(binary: str) -> list[str]:
    """Shared objects ``binary`` loads (from ldd), by their real paths."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = []
    for line in out.splitlines():
        words = line.split()
        path = words[2] if "=>" in words and len(words) > 2 else words[0]
        if path.startswith("/"):
            paths.append(path)
    return paths


def hardened(network: str, port: int, /, **changes: Any) -> dict[str, Any]:
    """``containers.create`` arguments that pass every run-settings rule but digest pinning;
    ``changes`` override them (``None`` removes an argument)."""
    args: dict[str, Any] = dict(
        image=APP, command=SLEEP, user="1000", cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"], read_only=True, mem_limit="64m",
        nano_cpus=500_000_000, pids_limit=64,
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 3},
        healthcheck={"test": ["CMD", "true"], "interval": 30_000_000_000},
        log_config={"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}},
        network=network, ports={"8080/tcp": ("127.0.0.1", port)},
        environment={"APP_MODE": "production"}, tmpfs={"/tmp": "rw,noexec,size=1m"},
    )
    args.update(changes)
    return {k: v for k, v in args.items() if v is not None}


@dataclass
class Lab:
    """Containers and networks made for one test module, all removed at the end."""

    client: Any
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    names: list[str] = field(default_factory=list)
    networks: list[Any] = field(default_factory=list)

    @property
    def label(self) -> dict[str, str]:
        return {"ctrsec.test": self.tag}

    def network(self) -> str:
        net = self.client.networks.create(f"ctrsec-test-net-{self.tag}", labels=self.label)
        self.networks.append(net)
        return str(net.name)

    def create(self, name: str, args: Mapping[str, Any], start: bool = False) -> str:
        """Create (and with ``start``, start) a container; returns its full name."""
        full = f"ctrsec-test-{name}-{self.tag}"
        args = dict(args)
        labels = {**self.label, **args.pop("labels", {})}
        container = self.client.containers.create(name=full, labels=labels, **args)
        self.names.append(full)
        if start:
            container.start()
        return full

    def load(self, name: str) -> Container:
        return load_container(name)

    def close(self) -> None:
        for name in self.names:
            try:
                self.client.containers.get(name).remove(force=True, v=True)
            except Exception:  # already gone
                pass
        for net in self.networks:
            net.remove()
