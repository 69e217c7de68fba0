"""Package inventory of an image's merged filesystem, without running it.

>>> inv = inventory(image.fs)                    # doctest: +SKIP
>>> [p.key for p in inv.of_type("deb")][:2]       # doctest: +SKIP
['adduser:all@3.134', 'apt:amd64@2.6.1']

Sources: OS from os-release (with fallbacks); dpkg ``status`` and ``status.d/``; apk
``installed`` (both paths); rpm ``rpmdb.sqlite`` and Berkeley DB ``Packages``; Python
``dist-info``/``egg-info``; npm ``node_modules/**/package.json``. Only files the layer pass
captured are read. Language packages an OS package installed (Debian's pip dist-info) are
left out: see :mod:`.owned`.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from ..errors import InputError
from . import apk, dpkg, npm, owned, python, rpm
from .model import Inventory, OsInfo, Package
from .osrelease import detect
from .purls import purl

__all__ = ["Inventory", "OsInfo", "Package", "inventory", "packages_of"]

_BASENAMES = frozenset({"status", "installed", "rpmdb.sqlite", "Packages", "Packages.db",
                        "METADATA", "PKG-INFO", "package.json"})
_LANGUAGE = frozenset({"pypi", "npm"})
_CACHE: OrderedDict[str, Inventory] = OrderedDict()
_CACHE_SIZE = 32


def _candidates(fs: Any) -> Iterator[tuple[str, Any]]:
    """Regular files whose name can hold package data (cheap test before the patterns)."""
    for path, entry in fs.walk(""):
        if not entry.is_file:
            continue
        base = posixpath.basename(path)
        if (base in _BASENAMES or base.endswith(".egg-info") or "/status.d/" in path
                or base.endswith(".list") and owned.DPKG_LIST.fullmatch(path)):
            yield path, entry


def _read(path: str, entry: Any, problems: list[str]) -> bytes | None:
    if entry.data is None:
        if entry.size:
            problems.append(f"/{path}: package data not captured ({entry.size} bytes)")
        return None
    return entry.data


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _scan(fs: Any, problems: list[str], os_files: list[str]) -> Iterator[Package]:
    for path, entry in _candidates(fs):
        try:
            yield from _one_file(fs, path, entry, problems, os_files)
        except InputError as err:
            problems.append(f"/{path}: {err.message}")


def _one_file(fs: Any, path: str, entry: Any, problems: list[str],
              os_files: list[str]) -> Iterable[Package]:
    """The packages ``path`` describes; the metadata files OS packages installed are added
    to ``os_files``."""
    if owned.DPKG_LIST.fullmatch(path) or owned.DPKG_MD5SUMS.fullmatch(path):
        data = _read(path, entry, problems)
        reader = owned.dpkg_list if path.endswith(".list") else owned.dpkg_md5sums
        os_files.extend(reader(_text(data)) if data is not None else ())
        return ()
    if path == dpkg.STATUS or dpkg.is_status_d(path):
        data = _read(path, entry, problems)
        return dpkg.parse(_text(data), "/" + path) if data is not None else ()
    if apk.INSTALLED.fullmatch(path):
        data = _read(path, entry, problems)
        if data is None:
            return ()
        text = _text(data)
        os_files.extend(owned.apk_files(text))
        return apk.parse(text, "/" + path)
    if rpm.SQLITE.fullmatch(path):
        data = _read(path, entry, problems)
        wal = fs.data(path + "-wal")
        return _rpm(partial(rpm.parse_sqlite, data, wal, "/" + path), os_files) if data else ()
    if rpm.BDB.fullmatch(path):
        data = _read(path, entry, problems)
        return _rpm(partial(rpm.parse_bdb, data, "/" + path), os_files) if data else ()
    if rpm.LEGACY.fullmatch(path):
        problems.append(f"/{path}: ndb rpm databases are not read (only rpmdb.sqlite and "
                        "Berkeley DB Packages); its packages are not inventoried")
        return ()
    if python.METADATA.fullmatch(path):
        data = _read(path, entry, problems)
        found = python.parse(_text(data), "/" + path) if data is not None else None
        return (found,) if found else ()
    if npm.PACKAGE_JSON.fullmatch(path):
        data = _read(path, entry, problems)
        found = npm.parse(data, "/" + path) if data is not None else None
        return (found,) if found else ()
    return ()


def _rpm(read: Callable[[list[str]], Iterable[Package]], os_files: list[str]) -> list[Package]:
    """The packages of one rpm database; the metadata files they install go to
    ``os_files``."""
    files: list[str] = []
    found = list(read(files))
    os_files.extend(owned.metadata_only(files))
    return found


def inventory(fs: Any) -> Inventory:
    """The OS and installed packages of a merged filesystem
    (:class:`~pytest_ctrsec.targets.image.fsindex.FileIndex`)."""
    os_info = detect(fs.data)
    problems: list[str] = []
    os_files: list[str] = []
    scanned = list(_scan(fs, problems, os_files))
    from_os = frozenset(os_files)
    found = [dataclasses.replace(p, purl=purl(p, os_info)) for p in scanned
             if p.type not in _LANGUAGE or p.path.lstrip("/") not in from_os]
    return Inventory(os_info, tuple(found), tuple(problems))


def packages_of(image: Any) -> Inventory:
    """The inventory of an image model (kept per image digest for the session)."""
    key = image.digest
    cached = _CACHE.get(key)
    if cached is None:
        cached = _CACHE[key] = inventory(image.fs)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return cached
