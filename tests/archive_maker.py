"""Hand-made image archives for the reader tests (hostile ones included)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class M:
    """A layer member: ``kind`` is file, dir, symlink or hardlink."""

    name: str
    kind: str = "file"
    data: bytes = b""
    mode: int = 0o644
    link: str = ""
    uid: int = 0
    gid: int = 0


def layer(members: Sequence[M], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for m in members:
            info = tarfile.TarInfo(m.name)
            info.mode, info.uid, info.gid, info.mtime = m.mode, m.uid, m.gid, 1_700_000_000
            if m.kind == "dir":
                info.type = tarfile.DIRTYPE
            elif m.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, m.link
            elif m.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, m.link
            else:
                info.size = len(m.data)
            tar.addfile(info, io.BytesIO(m.data) if m.kind == "file" else None)
    return buf.getvalue()


def config_for(layers: Sequence[bytes], **conf: object) -> bytes:
    diff_ids = ["sha256:" + hashlib.sha256(x).hexdigest() for x in layers]
    return json.dumps({"architecture": "amd64", "os": "linux", "config": conf,
                       "created": "2026-01-01T00:00:00Z",
                       "rootfs": {"type": "layers", "diff_ids": diff_ids},
                       "history": [{"created_by": "test"} for _ in layers]}).encode()


def docker_archive(layers: Sequence[bytes], tags: Sequence[str] = ("t/x:1",),
                   config: bytes | None = None) -> bytes:
    """A legacy ``docker save`` tar: ``<n>/layer.tar``, ``<hex>.json``, manifest last."""
    config = config if config is not None else config_for(layers)
    conf_name = hashlib.sha256(config).hexdigest() + ".json"
    names = [f"{i:064x}/layer.tar" for i in range(len(layers))]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in zip(names, layers, strict=True):
            _add(tar, name, data)
        _add(tar, conf_name, config)
        manifest = [{"Config": conf_name, "RepoTags": list(tags), "Layers": names}]
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
