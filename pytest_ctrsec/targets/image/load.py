"""Read an image once: find its digest cheaply, reuse a cached analysis for that digest, or
make one full pass over its layers and store it (atomically, under a lock, so xdist workers
that start together read the image once)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...engine import get_client
from ...errors import InputError, TargetUnavailable
from .archive import ScanResult, open_archive, scan_stream
from .config import ImageConfig
from .enginestream import save_stream
from .fsindex import Entry, FileIndex
from .layers import ANALYSIS_VERSION, SCAN_LIMIT_DEFAULT
from .model import ImageData
from .oci import OciLayout
from .source import ARCHIVE, ENGINE, OCI, ImageSource
from .streams import ChunkSource

_CACHE_FORMAT = 1


@dataclass(frozen=True)
class LoadSettings:
    """How images are read: where the analysis cache lives (``None``: no cache), whether a
    missing engine image may be pulled, and the size cap of the secret-content scan."""

    cache_dir: Path | None = None
    pull: bool = False
    scan_limit: int = SCAN_LIMIT_DEFAULT


def load(source: ImageSource, settings: LoadSettings) -> ImageData:
    """The analysed image, from the cache when its digest was seen before."""
    if source.kind == ENGINE:
        return _load_engine(source, settings)
    if source.kind == ARCHIVE:
        return _load_archive(source, settings)
    if source.kind == OCI:
        return _load_oci(source, settings)
    raise InputError(f"unknown image source kind {source.kind!r}", source.ref)


def _finish(config: bytes, result: ScanResult | None, cached: tuple[ImageConfig, FileIndex] |
            None, label: str, tags: tuple[str, ...], digests: tuple[str, ...] = ()) -> ImageData:
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    if cached is not None:
        conf, index = cached
    else:
        assert result is not None
        conf, index = ImageConfig.from_bytes(config, label), result.index
    return ImageData(digest, conf, index, tags, digests)


def _load_archive(source: ImageSource, settings: LoadSettings) -> ImageData:
    label = source.location
    try:
        archive, fh = open_archive(source.location, label, source.name)
    except OSError as err:
        raise InputError(f"cannot read image archive: {err.strerror}", label) from None
    with fh:
        if archive is None:  # a compressed archive: one streamed pass, no early digest
            from .streams import FileWindow, decompressed
            size = fh.seek(0, 2)
            src = FileWindow(fh, 0, size)
            streamed = scan_stream(decompressed(src, src.read(512), label), label,
                                   settings.scan_limit, source.name)
            return _finish(streamed.config, streamed, None, label, streamed.repo_tags)
        key = _key(archive.config, settings)
        with _cached(settings.cache_dir, key) as (cached, store):
            result = None if cached else archive.scan(settings.scan_limit)
            data = _finish(archive.config, result, cached, label, archive.item.repo_tags)
            store(data)
            return data


def _load_oci(source: ImageSource, settings: LoadSettings) -> ImageData:
    layout = OciLayout(source.location, source.location, source.name)
    with _cached(settings.cache_dir, _key(layout.config, settings)) as (cached, store):
        result = None if cached else layout.scan(settings.scan_limit)
        data = _finish(layout.config, result, cached, source.location, layout.repo_tags)
        store(data)
        return data


def inspect_engine_image(ref: str, pull: bool = False) -> dict[str, Any]:
    """``docker image inspect`` of ``ref``; pulled first only when ``pull`` says so."""
    from docker.errors import APIError, ImageNotFound

    client = get_client()
    try:
        return client.api.inspect_image(ref)
    except ImageNotFound:
        if not pull:
            raise TargetUnavailable(f"image {ref} is not in the local engine (pass "
                                    "--ctrsec-pull to pull it)") from None
    except APIError as err:
        raise TargetUnavailable(f"image {ref}: {err.explanation or err}") from None
    try:
        client.images.pull(ref)
        return client.api.inspect_image(ref)
    except APIError as err:
        raise TargetUnavailable(f"image {ref} could not be pulled: "
                                f"{err.explanation or err}") from None


def _load_engine(source: ImageSource, settings: LoadSettings) -> ImageData:
    info = inspect_engine_image(source.location, settings.pull)
    image_id = str(info.get("Id") or "")
    tags = tuple(info.get("RepoTags") or ())
    digests = tuple(info.get("RepoDigests") or ())
    with _cached(settings.cache_dir, _key_for_digest(image_id, settings)) as (cached, store):
        if cached:
            conf, index = cached
            data = ImageData(image_id, conf, index, tags, digests)
        else:
            result = scan_stream(ChunkSource(save_stream(image_id)), f"image {source.location}",
                                 settings.scan_limit)
            data = _finish(result.config, result, None, source.location, tags, digests)
        store(data)
        return data


# -- the cache ---------------------------------------------------------------------------

def _key(config: bytes, settings: LoadSettings) -> str:
    return _key_for_digest("sha256:" + hashlib.sha256(config).hexdigest(), settings)


def _key_for_digest(digest: str, settings: LoadSettings) -> str:
    text = f"{digest}|{ANALYSIS_VERSION}|{_CACHE_FORMAT}|{settings.scan_limit}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@contextlib.contextmanager
def _cached(cache_dir: Path | None, key: str) -> Iterator[tuple[Any, Any]]:
    """Yield ``(cached (config, index) or None, store(data))`` holding a lock on ``key``."""
    if cache_dir is None:
        yield None, lambda data: None
        return
    folder = Path(cache_dir) / "ctrsec-images"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.pickle"
    with open(folder / f"{key}.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            cached = _read_cache(path)
            yield cached, (lambda data: None) if cached else (lambda data: _write_cache(path,
                                                                                          data))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_cache(path: Path) -> tuple[ImageConfig, FileIndex] | None:
    try:
        with open(path, "rb") as fh:
            fmt, config, rows = pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
        return None  # absent or unreadable: read the image again
    if fmt != _CACHE_FORMAT:
        return None
    return config, FileIndex.from_entries((p, Entry(*e)) for p, e in rows)


def _write_cache(path: Path, data: ImageData) -> None:
    rows = [(p, tuple(e)) for p, e in data.fs.entries()]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((_CACHE_FORMAT, data.config, rows), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
