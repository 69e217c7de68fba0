"""Helpers for the image tests: a layered test image, ground truth from ``docker export``
and conversions with ``docker save`` and skopeo."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from images import build_image

# Runtime entries the engine adds to a created container (not part of the image).
RUNTIME = {".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/mtab",
           "dev", "proc", "sys"}

LAYERED = [
    # layer: dirs to delete later, an opaque-to-be dir, a hardlink, symlinks, modes
    "RUN mkdir -p /data/keep /data/gone/sub /opq/a /var/lib/apt/lists "
    "&& echo hi > /data/gone/sub/f && echo x > /opq/a/old && echo k > /data/keep/k "
    "&& ln /bin/busybox /data/hard && ln -s /etc/passwd /data/sl && ln -s ../keep /data/rel "
    "&& mkdir -m 1777 /data/tmp && touch /data/ww && chmod 666 /data/ww",
    # layer: deletions (whiteouts), an opaque directory, a setuid file and a file over a dir
    "RUN rm -rf /data/gone /opq && mkdir -p /opq/b && echo n > /opq/b/new "
    "&& chmod 4755 /data/hard && rm -rf /data/keep && echo f > /data/keep "
    "&& chown 1:2 /data/ww",
]


def build_layered(client: Any, tag: str) -> Any:
    files = {"etc/passwd": b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
             "etc/group": b"root:x:0:\napp:x:1000:\n",
             "etc/shadow": (b"root:*:19000::::::\napp:!:19000::::::\n", 0o640)}
    return build_image(client, tag, LAYERED, files=files)


def exported(client: Any, ref: str) -> dict[str, tuple[Any, ...]]:
    """``{path: (kind, mode, uid, gid, size, linkname)}`` of a created, never started
    container of ``ref``, hardlinks given their target's attributes."""
    container = client.containers.create(ref, command=["/nonexistent"])
    try:
        raw = b"".join(container.export(chunk_size=1 << 20))
    finally:
        container.remove(force=True)
    out: dict[str, tuple[Any, ...]] = {}
    links: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar:
            path = _clean(m.name)
            if not path:
                continue
            if m.islnk():
                links[path] = _clean(m.linkname)
            kind = ("dir" if m.isdir() else "symlink" if m.issym() else "file" if
                    (m.isfile() or m.islnk()) else "char" if m.ischr() else "block" if
                    m.isblk() else "fifo")
            out[path] = (kind, m.mode & 0o7777, m.uid, m.gid, m.size if m.isfile() else 0,
                         m.linkname if m.issym() else "")
    for path, target in links.items():
        out[path] = out[target]
    return out


def _clean(name: str) -> str:
    name = name[2:] if name.startswith("./") else name
    return name.strip("/")


def listing(fs: Any) -> dict[str, tuple[Any, ...]]:
    """The same shape from a :class:`FileIndex` (hardlinks as plain files)."""
    return {p: (e.kind, e.mode, e.uid, e.gid, e.size, e.linkname if e.is_symlink else "")
            for p, e in fs}


def without_runtime(listing_: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {p: v for p, v in listing_.items()
            if p not in RUNTIME and not p.startswith(("dev/", "proc/", "sys/"))}


def save(client: Any, ref: str, path: Path) -> Path:
    with open(path, "wb") as fh:
        for chunk in client.api.get_image(ref, chunk_size=1 << 20):
            fh.write(chunk)
    return path


def skopeo_oci(ref: str, folder: Path, name: str = "t", zstd: bool = False,
               docker_config: bool = False) -> Path:
    """An OCI layout of ``ref``. Converting to OCI manifests drops what only Docker's config
    has (HEALTHCHECK); ``docker_config`` keeps the Docker manifest and config in the layout."""
    if shutil.which("skopeo") is None:
        import pytest
        pytest.skip("skopeo is not installed (apt-get install skopeo)")
    cmd = ["skopeo", "copy", "-q"]
    if zstd:
        cmd += ["--dest-compress-format", "zstd", "--dest-compress"]
    if docker_config:
        cmd += ["--format", "v2s2"]
    subprocess.run([*cmd, f"docker-daemon:{ref}", f"oci:{folder}:{name}"], check=True,
                   capture_output=True)
    return folder
