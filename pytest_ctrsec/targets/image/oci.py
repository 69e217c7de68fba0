"""OCI image layout directories (``oci-layout``, ``index.json``, ``blobs/<alg>/<hex>``)."""

from __future__ import annotations

import json
import os
import platform
import re
from typing import Any

from ...errors import InputError, SchemaError
from .archive import JSON_LIMIT, ScanResult
from .fsindex import FileIndex
from .layers import apply, summarise
from .streams import FileWindow

REF_NAME = "org.opencontainers.image.ref.name"
_DIGEST = re.compile(r"(sha256|sha512):([0-9a-f]{64,128})")
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json")
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


class OciLayout:
    """One image of an OCI layout: :attr:`config` and :attr:`repo_tags` are read on open,
    layers on :meth:`scan`."""

    def __init__(self, root: str, label: str, want: str | None = None) -> None:
        self._root = root
        self._label = label
        if not os.path.isfile(os.path.join(root, "oci-layout")):
            raise InputError("not an OCI image layout (no oci-layout file)", label)
        index = self._json_file(os.path.join(root, "index.json"))
        desc, name = self._choose(index, want)
        manifest = self._resolve_index(desc)
        config = manifest.get("config")
        if not isinstance(config, dict):
            raise SchemaError("image manifest has no config", label)
        self.config = self._blob(config, JSON_LIMIT)
        self.layers = [d for d in manifest.get("layers") or () if isinstance(d, dict)]
        self.repo_tags = (name,) if name else ()

    def _json_file(self, path: str) -> dict[str, Any]:
        name = os.path.basename(path)
        return self._parse(self._read(path, name, JSON_LIMIT), name)

    def _read(self, path: str, what: str, limit: int) -> bytes:
        """At most ``limit`` bytes of a metadata file; a larger one is not metadata."""
        try:
            with open(path, "rb") as fh:
                raw = fh.read(limit + 1)
        except OSError as err:
            raise InputError(f"cannot read {what}: {err.strerror}", self._label) from None
        if len(raw) > limit:
            raise SchemaError(f"{what} is too large for metadata", self._label)
        return raw

    def _parse(self, raw: bytes, what: str) -> dict[str, Any]:
        try:
            doc = json.loads(raw)
        except ValueError as err:
            raise SchemaError(f"{what} is not JSON: {err}", self._label) from None
        if not isinstance(doc, dict):
            raise SchemaError(f"{what} is not a JSON object", self._label)
        return doc

    def _choose(self, index: dict[str, Any], want: str | None) -> tuple[dict[str, Any], str]:
        manifests = [m for m in index.get("manifests") or () if isinstance(m, dict)]
        if not manifests:
            raise SchemaError("index.json lists no manifest", self._label)
        named = [(m, str((m.get("annotations") or {}).get(REF_NAME) or "")) for m in manifests]
        if want is not None:
            hits = [(m, n) for m, n in named if n == want]
            if not hits:
                raise SchemaError(f"index.json has no image named {want!r}", self._label)
            return hits[0]
        if len(named) > 1:
            names = ", ".join(n or "unnamed" for _, n in named)
            raise SchemaError(f"the layout holds {len(named)} images ({names}); name one as "
                              "oci:PATH:NAME", self._label)
        return named[0]

    def _resolve_index(self, desc: dict[str, Any]) -> dict[str, Any]:
        """Follow nested indexes to the manifest for this machine's platform."""
        for _ in range(4):
            doc = self._parse(self._blob(desc, JSON_LIMIT), "manifest")
            if doc.get("mediaType") not in _INDEX_TYPES and "manifests" not in doc:
                return doc
            desc = self._platform(doc)
        raise SchemaError("image indexes nest too deeply", self._label)

    def _platform(self, index: dict[str, Any]) -> dict[str, Any]:
        arch = _ARCH.get(platform.machine(), platform.machine())
        options = [m for m in index.get("manifests") or () if isinstance(m, dict)]
        for m in options:
            plat = m.get("platform") or {}
            if plat.get("os", "linux") == "linux" and plat.get("architecture") == arch:
                return m
        if len(options) == 1:
            return options[0]
        raise SchemaError(f"no image for linux/{arch} in the image index", self._label)

    def blob_path(self, desc: dict[str, Any]) -> str:
        match = _DIGEST.fullmatch(str(desc.get("digest") or ""))
        if match is None:
            raise SchemaError(f"bad blob digest {str(desc.get('digest'))[:80]!r}", self._label)
        return os.path.join(self._root, "blobs", match.group(1), match.group(2))

    def _blob(self, desc: dict[str, Any], limit: int) -> bytes:
        return self._read(self.blob_path(desc), f"blob {desc.get('digest')}", limit)

    def scan(self, scan_limit: int) -> ScanResult:
        index = FileIndex()
        for number, desc in enumerate(self.layers):
            path = self.blob_path(desc)
            label = f"{self._label}: layer {desc.get('digest')}"
            try:
                fh = open(path, "rb")
            except OSError as err:
                raise InputError(f"missing layer blob: {err.strerror}", label) from None
            with fh:
                size = fh.seek(0, 2)
                apply(index, summarise(FileWindow(fh, 0, size), label, number, scan_limit))
        return ScanResult(self.config, index, self.repo_tags)
