"""CycloneDX SBOMs of images (``--ctrsec-sbom=DIR``): one JSON document per image listing
its OS and installed packages with purls, licenses and where each was found."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from . import __version__
from .errors import ConfigError
from .inventory import Inventory, Package, packages_of

try:
    from cyclonedx.contrib.license.factories import LicenseFactory
except ImportError:  # cyclonedx-python-lib before the contrib move
    from cyclonedx.factory.license import LicenseFactory

PROPERTY_PREFIX = "ctrsec:"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _licenses(pkg: Package) -> list[Any]:
    factory = LicenseFactory()
    return [factory.make_from_string(text) for text in pkg.licenses if text.strip()]


def _component(pkg: Package) -> Component:
    props = [Property(name=f"{PROPERTY_PREFIX}package:type", value=pkg.type)]
    if pkg.path:
        props.append(Property(name=f"{PROPERTY_PREFIX}package:path", value=pkg.path))
    if pkg.source_name and (pkg.source_name, pkg.source_version) != (pkg.name, pkg.version):
        props.append(Property(name=f"{PROPERTY_PREFIX}package:source",
                              value=f"{pkg.source_name} {pkg.source_version}"))
    purl = PackageURL.from_string(pkg.purl) if pkg.purl else None
    ref = f"{pkg.purl or pkg.key}#{pkg.path}"
    return Component(type=ComponentType.LIBRARY, name=pkg.name, version=pkg.version, purl=purl,
                     bom_ref=ref, licenses=_licenses(pkg), properties=props)


def build_bom(inv: Inventory, ref: str, digest: str) -> Bom:
    """The SBOM of one image: the image is the subject, the OS and every package depend
    from it."""
    bom = Bom()
    image = Component(type=ComponentType.CONTAINER, name=ref, version=digest,
                      bom_ref=f"image:{digest}")
    bom.metadata.component = image
    bom.metadata.properties.add(Property(name=f"{PROPERTY_PREFIX}generator",
                                         value=f"pytest-ctrsec {__version__}"))
    parts: list[Component] = []
    if inv.os is not None:
        parts.append(Component(type=ComponentType.OPERATING_SYSTEM, name=inv.os.id,
                               version=inv.os.version_id or None, bom_ref=f"os:{inv.os.label}",
                               description=inv.os.name or None))
    seen: set[str] = set()
    for pkg in inv.packages:
        comp = _component(pkg)
        if str(comp.bom_ref) in seen:
            continue  # the same package recorded twice in one database
        seen.add(str(comp.bom_ref))
        parts.append(comp)
    for comp in parts:
        bom.components.add(comp)
    bom.register_dependency(image, parts)
    return bom


def sbom_json(image: Any) -> str:
    """The CycloneDX 1.6 JSON SBOM of an image model."""
    return JsonV1Dot6(build_bom(packages_of(image), image.ref, image.digest)).output_as_string(indent=2)


def sbom_filename(ref: str) -> str:
    """``registry.example/app:1.4`` -> ``registry.example_app_1.4.cdx.json``."""
    return _UNSAFE.sub("_", ref).strip("_") + ".cdx.json"


def write_sbom(image: Any, directory: str | Path) -> Path:
    """Write the image's SBOM into ``directory`` (created if missing); returns the file."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / sbom_filename(image.ref)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(sbom_json(image), encoding="utf-8")
        os.replace(tmp, target)
    except OSError as err:
        raise ConfigError(f"--ctrsec-sbom: {folder}: {err.strerror or err}") from None
    return target
