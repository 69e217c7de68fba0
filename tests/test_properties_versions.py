"""Each version comparator is a total order on the versions it accepts (reflexive,
antisymmetric, transitive, equality an equivalence), rejects everything else with
:class:`InvalidVersion` only, and agrees with its own ``valid``. Versions are generated in the
shape of each ecosystem (so that equal and nearly equal versions meet), with numbers of any
length, and as arbitrary text."""

from __future__ import annotations

import functools
import itertools

import hyp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_ctrsec.versions import COMPARATORS, Comparator, InvalidVersion

# Numbers as ecosystems write them: small, zero-padded, and far beyond any machine integer.
_num = st.one_of(st.integers(0, 12).map(str), st.sampled_from(["0", "00", "01", "010", "007"]),
                 st.integers(10**20, 10**30).map(str),
                 st.integers(4290, 4400).map(lambda n: "9" * n))
_word = st.sampled_from(["a", "b", "z", "rc", "alpha", "beta", "pre", "p", "git", "dfsg",
                         "deb12u", "el9", "fc39", "ubuntu", "x", "Z", "A"])


def _joined(parts: st.SearchStrategy[str], seps: str, max_size: int = 5) -> st.SearchStrategy[str]:
    """Runs of ``parts`` joined by separators drawn from ``seps`` (possibly none)."""
    def join(items: list[tuple[str, str]]) -> str:
        return "".join(p + s for p, s in items)
    return st.lists(st.tuples(parts, st.sampled_from(list(seps))), min_size=1,
                    max_size=max_size).map(join)


_deb_upstream = _joined(st.one_of(_num, _word), ".+~" + "\0", 4).map(lambda s: s.replace("\0", ""))
_deb = st.builds(lambda e, u, r: e + u + r,
                 st.one_of(st.just(""), _num.map(lambda n: n + ":")), _deb_upstream,
                 st.one_of(st.just(""), _joined(st.one_of(_num, _word), ".+~", 2).map(
                     lambda r: "-" + r.rstrip(".+~") if r.rstrip(".+~") else "")))
_apk = st.builds(lambda nums, letter, sufs, h, rev: ".".join(nums) + letter + sufs + h + rev,
                 st.lists(_num, min_size=1, max_size=4), st.sampled_from(["", "a", "k", "z"]),
                 st.lists(st.tuples(st.sampled_from(["alpha", "beta", "pre", "rc", "cvs", "svn",
                                                     "git", "hg", "p"]),
                                    st.one_of(st.just(""), _num)), max_size=2).map(
                     lambda xs: "".join(f"_{s}{n}" for s, n in xs)),
                 st.sampled_from(["", "~abc1", "~0f"]),
                 st.one_of(st.just(""), _num.map(lambda n: "-r" + n)))
_rpm = st.builds(lambda e, v, r: e + v + r,
                 st.one_of(st.just(""), _num.map(lambda n: n + ":"), st.just(":")),
                 _joined(st.one_of(_num, _word), "._+~^", 4),
                 st.one_of(st.just(""), _joined(st.one_of(_num, _word), "._~^", 2).map(
                     lambda r: "-" + r)))
_pypi = st.builds(lambda ep, rel, pre, post, dev, local: ep + rel + pre + post + dev + local,
                  st.one_of(st.just(""), _num.map(lambda n: n + "!")),
                  st.lists(_num, min_size=1, max_size=4).map(".".join),
                  st.one_of(st.just(""), st.builds(lambda w, n: w + n,
                                                   st.sampled_from(["a", "b", "rc", "c", "pre"]),
                                                   _num)),
                  st.one_of(st.just(""), _num.map(lambda n: ".post" + n)),
                  st.one_of(st.just(""), _num.map(lambda n: ".dev" + n)),
                  st.one_of(st.just(""), st.sampled_from(["+local", "+abc.5", "+1.x"])))
_pre_id = st.one_of(_num.filter(lambda n: n == "0" or not n.startswith("0")),
                    st.sampled_from(["alpha", "beta", "rc", "x-1", "0a", "-"]))
_semver = st.builds(lambda v, core, pre, build: v + core + pre + build,
                    st.sampled_from(["", "v"]),
                    st.lists(_num.filter(lambda n: n == "0" or not n.startswith("0")),
                             min_size=3, max_size=3).map(".".join),
                    st.one_of(st.just(""), st.lists(_pre_id, min_size=1, max_size=3).map(
                        lambda ids: "-" + ".".join(ids))),
                    st.sampled_from(["", "+build.1", "+sha.5114f85"]))

SHAPED = {"deb": _deb, "apk": _apk, "rpm": _rpm, "pypi": _pypi, "semver": _semver}
IDS = sorted(COMPARATORS)


def _outcome(cmp: Comparator, a: str, b: str) -> int | None:
    """The comparison, or ``None`` for a rejected version; any other exception fails."""
    try:
        result = cmp.compare(a, b)
    except InvalidVersion as err:
        assert str(err) and "\n" not in str(err)
        assert not (cmp.valid(a) and cmp.valid(b)), f"valid versions rejected: {err}"
        return None
    assert result in (-1, 0, 1)
    assert cmp.valid(a) and cmp.valid(b), "an invalid version was compared"
    return result


def _assert_total_order(cmp: Comparator, versions: list[str]) -> None:
    usable = [v for v in versions if _outcome(cmp, v, v) is not None]
    for a in usable:
        assert cmp.compare(a, a) == 0
    for a, b in itertools.combinations(usable, 2):
        assert cmp.compare(a, b) == -cmp.compare(b, a), (a, b)
    ordered = sorted(usable, key=functools.cmp_to_key(cmp.compare))
    for a, b, c in itertools.combinations(ordered, 3):
        ab, bc, ac = cmp.compare(a, b), cmp.compare(b, c), cmp.compare(a, c)
        assert ab <= 0 and bc <= 0 and ac <= 0, (a, b, c)
        assert ac == (0 if ab == bc == 0 else -1), (a, b, c)  # transitivity of < and =


@pytest.mark.parametrize("eco", IDS)
@hyp.examples(60)
@given(data=st.data())
def test_shaped_versions_are_totally_ordered(eco: str, data: st.DataObject) -> None:
    shaped = SHAPED[eco]
    versions = data.draw(st.lists(shaped, min_size=3, max_size=7))
    # a mutation of one of them, so that near neighbours meet
    base = versions[0]
    cut = data.draw(st.integers(0, len(base)))
    versions.append(base[:cut] + data.draw(st.sampled_from(["", "0", "~", "^", ".0", "-1",
                                                             "a", "_p1", "-r0", "+"])) + base[cut:])
    _assert_total_order(COMPARATORS[eco], versions)


@pytest.mark.parametrize("eco", IDS)
@given(a=hyp.any_text, b=hyp.any_text)
def test_arbitrary_text_is_compared_or_rejected(eco: str, a: str, b: str) -> None:
    cmp = COMPARATORS[eco]
    assert isinstance(cmp.valid(a), bool)
    ab = _outcome(cmp, a, b)
    ba = _outcome(cmp, b, a)
    assert (ab is None) == (ba is None)
    if ab is not None:
        assert ab == -(ba or 0)


@pytest.mark.parametrize("eco", IDS)
@given(versions=st.lists(st.one_of(hyp.any_text, st.sampled_from(["1", "1.0", "1.0.0", "0",
                                                                  "1:1", "1-1", "~", "^"])),
                         min_size=3, max_size=6))
def test_mixed_text_is_a_total_order_where_accepted(eco: str, versions: list[str]) -> None:
    _assert_total_order(COMPARATORS[eco], versions)
