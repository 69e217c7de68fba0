"""Package inventory from a merged filesystem: OS detection with its fallbacks, dpkg (status
and status.d), apk, rpm (rpmdb.sqlite built by the real rpm), Python and npm metadata, purls;
dpkg's source derivation checked against dpkg-query on the same database."""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from inventory_helpers import (ALPINE_INSTALLED, BOOKWORM_OS_RELEASE, BOOKWORM_STATUS, Big,
                               FileSpec, Link, dist_info, fs_from, package_json, stanza)
from oracles import need
from pytest_ctrsec.errors import ParseError
from pytest_ctrsec.inventory import bdb, inventory
from pytest_ctrsec.inventory.dpkg import parse as parse_dpkg
from pytest_ctrsec.inventory.osrelease import detect
from pytest_ctrsec.targets.image.layers import CAPTURE


def _os(files: Mapping[str, FileSpec]) -> tuple[str, str, str] | None:
    found = detect(fs_from(files).data)
    return None if found is None else (found.id, found.version_id, found.source)


def test_os_release_through_the_debian_symlink() -> None:
    files = {"usr/lib/os-release": BOOKWORM_OS_RELEASE, "etc/os-release": Link("../usr/lib/os-release"),
             "etc/debian_version": "12.11\n"}
    assert _os(files) == ("debian", "12", "etc/os-release")


def test_usr_lib_os_release_when_etc_has_none() -> None:
    assert _os({"usr/lib/os-release": 'ID="alpine"\nVERSION_ID=3.19.1\n'}) == \
        ("alpine", "3.19.1", "usr/lib/os-release")


def test_debian_testing_takes_its_number_from_the_codename() -> None:
    files = {"etc/os-release": 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\n'
                               "VERSION_CODENAME=trixie\n", "etc/debian_version": "trixie/sid\n"}
    assert _os(files) == ("debian", "13", "etc/os-release")


@pytest.mark.parametrize(("files", "expected"), [
    ({"etc/alpine-release": "3.18.4\n"}, ("alpine", "3.18.4", "etc/alpine-release")),
    ({"etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n"},
     ("ubuntu", "22.04", "etc/lsb-release")),
    ({"etc/debian_version": "11.9\n"}, ("debian", "11", "etc/debian_version")),
    ({"etc/redhat-release": "Rocky Linux release 9.3 (Blue Onyx)\n"},
     ("rocky", "9.3", "etc/redhat-release")),
    ({"etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n"},
     ("centos", "7.9.2009", "etc/centos-release")),
    ({"bin/busybox": b"\x7fELF"}, None),
])
def test_os_fallbacks(files: Mapping[str, FileSpec], expected: tuple[str, str, str] | None) -> None:
    assert _os(files) == expected


def _deb(text: str) -> dict[str, tuple[str, str, str, str]]:
    return {f"{p.name}:{p.arch}": (p.version, p.source_name, p.source_version, p.path)
            for p in parse_dpkg(text, "/var/lib/dpkg/status")}


def test_dpkg_source_packages_and_versions() -> None:
    got = _deb(BOOKWORM_STATUS)
    assert got["bsdutils:amd64"][:3] == ("1:2.38.1-5+deb12u3", "util-linux", "2.38.1-5+deb12u3")
    assert got["mount:amd64"][:3] == ("2.38.1-5+deb12u3", "util-linux", "2.38.1-5+deb12u3")
    assert got["bash:amd64"][:3] == ("5.2.15-2+b13", "bash", "5.2.15-2")
    assert got["zlib1g:amd64"][:3] == ("1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1")
    assert got["gzip:amd64"][:3] == ("1.12-1", "gzip", "1.12-1")
    assert "libgone1:amd64" not in got  # config-files only: nothing on disk
    assert "libhalf1:amd64" in got  # half-installed: its files are there


def _dpkg_query(admindir: Path) -> dict[str, tuple[str, str, str]]:
    need(shutil.which("dpkg-query") is not None, "dpkg-query (Debian)")
    fmt = "${Package}:${Architecture}\t${Version}\t${source:Package}\t${source:Version}\t${db:Status-Status}\n"
    out = subprocess.run(["dpkg-query", f"--admindir={admindir}", "-W", "-f", fmt],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    return {r[0]: (r[1], r[2], r[3]) for r in rows if r[4] not in ("config-files", "not-installed")}


def _admindir(tmp_path: Path, status: str) -> Path:
    for sub in ("info", "updates"):
        (tmp_path / sub).mkdir()
    (tmp_path / "status").write_text(status)
    return tmp_path


def test_dpkg_agrees_with_dpkg_query_on_the_planted_database(tmp_path: Path) -> None:
    expected = _dpkg_query(_admindir(tmp_path, BOOKWORM_STATUS))
    assert {k: v[:3] for k, v in _deb(BOOKWORM_STATUS).items()} == expected


def test_dpkg_agrees_with_dpkg_query_on_this_machine() -> None:
    status = Path("/var/lib/dpkg/status")
    need(status.exists(), "a Debian machine's dpkg database")
    expected = _dpkg_query(status.parent)
    got = {k: v[:3] for k, v in _deb(status.read_text(encoding="utf-8")).items()}
    assert len(got) > 50
    assert got == expected


def test_distroless_status_d() -> None:
    files = {"var/lib/dpkg/status.d/base": stanza("base-files", "12.4+deb12u5", status=None),
             "var/lib/dpkg/status.d/libssl3": stanza("libssl3", "3.0.11-1~deb12u2", source="openssl"),
             "var/lib/dpkg/status.d/libssl3.md5sums": "abc  usr/lib/libssl.so.3\n"}
    inv = inventory(fs_from(files))
    assert sorted((p.name, p.source_name, p.path) for p in inv.packages) == [
        ("base-files", "base-files", "/var/lib/dpkg/status.d/base"),
        ("libssl3", "openssl", "/var/lib/dpkg/status.d/libssl3")]


@pytest.mark.parametrize("db", ["lib/apk/db/installed", "usr/lib/apk/db/installed"])
def test_apk_origins(db: str) -> None:
    inv = inventory(fs_from({db: ALPINE_INSTALLED, "etc/alpine-release": "3.19.1\n"}))
    got = {p.name: (p.version, p.source_name, p.arch, p.licenses) for p in inv.packages}
    assert got["ssl_client"] == ("1.36.1-r15", "busybox", "x86_64", ("GPL-2.0-only",))
    assert got["busybox"][1] == "busybox"
    assert got["libexample"][3] == ("MIT AND BSD-2-Clause",)
    assert inv.find("ssl_client")[0].purl == \
        "pkg:apk/alpine/ssl_client@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1&upstream=busybox"


def test_python_and_npm_metadata() -> None:
    site = "usr/lib/python3/dist-packages"
    files = {
        f"{site}/Requests-2.31.0.dist-info/METADATA": dist_info("Requests", "2.31.0"),
        f"{site}/example_pkg-1.4.2.dist-info/METADATA": dist_info("example_pkg", "1.4.2"),
        f"{site}/legacy.egg-info": dist_info("Legacy.Thing", "0.3"),
        f"{site}/other.egg-info/PKG-INFO": dist_info("other", "1.0"),
        f"{site}/broken.dist-info/METADATA": "Metadata-Version: 2.1\nName: broken\n",
        "app/node_modules/lodash/package.json": package_json("lodash", "4.17.20"),
        "app/node_modules/@babel/core/package.json": package_json("@babel/core", "7.22.0"),
        "app/node_modules/a/node_modules/b/package.json": package_json("b", "1.0.0"),
        "app/node_modules/lodash/fp/package.json": package_json("lodash-fp", "9.9.9"),
        "app/node_modules/hint/package.json": package_json("hint", None),
    }
    inv = inventory(fs_from(files))
    assert len(inv) == 7 and inv.names() == {p.name for p in inv}
    got = sorted((p.type, p.name, p.version, p.purl) for p in inv.packages)
    assert got == [
        ("npm", "@babel/core", "7.22.0", "pkg:npm/%40babel/core@7.22.0"),
        ("npm", "b", "1.0.0", "pkg:npm/b@1.0.0"),
        ("npm", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
        ("pypi", "Legacy.Thing", "0.3", "pkg:pypi/legacy-thing@0.3"),
        ("pypi", "Requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
        ("pypi", "example_pkg", "1.4.2", "pkg:pypi/example-pkg@1.4.2"),
        ("pypi", "other", "1.0", "pkg:pypi/other@1.0"),
    ]


def test_python_license_from_classifiers_when_no_license_field() -> None:
    """idna, setuptools and sqlparse wheels name their license only as a trove classifier."""
    head = "Metadata-Version: 2.1\nName: {}\nVersion: 1.0\n"
    files = {
        "site/idna-1.0.dist-info/METADATA": head.format("idna")
        + "Classifier: License :: OSI Approved :: BSD License\n"
          "Classifier: Programming Language :: Python\n",
        "site/pd-1.0.dist-info/METADATA": head.format("pd") + "License: UNKNOWN\n"
        "Classifier: License :: OSI Approved\nClassifier: License :: Public Domain\n",
        "site/both-1.0.dist-info/METADATA": head.format("both") + "License-Expression: MIT\n"
        "Classifier: License :: OSI Approved :: Apache Software License\n",
    }
    got = {p.name: p.licenses for p in inventory(fs_from(files))}
    assert got == {"idna": ("BSD License",), "pd": ("Public Domain",), "both": ("MIT",)}


def test_unzipped_egg_metadata() -> None:
    """easy_install / setup.py install leave ``name-ver-pyX.egg/EGG-INFO/PKG-INFO``: Trivy
    lists those, the inventory missed them; an EGG-INFO outside an .egg is not one."""
    site = "usr/local/lib/python3.11/dist-packages"
    inv = inventory(fs_from({
        f"{site}/zipped_egg-2.0-py3.11.egg/EGG-INFO/PKG-INFO": dist_info("zipped-egg", "2.0"),
        "src/project/EGG-INFO/PKG-INFO": dist_info("not-installed", "0.1"),
    }))
    assert [(p.name, p.version, p.purl) for p in inv] == [
        ("zipped-egg", "2.0", "pkg:pypi/zipped-egg@2.0")]


def test_deb_purls_carry_distro_and_upstream() -> None:
    inv = inventory(fs_from({"var/lib/dpkg/status": BOOKWORM_STATUS,
                             "etc/os-release": BOOKWORM_OS_RELEASE}))
    assert inv.os is not None and inv.os.label == "debian-12"
    assert inv.find("bsdutils")[0].purl == ("pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3"
                                             "?arch=amd64&distro=debian-12&upstream=util-linux")
    assert inv.find("gzip")[0].purl == "pkg:deb/debian/gzip@1.12-1?arch=amd64&distro=debian-12"


def test_unreadable_package_data_is_reported_not_ignored() -> None:
    files: dict[str, FileSpec] = {"var/lib/dpkg/status": Big(40 << 20),
             "var/lib/rpm/Packages": b"\x00\x06\x15\x61" + b"\0" * 60,
             "usr/lib/sysimage/rpm/rpmdb.sqlite": b"not a database"}
    inv = inventory(fs_from(files))
    assert inv.packages == ()
    assert len(inv.problems) == 3
    assert any("/var/lib/dpkg/status: package data not captured" in p for p in inv.problems)
    assert any("Berkeley DB" in p for p in inv.problems)
    assert any("not an SQLite database" in p for p in inv.problems)


@pytest.fixture(scope="module")
def rpmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An rpmdb.sqlite written by the real rpm: a package with an epoch whose subpackage
    has another name (so SOURCERPM differs from it), and one without an epoch."""
    need(shutil.which("rpmbuild") is not None and shutil.which("rpm") is not None,
         "rpm and rpmbuild (Debian's rpm package)")
    top = tmp_path_factory.mktemp("rpm")
    specs = {
        "util-demo": "Name: util-demo\nVersion: 2.38.1\nRelease: 5.el9\nEpoch: 1\n",
        "plain": "Name: plain\nVersion: 3.0.7\nRelease: 27.el9_3.2\n",
    }
    for name, head in specs.items():
        sub = "%package -n bsd-demo\nSummary: s\n%description -n bsd-demo\ns\n%files -n bsd-demo\n" \
            if name == "util-demo" else ""
        spec = top / f"{name}.spec"
        spec.write_text(head + "Summary: s\nLicense: MIT\nBuildArch: noarch\n%description\ns\n"
                        "%files\n" + sub)
        subprocess.run(["rpmbuild", "--quiet", "--define", f"_topdir {top}/build", "-bb",
                        str(spec)], check=True, capture_output=True)
    db = top / "db"
    db.mkdir()
    rpms = sorted(str(p) for p in (top / "build" / "RPMS").rglob("*.rpm"))
    subprocess.run(["rpm", "--define", "_db_backend sqlite", "--dbpath", str(db), "-i",
                    "--justdb", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos", *rpms],
                   check=True, capture_output=True)
    return db


def test_rpm_sqlite_agrees_with_rpm_query(rpmdb: Path) -> None:
    fmt = "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{SOURCERPM}\t%{ARCH}\n"
    out = subprocess.run(["rpm", "--dbpath", str(rpmdb), "-qa", "--qf", fmt],
                         capture_output=True, text=True, check=True).stdout
    expected = sorted(tuple(line.split("\t")) for line in out.splitlines())
    files: dict[str, FileSpec] = {
        "usr/lib/sysimage/rpm/rpmdb.sqlite": (rpmdb / "rpmdb.sqlite").read_bytes(),
        "etc/os-release": 'ID="rocky"\nVERSION_ID="9.3"\n'}
    wal = rpmdb / "rpmdb.sqlite-wal"
    if wal.exists():
        files["usr/lib/sysimage/rpm/rpmdb.sqlite-wal"] = wal.read_bytes()
    inv = inventory(fs_from(files))
    got = sorted((p.name, p.version, p.source_name, p.arch) for p in inv.packages)
    srpm = {name: f"{src}" for name, _, src, _ in expected}
    assert [(n, v, a) for n, v, _, a in got] == [(n, v, a) for n, v, _, a in expected]
    assert all(srpm[n].startswith(s + "-") for n, _, s, _ in got)
    bsd = inv.find("bsd-demo")[0]
    assert (bsd.source_name, bsd.source_version) == ("util-demo", "1:2.38.1-5.el9")
    assert bsd.purl == "pkg:rpm/rocky/bsd-demo@2.38.1-5.el9?arch=noarch&distro=rocky-9.3&epoch=1&upstream=util-demo"
    assert inv.problems == ()


def berkeley_db(rpmdb: Path, target: Path, pagesize: int) -> Path:
    """The rpmdb's headers written by Berkeley DB's own db_load into a hash ``Packages`` (as
    RHEL 8 / Amazon Linux 2 keep them), with rpm's 4-byte counter record under key 0."""
    need(shutil.which("db5.3_load") is not None, "db5.3_load (Debian's db5.3-util)")
    conn = sqlite3.connect(rpmdb / "rpmdb.sqlite")
    rows = [(0, struct.pack("<I", 3))] + [(n, bytes(b)) for n, b in
                                          conn.execute("SELECT hnum, blob FROM Packages")]
    conn.close()
    def hexed(data: bytes) -> str:
        return "".join(f"\\{b:02x}" for b in data)
    dump = target / "load.txt"
    dump.write_text("".join(f"{hexed(struct.pack('<I', n))}\n{hexed(b)}\n" for n, b in rows))
    (target / "db").mkdir()
    subprocess.run(["db5.3_load", "-T", "-t", "hash", "-c", f"db_pagesize={pagesize}", "-f",
                    str(dump), str(target / "db" / "Packages")], check=True, capture_output=True)
    return target / "db"


@pytest.mark.parametrize("pagesize", [512, 4096])
def test_rpm_berkeley_db_agrees_with_rpm_query(rpmdb: Path, tmp_path: Path, pagesize: int) -> None:
    """Berkeley DB Packages were reported unread; 512-byte pages put every header on a chain
    of overflow pages."""
    db = berkeley_db(rpmdb, tmp_path, pagesize)
    fmt = "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\n"
    out = subprocess.run(["rpm", "--define", "_db_backend bdb_ro", "--dbpath", str(db), "-qa",
                          "--qf", fmt], capture_output=True, text=True, check=True).stdout
    expected = sorted(tuple(line.split("\t")) for line in out.splitlines())
    inv = inventory(fs_from({"var/lib/rpm/Packages": (db / "Packages").read_bytes(),
                             "etc/os-release": 'ID="centos"\nVERSION_ID="7"\n'}))
    assert len(expected) == 3 and inv.problems == ()
    assert sorted((p.name, p.version, p.arch) for p in inv.packages) == expected
    bsd = inv.find("bsd-demo")[0]
    assert (bsd.source_name, bsd.source_version) == ("util-demo", "1:2.38.1-5.el9")


def test_a_damaged_berkeley_db_is_a_problem_not_a_crash(rpmdb: Path, tmp_path: Path) -> None:
    data = (berkeley_db(rpmdb, tmp_path, 512) / "Packages").read_bytes()
    inv = inventory(fs_from({"var/lib/rpm/Packages": data[: len(data) // 2]}))
    assert len(inv.problems) == 1 and "/var/lib/rpm/Packages: Berkeley DB" in inv.problems[0]


def hash_file(chains: list[int], pages: int = 4, size: int = 512) -> bytes:
    """A minimal little-endian Berkeley DB hash file: page 1 holds one key and an off-page
    value per entry of ``chains`` (the overflow page it starts at); pages 2.. are one-page
    overflow items of 40 bytes each."""
    meta = bytearray(size)
    struct.pack_into("<II", meta, 12, 0x061561, 9)
    struct.pack_into("<I", meta, 20, size)
    hashpage = bytearray(size)
    items: list[bytes] = []
    for n, first in enumerate(chains):
        items += [b"\x01" + struct.pack("<I", n + 1), struct.pack("<BxxxII", 3, first, 40)]
    offsets, end = [], size
    for item in items:
        end -= len(item)
        hashpage[end:end + len(item)] = item
        offsets.append(end)
    hashpage[25] = 13
    struct.pack_into("<H", hashpage, 20, len(offsets))
    struct.pack_into(f"<{len(offsets)}H", hashpage, 26, *offsets)
    overflow = []
    for _ in range(pages - 2):
        page = bytearray(size)
        struct.pack_into("<H", page, 22, 40)
        page[25] = 7
        overflow.append(bytes(page))
    return bytes(meta) + bytes(hashpage) + b"".join(overflow)


def test_berkeley_db_overflow_pages_belong_to_one_item() -> None:
    """Two items sharing an overflow chain is damage (and a way to make the reader copy one
    chain once per item)."""
    assert [len(v) for v in bdb.values(hash_file([2, 3]), "t")] == [40, 40]
    with pytest.raises(ParseError, match="overflow chain broken at page 2"):
        list(bdb.values(hash_file([2, 2]), "t"))


@pytest.mark.parametrize("path", [
    "etc/os-release", "usr/lib/os-release", "etc/debian_version", "etc/alpine-release",
    "etc/lsb-release", "etc/redhat-release", "var/lib/dpkg/status", "var/lib/dpkg/status.d/base",
    "lib/apk/db/installed", "usr/lib/apk/db/installed", "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite", "usr/share/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
    "usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
    "usr/lib/python3/dist-packages/six.egg-info", "opt/x/foo.egg-info/PKG-INFO",
    "usr/lib/python3.9/site-packages/x-1.0-py3.9.egg/EGG-INFO/PKG-INFO",
    "var/lib/dpkg/info/python3-pip.list", "var/lib/dpkg/status.d/python3-six.md5sums",
    "app/node_modules/@scope/pkg/package.json", "app/node_modules/a/node_modules/b/package.json",
])
def test_the_layer_reader_keeps_what_the_inventory_reads(path: str) -> None:
    assert CAPTURE.fullmatch(path)
