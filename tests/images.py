"""Build small test images on the real engine: ``FROM scratch`` plus Debian's static busybox
and planted files, since no registry can be reached from these machines."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from typing import Any

BUSYBOX = "/bin/busybox"  # Debian busybox-static: no shared libraries needed in scratch

PlantedFile = bytes | tuple[bytes, int]  # content, or (content, mode)


def build_context(files: Mapping[str, PlantedFile], dockerfile: str,
                  with_busybox: bool = True) -> bytes:
    """A gzip-less tar build context holding the Dockerfile, busybox and the planted files
    (each under ``files/<path>`` in the context, keeping its mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        _add(tar, "Dockerfile", dockerfile.encode(), 0o644)
        if with_busybox:
            with open(BUSYBOX, "rb") as fh:
                _add(tar, "busybox", fh.read(), 0o755)
        for path, spec in files.items():
            content, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
            _add(tar, "files/" + path.lstrip("/"), content, mode)
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, content: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = mode
    tar.addfile(info, io.BytesIO(content))


def busybox_dockerfile(extra: Sequence[str] = (), planted: bool = False) -> str:
    """A Dockerfile FROM scratch with busybox installed at /bin, then ``extra`` lines.
    With ``planted``, the planted files are copied to / first (modes kept)."""
    lines = ["FROM scratch", "COPY busybox /bin/busybox",
             'RUN ["/bin/busybox", "--install", "-s", "/bin"]']
    if planted:
        lines.append("COPY files/ /")
    return "\n".join([*lines, *extra]) + "\n"


def build_image(client: Any, tag: str, extra: Sequence[str] = (),
                files: Mapping[str, PlantedFile] | None = None,
                dockerfile: str | None = None, with_busybox: bool = True) -> Any:
    """Build ``tag`` on the engine and return the ``docker`` Image object."""
    text = dockerfile or busybox_dockerfile(extra, planted=bool(files))
    context = build_context(files or {}, text, with_busybox)
    image, _ = client.images.build(fileobj=io.BytesIO(context), custom_context=True,
                                   tag=tag, rm=True, forcerm=True)
    return image
