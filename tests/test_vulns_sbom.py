"""CycloneDX SBOMs: valid against the CycloneDX 1.6 schema, one component per inventoried
package with its purl, licenses and source package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inventory_helpers import ALPINE_INSTALLED, debian_app_files, fs_from, image_from
from pytest_ctrsec.errors import ConfigError
from pytest_ctrsec.inventory import inventory
from pytest_ctrsec.sbom import sbom_filename, sbom_json, write_sbom


def _validate(text: str) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)


def test_sbom_lists_every_package_with_its_purl(tmp_path: Path) -> None:
    files = {**debian_app_files(), "lib/apk/db/installed": ALPINE_INSTALLED}
    image = image_from(fs_from(files), "registry.example/app:1.4")
    path = write_sbom(image, tmp_path / "sboms")
    assert path.name == "registry.example_app_1.4.cdx.json"
    text = path.read_text()
    _validate(text)
    doc = json.loads(text)
    assert doc["metadata"]["component"]["name"] == "registry.example/app:1.4"
    assert doc["metadata"]["component"]["version"] == image.digest
    libs = [c for c in doc["components"] if c["type"] == "library"]
    expected = inventory(fs_from(files)).packages
    assert sorted(c["purl"] for c in libs) == sorted(p.purl for p in expected)
    os_parts = [c for c in doc["components"] if c["type"] == "operating-system"]
    assert [(c["name"], c["version"]) for c in os_parts] == [("debian", "12")]
    bsd = next(c for c in libs if c["name"] == "bsdutils")
    props = {p["name"]: p["value"] for p in bsd["properties"]}
    assert props["ctrsec:package:source"] == "util-linux 2.38.1-5+deb12u3"
    busybox = next(c for c in libs if c["name"] == "busybox")
    assert busybox["licenses"] == [{"license": {"id": "GPL-2.0-only"}}]
    depends = next(d for d in doc["dependencies"] if d["ref"] == f"image:{image.digest}")
    assert len(depends["dependsOn"]) == len(libs) + 1


def test_empty_image_gives_a_valid_empty_sbom() -> None:
    text = sbom_json(image_from(fs_from({}), "scratch:1"))
    _validate(text)
    assert json.loads(text).get("components", []) == []


def test_sbom_names_and_unwritable_dirs(tmp_path: Path) -> None:
    assert sbom_filename("docker-archive:/tmp/x.tar:app:1") == "docker-archive_tmp_x.tar_app_1.cdx.json"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="--ctrsec-sbom"):
        write_sbom(image_from(fs_from({}), "a:1"), blocker / "sub")
