"""Where an image comes from: ``docker-archive:PATH[:TAG]``, ``oci:PATH[:NAME]`` or an
engine reference (``name:tag``, an id or a digest)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...errors import ConfigError

ARCHIVE = "docker-archive"
OCI = "oci"
ENGINE = "engine"


@dataclass(frozen=True)
class ImageSource:
    """``ref`` as the user gave it; ``location`` the engine reference or the path; ``name``
    the tag or ref name chosen inside an archive or layout."""

    kind: str
    ref: str
    location: str
    name: str | None = None

    @property
    def is_file(self) -> bool:
        return self.kind != ENGINE


def parse_source(ref: str) -> ImageSource:
    """Read one ``--ctrsec-image`` value."""
    ref = ref.strip()
    if not ref:
        raise ConfigError("--ctrsec-image: empty image reference")
    for prefix in (ARCHIVE, OCI):
        if ref.startswith(prefix + ":"):
            path, name = _split_path(ref[len(prefix) + 1:])
            if not path:
                raise ConfigError(f"--ctrsec-image {ref}: no path after '{prefix}:'")
            return ImageSource(prefix, ref, path, name)
    return ImageSource(ENGINE, ref, ref)


def _split_path(rest: str) -> tuple[str, str | None]:
    """``PATH`` or ``PATH:NAME``: the longest prefix that exists is the path (paths may hold
    colons, names may too)."""
    if os.path.exists(rest):
        return rest, None
    cut = len(rest)
    while (cut := rest.rfind(":", 0, cut)) > 0:
        if os.path.exists(rest[:cut]):
            return rest[:cut], rest[cut + 1:] or None
    return rest, None
