"""Deterministic version pairs for the comparator tests: realistic versions of each
ecosystem, mutated the ways real version strings differ (epochs, tildes, carets, letters,
revisions, suffixes, leading zeros), plus random strings of tricky tokens."""

from __future__ import annotations

import random
from collections.abc import Callable

Pair = tuple[str, str]

DEBIAN_BASES = (
    "2.38.1-5+deb12u3", "1:2.38.1-5+deb12u3", "3.0.17-1~deb12u2", "5.2.15-2+b13", "5.2.15-2",
    "1.12-1", "2.36-9+deb12u10", "1:9.2p1-2+deb12u6", "0.0.9-0", "0.00.9-0", "1.0-1",
    "1.0-01", "2:8.2.3995-1+deb12u2", "1.3.dfsg-3", "7.88.1-10+deb12u12", "252.39-1~deb12u1",
    "1:1.2.13.dfsg-1", "3.7.9-2+deb12u4", "2.6.4-1~bpo12+1", "1.0~rc1-1", "1.0+really0.9-1",
    "20230311", "4.4.0_git20230520-1", "1.2.3a-1ubuntu0.1", "0~20240101.git1234abc-1",
    "10.2.1-6", "1.19.8-2+b3", "2023.3+deb12u1", "1:2.3:4-1", "1.0+", "1.0~~", "9.1.0+dfsg-1+b1",
)
ALPINE_BASES = (
    "1.36.1-r15", "1.36.1-r16", "2.1-r0", "2.1_git20240101-r0", "3.19.1", "1.2.3a_rc1-r2",
    "4.4.0_git20230520-r1", "0.3_svn123-r0", "1.0_p1-r3", "1.0_alpha2_beta3", "2.40.0-r1",
    "8.5.0-r0", "1.2_cvs20200101", "3.1.4_pre2-r1", "0.9.8zh-r0", "1.0~abc123-r1", "1.0_hg5",
    "7.1.0_p20230610-r0", "1.010", "1.01-r0", "2024.2.2-r0", "1.0.0-r10", "1.20.1_beta-r0",
)
RPM_BASES = (
    "0:2.28-225.el9", "2.28-225.el9_3", "1:1.1.1k-12.el8_9", "3.0.7-27.el9", "1.0~rc1-1",
    "1.0^git20240101-1", "1.0-1.fc39", "2:8.2.2637-20.el9_1", "1.0a-1", "1.0.0-0.1.beta",
    "5.1.8-6.el9", "1.0^-1", "1.0~-1", "4.18.0-1.amzn2023", "10-1", "1.0.1+git-2", "0.5-0.1~rc2",
)
PYPI_BASES = (
    "1.0", "1.0.0", "1.0a1", "1.0b2", "1.0rc1", "1.0.post1", "1.0.dev0", "1.0a1.dev1",
    "1!1.0", "1.0+local.7", "1.0+abc.5", "2.31.0", "2.32.0", "0.0.1", "1.0.post1.dev2",
    "2024.1", "1.0c1", "1.0-1", "1.0_rc2", "v1.0", "1.0.0.0", "1.0-post2", "1.0pre3",
)
NPM_BASES = (
    "1.0.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2",
    "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0+build.1", "2.0.0", "1.10.0", "1.2.3-0",
    "1.2.3-x.7.z.92", "0.0.1", "10.20.30", "1.2.3-alpha.10", "1.2.3-alpha.1a", "4.17.21",
)


def _bump(rng: random.Random, text: str) -> str:
    """Change one number by -1, +1 or to a leading-zero form."""
    spans = [i for i, c in enumerate(text) if c.isdigit() and (i == 0 or not text[i - 1].isdigit())]
    if not spans:
        return text + str(rng.randint(0, 3))
    start = rng.choice(spans)
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    n = int(text[start:end])
    new = rng.choice([str(max(n - 1, 0)), str(n + 1), "0" + str(n), str(n) + "0"])
    return text[:start] + new + text[end:]


def _mutate(rng: random.Random, v: str, edits: tuple[Callable[[random.Random, str], str], ...]) -> str:
    for _ in range(rng.randint(1, 3)):
        v = rng.choice(edits)(rng, v)
    return v


def _pairs(rng: random.Random, bases: tuple[str, ...], edits: tuple[Callable[[random.Random, str], str], ...],
           random_version: Callable[[random.Random], str], count: int) -> list[Pair]:
    out: list[Pair] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.45:
            a = rng.choice(bases)
            out.append((a, _mutate(rng, a, edits)))
        elif roll < 0.6:
            out.append((rng.choice(bases), rng.choice(bases)))
        elif roll < 0.8:
            a = random_version(rng)
            out.append((a, _mutate(rng, a, edits)))
        else:
            out.append((random_version(rng), random_version(rng)))
    return out


# -- Debian ----------------------------------------------------------------------------------

def _deb_edits() -> tuple[Callable[[random.Random, str], str], ...]:
    def suffix(rng: random.Random, v: str) -> str:
        return v + rng.choice(["~rc1", "+b1", "+deb12u1", "~deb12u1", "~", "+", "a", ".1", "-1",
                               "~~", "+really1", ".dfsg", "ubuntu1"])

    def epoch(rng: random.Random, v: str) -> str:
        head, sep, rest = v.partition(":")
        return rest if sep else f"{rng.randint(0, 2)}:{v}"

    def revision(rng: random.Random, v: str) -> str:
        up, sep, rev = v.rpartition("-")
        return up if sep else v + "-" + rng.choice(["0", "1", "01", "1~bpo1", "0.1"])

    def swap(rng: random.Random, v: str) -> str:
        return v.replace("~", "\0").replace("+", "~").replace("\0", "+")

    return (suffix, epoch, revision, swap, _bump)


def _deb_random(rng: random.Random) -> str:
    toks = ["0", "1", "2", "10", "01", "00", ".", ".", "~", "+", "a", "b", "z", "A", "rc", "dfsg"]
    up = rng.choice("0123456789") + "".join(rng.choice(toks) for _ in range(rng.randint(0, 5)))
    v = up
    if rng.random() < 0.5:
        v += "-" + "".join(rng.choice(toks) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.2:
        v = f"{rng.randint(0, 3)}:{v}"
    return v


def debian_pairs(count: int, seed: int = 5612) -> list[Pair]:
    return _pairs(random.Random(seed), DEBIAN_BASES, _deb_edits(), _deb_random, count)


# -- Alpine ----------------------------------------------------------------------------------

def _apk_edits() -> tuple[Callable[[random.Random, str], str], ...]:
    suffixes = ("alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p")

    def suffix(rng: random.Random, v: str) -> str:
        head, sep, rev = v.partition("-r")
        tail = f"_{rng.choice(suffixes)}{rng.choice(['', '0', '1', '2', '20240101', '01'])}"
        return head + tail + sep + rev

    def letter(rng: random.Random, v: str) -> str:
        head, sep, rev = v.partition("-r")
        return head + rng.choice("abz") + sep + rev

    def revision(rng: random.Random, v: str) -> str:
        head, sep, rev = v.partition("-r")
        return head if sep else f"{v}-r{rng.choice(['0', '1', '10', '01'])}"

    def dotted(rng: random.Random, v: str) -> str:
        head, sep, rev = v.partition("-r")
        return head + "." + rng.choice(["0", "1", "00", "01", "10"]) + sep + rev

    def hashed(rng: random.Random, v: str) -> str:
        head, sep, rev = v.partition("-r")
        return head + "~" + rng.choice(["abc", "0f", "deadbeef", "1", "a1"]) + sep + rev

    def broken(rng: random.Random, v: str) -> str:
        return rng.choice([v + "_foo", v.upper(), v + "-r", v + "..1", "r" + v, v + "_", v + "ab"])

    return (suffix, letter, revision, dotted, hashed, _bump, broken)


def _apk_random(rng: random.Random) -> str:
    v = ".".join(rng.choice(["0", "1", "2", "10", "01", "007", "3"]) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.3:
        v += rng.choice("abcxz")
    for _ in range(rng.choice([0, 0, 1, 2])):
        v += "_" + rng.choice(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"])
        v += rng.choice(["", "1", "2", "0", "20230520"])
    if rng.random() < 0.15:
        v += "~" + rng.choice(["abc", "1234", "f00"])
    if rng.random() < 0.6:
        v += f"-r{rng.choice([0, 1, 2, 10])}"
    return v


def alpine_pairs(count: int, seed: int = 5613) -> list[Pair]:
    return _pairs(random.Random(seed), ALPINE_BASES, _apk_edits(), _apk_random, count)


# -- RPM -------------------------------------------------------------------------------------

def _rpm_edits() -> tuple[Callable[[random.Random, str], str], ...]:
    def suffix(rng: random.Random, v: str) -> str:
        head, sep, rel = v.rpartition("-")
        add = rng.choice(["~rc1", "^git1", "^", "~", "a", ".1", "_1", "+b", "~~", "^^", ".el9"])
        if sep and rng.random() < 0.5:
            return f"{head}-{rel}{add}"
        return f"{head}{add}{sep}{rel}" if sep else v + add

    def epoch(rng: random.Random, v: str) -> str:
        head, sep, rest = v.partition(":")
        return rest if sep else f"{rng.randint(0, 2)}:{v}"

    def release(rng: random.Random, v: str) -> str:
        head, sep, rel = v.rpartition("-")
        return head if sep else v + "-" + rng.choice(["1", "0.1", "1.el9", "2.fc39", "1~rc"])

    return (suffix, epoch, release, _bump)


def _rpm_random(rng: random.Random) -> str:
    toks = ["0", "1", "2", "10", "01", ".", ".", "~", "^", "a", "b", "Z", "_", "+", "git", "rc"]
    v = rng.choice("0123456789") + "".join(rng.choice(toks) for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.6:
        v += "-" + rng.choice("0123456789") + "".join(rng.choice(toks) for _ in range(rng.randint(0, 3)))
    if rng.random() < 0.25:
        v = f"{rng.randint(0, 3)}:{v}"
    return v


def rpm_pairs(count: int, seed: int = 5614) -> list[Pair]:
    return _pairs(random.Random(seed), RPM_BASES, _rpm_edits(), _rpm_random, count)


# -- PyPI ------------------------------------------------------------------------------------

def _pypi_edits() -> tuple[Callable[[random.Random, str], str], ...]:
    def suffix(rng: random.Random, v: str) -> str:
        return v + rng.choice(["a1", "b2", "rc1", ".post1", ".dev0", "+local", "+1.a", ".0",
                               "-1", "post2", ".dev", "alpha3", "c1", "-rc.1", "+abc.5"])

    def epoch(rng: random.Random, v: str) -> str:
        head, sep, rest = v.partition("!")
        return rest if sep else f"{rng.randint(0, 2)}!{v}"

    def case(rng: random.Random, v: str) -> str:
        return v.upper() if rng.random() < 0.5 else " " + v + " "

    return (suffix, epoch, case, _bump)


def _pypi_random(rng: random.Random) -> str:
    v = ".".join(rng.choice(["0", "1", "2", "10", "01", "00"]) for _ in range(rng.randint(1, 4)))
    v += rng.choice(["", "", "a1", "b0", "rc2", "c3", "alpha", "pre1", "preview2"])
    v += rng.choice(["", "", ".post1", "-1", ".post", "post0", "_post3"])
    v += rng.choice(["", "", ".dev1", "dev", "-dev2"])
    v += rng.choice(["", "", "", "+ubuntu.1", "+a.b.3", "+0", "+local-1"])
    if rng.random() < 0.1:
        v = f"{rng.randint(0, 2)}!{v}"
    return v


def pypi_pairs(count: int, seed: int = 5615) -> list[Pair]:
    return _pairs(random.Random(seed), PYPI_BASES, _pypi_edits(), _pypi_random, count)


# -- npm (SemVer 2.0.0) ----------------------------------------------------------------------

def _npm_edits() -> tuple[Callable[[random.Random, str], str], ...]:
    def pre(rng: random.Random, v: str) -> str:
        core, sep, build = v.partition("+")
        tag = rng.choice(["-alpha", "-beta.1", "-rc.2", "-0", "-1", "-alpha.10", "-x.y", "-a-b",
                          ".1", "-alpha.beta.1", "-01a", "-10"])
        if "-" in core and tag.startswith("-"):
            tag = "." + tag[1:]
        return core + tag + sep + build

    def build(rng: random.Random, v: str) -> str:
        return v.partition("+")[0] + "+" + rng.choice(["1", "sha.5114f85", "exp.sha.1", "20130313144700"])

    def prefix(rng: random.Random, v: str) -> str:
        return rng.choice(["v", "=", "=v", "V", "vv"]) + v

    return (pre, build, prefix, _bump)


def _npm_random(rng: random.Random) -> str:
    v = ".".join(rng.choice(["0", "1", "2", "10", "11"]) for _ in range(3))
    if rng.random() < 0.6:
        ids = [rng.choice(["alpha", "beta", "rc", "0", "1", "2", "11", "x", "a1", "1a", "-"])
               for _ in range(rng.randint(1, 3))]
        v += "-" + ".".join(ids)
    if rng.random() < 0.2:
        v += "+" + rng.choice(["build", "001", "b.2"])
    return v


def npm_pairs(count: int, seed: int = 5616) -> list[Pair]:
    return _pairs(random.Random(seed), NPM_BASES, _npm_edits(), _npm_random, count)
