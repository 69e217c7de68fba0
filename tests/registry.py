"""A throwaway image registry on 127.0.0.1 (Debian's ``docker-registry``), for tests that need
an image reference with a digest: only a push or a pull gives a local image its RepoDigest."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BINARY = "docker-registry"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_registry(timeout: float = 30) -> Iterator[str]:
    """Yields ``127.0.0.1:PORT``; the engine pushes there without TLS (loopback registries
    are insecure by default), so the main engine's configuration is not touched."""
    if shutil.which(BINARY) is None:
        raise FileNotFoundError(f"{BINARY} is not installed (Debian package docker-registry)")
    root = Path(tempfile.mkdtemp(prefix="ctrsec-registry-"))
    address = f"127.0.0.1:{free_port()}"
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n"
                      f"http:\n  addr: {address}\n")
    log = open(root / "registry.log", "wb")
    proc = subprocess.Popen([BINARY, "serve", str(config)], stdout=log, stderr=log)
    try:
        _wait(address, proc, timeout)
        yield address
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait(address: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    host, port = address.split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{BINARY} did not listen on {address}")
