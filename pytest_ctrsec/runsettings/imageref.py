"""Image references: ``[registry[:port]/]path[:tag][@algo:digest]``, and which tags move.

Shared by every rule about pinning (Compose, containers, Dockerfile ``FROM``, Kubernetes).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Tags that are re-pointed as new builds appear, so they pin nothing.
MOVING_TAGS = frozenset({
    "latest", "stable", "edge", "nightly", "dev", "test", "main", "master", "develop",
    "development", "unstable", "rolling", "canary", "snapshot", "current", "lts",
    "mainline", "release", "beta", "alpha", "preview", "next", "rc", "insiders", "devel",
    "experimental", "prod", "production", "staging",
})
# Words that name only a variant of whatever release is newest: ``redis:alpine`` is the
# newest Redis on Alpine, ``php:fpm-alpine`` the newest PHP-FPM (a variant's own version may
# follow, as in ``alpine3.19``).
VARIANT_WORDS = frozenset({
    "alpine", "slim", "fpm", "apache", "cli", "zts", "management", "perl", "otel", "jdk",
    "jre", "musl", "windowsservercore", "nanoserver", "dind", "rootless", "distroless",
})
_WORD_SPLIT = re.compile(r"[-_]")
_VARIANT = re.compile(r"([a-z]+)[0-9.]*")
# A word that names one build: a version (``1.25``, ``v2``), a date or a commit hash.
_BUILD_WORD = re.compile(r"v?[0-9].*|(?=[a-z]*[0-9])[0-9a-f]{7,40}")


def _variant(word: str) -> bool:
    match = _VARIANT.fullmatch(word)
    return match is not None and match.group(1) in VARIANT_WORDS


@functools.lru_cache(maxsize=4096)
def moving_tag(tag: str) -> bool:
    """Whether a tag is re-pointed as releases appear: a moving name (``latest``, ``lts``),
    a moving name with variants (``lts-jdk17``, ``stable-alpine``) or variants alone
    (``alpine``, ``fpm-alpine``); a version, date or commit anywhere fixes it
    (``main-4f2a1c3``, ``1.25-alpine``).

    >>> [moving_tag(t) for t in ("lts-jdk17", "alpine", "1.25-alpine", "main-4f2a1c3",
    ...                          "bookworm")]
    [True, True, False, False, False]
    """
    words = _WORD_SPLIT.split(tag.lower())
    if any(_BUILD_WORD.fullmatch(w) for w in words):
        return False
    if words[0] in MOVING_TAGS:
        return True
    return all(w in MOVING_TAGS or _variant(w) for w in words)


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
        return self.tag is None or moving_tag(self.tag)


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
