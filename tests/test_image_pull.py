"""--ctrsec-pull: an image missing from the engine is pulled only when asked, here from
Debian's docker-registry serving on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from images import build_image

from pytest_ctrsec.errors import TargetUnavailable
from pytest_ctrsec.targets.image import LoadSettings, open_image


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    exe = shutil.which("docker-registry")
    if exe is None:
        pytest.skip("Debian's docker-registry is not installed")
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\n"
                      f"http:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n")
    proc = subprocess.Popen([exe, "serve", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_pull_only_when_asked(docker_client: Any, registry: str) -> None:
    ref = f"{registry}/ctrsec-test/pull:1"
    image = build_image(docker_client, ref, ["USER 1000"])
    for line in docker_client.images.push(ref, stream=True, decode=True):
        assert "error" not in line, line
    docker_client.images.remove(ref)
    try:
        with pytest.raises(TargetUnavailable, match="--ctrsec-pull"):
            open_image(ref).config  # noqa: B018
        pulled = open_image(ref, LoadSettings(pull=True))
        assert pulled.config.user == "1000" and pulled.digest == image.id
    finally:
        docker_client.images.remove(ref, noprune=True)
