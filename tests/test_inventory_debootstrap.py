"""Opt-in slow test (CTRSEC_SLOW=1): a real Debian rootfs made with debootstrap, packed as a
one-layer docker-archive and read by the image reader, inventories exactly what dpkg-query
lists inside it. Needs root, debootstrap and the machine's Debian mirror (about a minute)."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from archive_maker import docker_archive
from oracles import need
from pytest_ctrsec.inventory import packages_of
from pytest_ctrsec.targets.image import open_image

pytestmark = pytest.mark.skipif(os.environ.get("CTRSEC_SLOW") != "1",
                                reason="slow: set CTRSEC_SLOW=1 to debootstrap a real rootfs")
SUITE = "bookworm"


def apt_mirror(suite: str = SUITE) -> str | None:
    """The first configured Debian mirror serving ``suite`` main (deb822 or one-line)."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for block in Path(path).read_text().split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.+)$", block, re.M))
            if suite in fields.get("Suites", "").split() and "main" in fields.get("Components", ""):
                return fields.get("URIs", "").split()[0]
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if os.path.exists(path):
            m = re.search(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{suite}\s+.*\bmain\b", Path(path).read_text(), re.M)
            if m:
                return m.group(1)
    return None


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need(shutil.which("debootstrap") is not None and os.geteuid() == 0, "root and debootstrap")
    mirror = apt_mirror()
    need(mirror is not None, f"an apt mirror for {SUITE}")
    root = tmp_path_factory.mktemp("rootfs")
    subprocess.run(["debootstrap", "--variant=minbase", SUITE, str(root), str(mirror)],
                   check=True, capture_output=True)
    return root


def test_debootstrap_rootfs_inventory_equals_dpkg_query(rootfs: Path, tmp_path: Path) -> None:
    layer = subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", "-", "."],
                           check=True, capture_output=True).stdout
    archive = tmp_path / "rootfs.tar"
    archive.write_bytes(docker_archive([layer], tags=("ctrsec-test/debootstrap:1",)))
    inv = packages_of(open_image(f"docker-archive:{archive}"))
    fmt = "${Package}:${Architecture}\t${Version}\t${source:Package}\t${source:Version}\n"
    out = subprocess.run(["dpkg-query", f"--admindir={rootfs}/var/lib/dpkg", "-W", "-f", fmt],
                         check=True, capture_output=True, text=True).stdout
    expected = sorted(tuple(line.split("\t")) for line in out.splitlines())
    got = sorted((f"{p.name}:{p.arch}", p.version, p.source_name, p.source_version)
                 for p in inv.packages if p.type == "deb")
    assert len(got) > 50
    assert got == expected
    assert inv.os is not None and (inv.os.id, inv.os.version_id) == ("debian", "12")
    assert inv.problems == ()
