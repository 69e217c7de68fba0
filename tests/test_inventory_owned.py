"""Language packages an OS package installed are the OS package's business: Debian's
python3-pip ships pip-23.0.1.dist-info (with Debian's fixes backported and the upstream version
unchanged), so matching it against PyPI advisories as well reports fixed flaws. The inventory
leaves them out as Trivy does, from dpkg's, apk's and rpm's own file lists (rpm: only the
distribution's packages, so a third-party rpm's bundled libraries are still listed)."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

from inventory_helpers import FileSpec, dist_info, fs_from, package_json, stanza
from pytest_ctrsec.inventory import inventory
from pytest_ctrsec.inventory.rpm import TYPE_INT32, TYPE_STRING, TYPE_STRING_ARRAY

SYSTEM_PIP = "usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA"
LOCAL_PIP = "usr/local/lib/python3.11/dist-packages/pip-24.0.dist-info/METADATA"
SYSTEM_EGG = "usr/lib/python3/dist-packages/wheel-0.38.4.egg-info/PKG-INFO"


def language(files: dict[str, FileSpec]) -> list[tuple[str, str, str]]:
    return sorted((p.type, p.name, p.path) for p in inventory(fs_from(files))
                  if p.type in ("pypi", "npm"))


def test_dpkg_owned_python_metadata_is_left_to_the_deb() -> None:
    files: dict[str, FileSpec] = {
        "var/lib/dpkg/status": stanza("python3-pip", "23.0.1+dfsg-1", "all", "python-pip")
        + "\n" + stanza("python3-wheel", "0.38.4-2", "all", "wheel"),
        "var/lib/dpkg/info/python3-pip.list":
            f"/.\n/usr\n/usr/lib/python3/dist-packages\n/{SYSTEM_PIP}\n"
            "/usr/lib/python3/dist-packages/pip/__init__.py\n",
        "var/lib/dpkg/info/python3-wheel.list": f"/{SYSTEM_EGG}\n",
        SYSTEM_PIP: dist_info("pip", "23.0.1"),
        SYSTEM_EGG: dist_info("wheel", "0.38.4"),
        LOCAL_PIP: dist_info("pip", "24.0"),
    }
    inv = inventory(fs_from(files))
    assert sorted(p.name for p in inv.of_type("deb")) == ["python3-pip", "python3-wheel"]
    assert [(p.name, p.version, p.path) for p in inv.of_type("pypi")] == [
        ("pip", "24.0", "/" + LOCAL_PIP)]


def test_distroless_md5sums_own_files_too() -> None:
    files: dict[str, FileSpec] = {
        "var/lib/dpkg/status.d/python3-six": stanza("python3-six", "1.16.0-4", "all", "six",
                                                    status=None),
        "var/lib/dpkg/status.d/python3-six.md5sums":
            "0123456789abcdef0123456789abcdef  usr/lib/python3/dist-packages/"
            "six-1.16.0.dist-info/METADATA\n",
        "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": dist_info("six", "1.16.0"),
        "app/node_modules/left-pad/package.json": package_json("left-pad", "1.3.0"),
    }
    assert language(files) == [("npm", "left-pad", "/app/node_modules/left-pad/package.json")]


def test_apk_file_lists_own_python_metadata() -> None:
    owned = "usr/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA"
    mine = "usr/lib/python3.11/site-packages/attrs-23.1.0.dist-info/METADATA"
    db = ("P:py3-six\nV:1.16.0-r9\nA:noarch\no:py-six\nF:usr/lib/python3.11/site-packages\n"
          "R:six.py\nF:usr/lib/python3.11/site-packages/six-1.16.0.dist-info\nR:METADATA\n"
          "R:RECORD\n\nP:musl\nV:1.2.4-r2\nA:x86_64\nF:lib\nR:METADATA\n\n")
    files: dict[str, FileSpec] = {"lib/apk/db/installed": db, owned: dist_info("six", "1.16.0"),
                                  mine: dist_info("attrs", "23.1.0")}
    assert language(files) == [("pypi", "attrs", "/" + mine)]


def header(strings: dict[int, str], arrays: dict[int, list[str]],
           ints: dict[int, list[int]]) -> bytes:
    """An rpm header blob as rpmdb.sqlite stores it (index entries, then the data store)."""
    index, store = [], b""
    for tag, values in sorted(ints.items()):
        store += b"\0" * (-len(store) % 4)
        index.append(struct.pack(">IIII", tag, TYPE_INT32, len(store), len(values)))
        store += struct.pack(f">{len(values)}I", *values)
    for tag, text in sorted(strings.items()):
        index.append(struct.pack(">IIII", tag, TYPE_STRING, len(store), 1))
        store += text.encode() + b"\0"
    for tag, items in sorted(arrays.items()):
        index.append(struct.pack(">IIII", tag, TYPE_STRING_ARRAY, len(store), len(items)))
        store += b"".join(i.encode() + b"\0" for i in items)
    return struct.pack(">II", len(index), len(store)) + b"".join(index) + store


def rpm_package(name: str, vendor: str | None, dirs: list[str], bases: list[str],
                indexes: list[int]) -> bytes:
    strings = {1000: name, 1001: "1.0", 1002: "1.el9", 1022: "noarch",
               1044: f"{name}-1.0-1.el9.src.rpm"}
    if vendor is not None:
        strings[1011] = vendor
    return header(strings, {1117: bases, 1118: dirs}, {1116: indexes})


def test_rpm_owned_files_count_only_for_the_distributions_packages(tmp_path: Path) -> None:
    site = "/usr/lib/python3.9/site-packages/"
    db = tmp_path / "rpmdb.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB)")
    blobs = [
        rpm_package("python3-six", "Rocky Enterprise Software Foundation",
                    [site, site + "six-1.15.0.dist-info/"], ["six.py", "METADATA"], [0, 1]),
        rpm_package("vendor-app", "Example Corp", ["/opt/app/node_modules/ip/"],
                    ["package.json"], [0]),
    ]
    conn.executemany("INSERT INTO Packages (blob) VALUES (?)", [(b,) for b in blobs])
    conn.commit()
    conn.close()
    files: dict[str, FileSpec] = {
        "var/lib/rpm/rpmdb.sqlite": db.read_bytes(),
        "etc/os-release": 'ID="rocky"\nVERSION_ID="9.3"\n',
        site.lstrip("/") + "six-1.15.0.dist-info/METADATA": dist_info("six", "1.15.0"),
        "opt/app/node_modules/ip/package.json": package_json("ip", "1.1.5"),
    }
    inv = inventory(fs_from(files))
    assert sorted(p.name for p in inv.of_type("rpm")) == ["python3-six", "vendor-app"]
    assert language(files) == [("npm", "ip", "/opt/app/node_modules/ip/package.json")]
