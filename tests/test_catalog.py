"""The registry against the public catalogue in shared/CHECKS.md: every id listed there is
registered with the catalogue's default severity, and every check carries its metadata."""

from __future__ import annotations

import re

import pytest

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.findings import SEVERITIES
from shared import shared_path


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])|_", "-", name).lower()


def catalogue() -> dict[str, str | None]:
    """Check id -> default severity (None where the catalogue gives none) from CHECKS.md."""
    text = shared_path("CHECKS.md").read_text(encoding="utf-8")
    ids: dict[str, str | None] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) < 3 or cells[1] in ("sev", "---"):
            continue
        sev = cells[1].split()[0]
        if "Run settings" in section:
            ids[f"compose.{cells[0]}"] = ids[f"container.{cells[0]}"] = sev
        elif re.fullmatch(r"[a-z0-9]+\.[a-z0-9-]+", cells[0]):
            ids[cells[0]] = sev
    for kind, slug, sev in re.findall(r"`(container|compose)\.([a-z-]+)`\s+\((\w+)", text):
        ids[f"{kind}.{slug}"] = sev
    for daemon_id in re.findall(r"`(daemon\.[a-z-]+)`", text):
        ids.setdefault(daemon_id, None)
    pss = re.search(r"`k8s\.pss-<check>` for (.*?)\n\(ids", text, re.S)
    assert pss, "CHECKS.md lists the Pod Security Standards checks"
    for name in re.findall(r"`(\w+)`", pss.group(1)):
        ids[f"k8s.pss-{_kebab(name)}"] = None
    return ids


CATALOGUE = catalogue()
KINDS = sorted({i.split(".")[0] for i in CATALOGUE})


def test_catalogue_parsed() -> None:
    assert len([i for i in CATALOGUE if i.startswith("compose.")]) == 32
    assert "k8s.pss-host-namespaces" in CATALOGUE and "daemon.icc-disabled" in CATALOGUE


@pytest.mark.parametrize("kind", KINDS)
def test_every_catalogue_id_is_registered_with_its_severity(kind: str) -> None:
    expected = {i: s for i, s in CATALOGUE.items() if i.startswith(kind + ".")}
    if kind == "image":  # the vulnerability check lands with the OSV database
        expected.pop("image.no-known-vulnerabilities", None)
    reg = registry()
    missing = sorted(set(expected) - set(reg))
    assert not missing, f"not registered: {missing}"
    wrong = {i: (reg[i].severity, s) for i, s in expected.items() if s and reg[i].severity != s}
    assert not wrong, f"severity differs from CHECKS.md (registered, catalogue): {wrong}"


def test_every_check_has_its_metadata() -> None:
    for chk in registry().values():
        assert chk.title and chk.severity in SEVERITIES, chk.id
        assert chk.remediation, f"{chk.id} has no remediation"
        assert re.fullmatch(r"[a-z0-9]+\.[a-z0-9-]+", chk.id), chk.id
