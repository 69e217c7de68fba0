"""Image references: ``[registry[:port]/]path[:tag][@algo:digest]``, and which tags move.

Shared by every rule about pinning (Compose, containers, Dockerfile ``FROM``, Kubernetes).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# Tags that are re-pointed as new builds appear, so they pin nothing.
MOVING_TAGS = frozenset({
    "latest", "stable", "edge", "nightly", "dev", "test", "main", "master", "develop",
    "development", "unstable", "rolling", "canary", "snapshot", "current", "lts",
})


@dataclass(frozen=True)
class ImageRef:
    """A parsed reference; ``tag`` and ``digest`` are ``None`` when absent."""

    name: str
    tag: str | None = None
    digest: str | None = None

    @property
    def digest_pinned(self) -> bool:
        return self.digest is not None and self.digest.startswith("sha256:")

    @property
    def moving(self) -> bool:
        """Whether the reference names no fixed content: no digest and a missing
        (implied ``latest``) or moving tag."""
        if self.digest_pinned:
            return False
        return self.tag is None or self.tag.lower() in MOVING_TAGS


@functools.lru_cache(maxsize=4096)
def parse_image_ref(ref: str) -> ImageRef:
    """Split a reference; the tag is looked for after the last ``/`` so a registry port
    (``localhost:5000/app``) is not taken for a tag.

    >>> parse_image_ref("localhost:5000/app")
    ImageRef(name='localhost:5000/app', tag=None, digest=None)
    >>> parse_image_ref("nginx:1.25@sha256:abc").digest_pinned
    True
    """
    text = ref.strip()
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        return ImageRef(text[:colon], text[colon + 1:] or None, digest)
    return ImageRef(text, None, digest)
