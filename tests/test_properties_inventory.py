"""The package databases of an image: dpkg ``status`` and ``status.d``, apk ``installed``,
rpm ``rpmdb.sqlite``, Python metadata, npm ``package.json`` and os-release. Generated
databases read back exactly the installed packages written into them; arbitrary bytes in any
of those files give an inventory (with problems where a file could not be read), never an
exception."""

from __future__ import annotations

import hyp
from hypothesis import given
from hypothesis import strategies as st

from pytest_ctrsec.inventory import apk, dpkg, inventory
from pytest_ctrsec.targets.image.fsindex import Entry, FileIndex

_name = st.from_regex(r"[a-z0-9][a-z0-9+.-]{0,20}", fullmatch=True)
_version = st.from_regex(r"([0-9]{1,3}:)?[0-9][A-Za-z0-9.+~]{0,12}(-[A-Za-z0-9.+~]{1,6})?",
                         fullmatch=True)
_states = st.sampled_from(["installed", "config-files", "not-installed", "half-installed",
                           "unpacked", "triggers-pending"])
_long_text = st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Zl",
                                                                             "Zp", "Cc")),
                              max_size=30), max_size=5)


def _fs(files: dict[str, bytes]) -> FileIndex:
    index = FileIndex()
    for path, data in files.items():
        index.add(path, Entry("file", 0o644, 0, 0, len(data), data=data))
    return index


@st.composite
def _dpkg_stanza(draw: st.DrawFn) -> tuple[str, tuple[str, str, str, str] | None]:
    """A stanza's text and the package it declares when installed."""
    name, version, state = draw(_name), draw(_version), draw(_states)
    source = draw(st.one_of(st.none(), _name, st.tuples(_name, _version)))
    lines = [f"Package: {name}", f"Status: install ok {state}", "Architecture: amd64"]
    if isinstance(source, tuple):
        lines.append(f"Source: {source[0]} ({source[1]})")
    elif source:
        lines.append(f"Source: {source}")
    lines.append(f"Version: {version}")
    lines.append("Description: " + "\n ".join(draw(_long_text) or ["x"]).strip())
    lines = [line for line in lines if line.strip()]
    src_name, src_version = (source if isinstance(source, tuple) else
                             (source or name, version))
    installed = state in dpkg.ON_DISK
    return "\n".join(lines), (name, version, src_name, src_version) if installed else None


@given(stanzas=st.lists(_dpkg_stanza(), max_size=6), blank=st.sampled_from(["\n\n", "\n \n\n"]))
def test_dpkg_status_reads_back_its_installed_packages(
        stanzas: list[tuple[str, tuple[str, str, str, str] | None]], blank: str) -> None:
    text = blank.join(s for s, _ in stanzas) + "\n"
    inv = inventory(_fs({dpkg.STATUS: text.encode()}))
    got = [(p.name, p.version, p.source_name, p.source_version) for p in inv.packages]
    assert got == [pkg for _, pkg in stanzas if pkg is not None]
    assert inv.problems == ()


@given(records=st.lists(st.tuples(_name, _version.map(lambda v: v.replace(":", "")),
                                  st.one_of(st.none(), _name)), max_size=6))
def test_apk_installed_reads_back_its_packages(records: list[tuple[str, str, str | None]]) -> None:
    text = "\n\n".join(f"C:Q1abc=\nP:{n}\nV:{v}\nA:x86_64\n" + (f"o:{o}\n" if o else "") +
                       "F:usr/bin\nR:tool" for n, v, o in records) + "\n"
    inv = inventory(_fs({"lib/apk/db/installed": text.encode()}))
    assert [(p.name, p.version, p.source_name) for p in inv.packages] == \
        [(n, v, o or n) for n, v, o in records]


_DATABASES = [dpkg.STATUS, "var/lib/dpkg/status.d/pkg", "lib/apk/db/installed",
              "usr/lib/apk/db/installed", "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages",
              "usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA",
              "usr/lib/node_modules/left-pad/package.json", "etc/os-release",
              "etc/alpine-release", "etc/debian_version", "etc/redhat-release"]
_bytes = st.one_of(st.binary(max_size=600), hyp.yaml_noise.map(lambda s: s.encode("utf-8", "replace")),
                   st.sampled_from([b"\xff\xfe\x00", b"SQLite format 3\x00" + bytes(200),
                                    b"Package: a\nVersion: 1\n\xff\xfe", b"P:a\nV:\xff",
                                    b'{"name": "x", "version": 1}', b"ID=\"unterminated"]))


@given(files=st.dictionaries(st.sampled_from(_DATABASES), _bytes, max_size=5))
def test_arbitrary_database_bytes_give_an_inventory(files: dict[str, bytes]) -> None:
    inv = inventory(_fs(files))
    for pkg in inv.packages:
        assert pkg.name and pkg.version and pkg.purl
    for problem in inv.problems:
        assert problem.startswith("/") and "\n" not in problem
    if "var/lib/rpm/Packages" in files:
        assert any("rpm/Packages" in p for p in inv.problems)  # said, not silently skipped


@hyp.examples(15)
@given(text=hyp.any_text, lines=st.integers(1, 3))
def test_dpkg_and_apk_parsers_take_any_text(text: str, lines: int) -> None:
    blob = "\n".join([text] * lines)
    assert all(p.type == "deb" for p in dpkg.parse(blob, "/s"))
    assert all(p.type == "apk" for p in apk.parse(blob, "/i"))
