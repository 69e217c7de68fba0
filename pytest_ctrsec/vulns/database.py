"""The offline OSV database of a run: every dump under ``--ctrsec-vulndb``, each indexed once
into the cache folder (keyed by its content hash), queried together."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .dumps import HashMemo, discover, fingerprint
from .index import Hit, Index, build, index_path

CACHE_ENV = "CTRSEC_VULNDB_CACHE"


def default_cache_dir() -> Path:
    """``$CTRSEC_VULNDB_CACHE``, else ``$XDG_CACHE_HOME/pytest-ctrsec/vulndb`` (for runs
    without pytest's cache provider)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytest-ctrsec" / "vulndb"


@dataclass(frozen=True)
class BuildReport:
    """What opening the database did: dumps indexed now (with their record counts) and
    dumps found already indexed."""

    built: tuple[tuple[str, int], ...]
    reused: tuple[str, ...]


class OsvDatabase:
    """All dumps of one ``--ctrsec-vulndb`` path. ``query`` returns each record once (the
    newest copy when several dumps hold it, as Debian/all.zip and Debian:12/all.zip do), and
    no withdrawn record."""

    def __init__(self, indexes: list[Index], report: BuildReport) -> None:
        self.indexes = indexes
        self.report = report
        self.ecosystems = frozenset().union(*(i.ecosystems for i in indexes))
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str, cache_dir: Path | str | None = None) -> OsvDatabase:
        cache = Path(cache_dir) if cache_dir else default_cache_dir()
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"--ctrsec-vulndb-cache: {cache}: {err.strerror or err}") from None
        memo = HashMemo(cache)
        indexes: list[Index] = []
        built: list[tuple[str, int]] = []
        reused: list[str] = []
        for dump in discover(path):
            target = index_path(cache, fingerprint(dump, memo))
            if target.exists():
                reused.append(dump.label)
            else:
                built.append((dump.label, build(dump, target)))
            indexes.append(Index(target, dump.label))
        memo.save()
        return cls(indexes, BuildReport(tuple(built), tuple(reused)))

    def has(self, ecosystem: str) -> bool:
        return ecosystem in self.ecosystems

    def query(self, ecosystem: str, name: str) -> list[Hit]:
        holding = [i for i in self.indexes if ecosystem in i.ecosystems]
        if len(holding) == 1:  # the usual case: each record once, nothing to reconcile
            with self._lock:
                return [h for h in holding[0].query(ecosystem, name) if not h.withdrawn_at]
        chosen: dict[str, tuple[str, int, list[Hit]]] = {}  # id -> (modified, index no, hits)
        with self._lock:
            for no, index in enumerate(self.indexes):
                if ecosystem not in index.ecosystems:
                    continue
                for hit in index.query(ecosystem, name):
                    rid, mod = hit.id, hit.modified
                    have = chosen.get(rid)
                    if have is None or mod > have[0]:
                        chosen[rid] = (mod, no, [hit])
                    elif have[1] == no:
                        have[2].append(hit)  # another entry of the same record copy
        # Withdrawn records are ignored, judged on their newest copy only.
        return [h for _, _, hits in chosen.values() for h in hits if not h.withdrawn]

    def __iter__(self) -> Iterator[Index]:
        return iter(self.indexes)

    def close(self) -> None:
        for index in self.indexes:
            index.close()
