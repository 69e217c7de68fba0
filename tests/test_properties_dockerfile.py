"""Dockerfiles: random text, the check fixtures cut and spliced, and generated Dockerfiles
(continuations, comments, heredocs, stages) parse into instructions at the lines written, or
give one ``ParseError`` line naming the file; every bundled Dockerfile check judges whatever
parsed."""

from __future__ import annotations

from pathlib import Path

import hyp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.errors import InputError
from pytest_ctrsec.targets.dockerfile import Dockerfile, load_dockerfile

FIXTURES = Path(__file__).parent / "fixtures" / "dockerfile"
SEED_LINES = [line for f in sorted(FIXTURES.rglob("*")) if f.is_file()
              for line in f.read_text().splitlines()]
CHECKS = [c for c in registry().values() if c.model == "dockerfile"]
_TOKENS = ["FROM ", "RUN ", "USER ", "ARG ", "ENV ", "ONBUILD ", "COPY ", "ADD ", "HEALTHCHECK ",
           "AS ", "\\\n", "`\n", "<<EOF\n", "<<-'E'\n", "EOF\n", "# escape=`\n", "# syntax=x\n",
           "${A:-b}", "$A", "--mount=type=secret ", "--platform=$P ", '["a", "b"]', "[", "\n",
           "\t", " ", "#", "\r\n", "\x0c", "\u2028", "\ufeff"]


def _parse(tmp: Path, text: str | bytes) -> object:
    path = tmp / "Dockerfile"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        parsed = load_dockerfile(path)
    except InputError as err:
        assert str(err).startswith(str(path)) and "\n" not in str(err), str(err)
        return err
    for stage in parsed.stages:
        for inst in stage.instructions:
            assert 1 <= inst.line <= inst.end_line
    for chk in CHECKS:
        if chk.applies_to(parsed):
            assert chk.evaluate(parsed).outcome in ("passed", "failed", "skipped", "error")
    return parsed


@hyp.examples(80)
@given(text=st.lists(st.one_of(st.sampled_from(_TOKENS), hyp.any_text), max_size=25).map(
    "".join))
def test_random_text_parses_or_is_rejected(tmp_path_factory: pytest.TempPathFactory,
                                          text: str) -> None:
    _parse(tmp_path_factory.mktemp("d"), text)


@given(raw=st.binary(max_size=300))
def test_random_bytes_parse_or_are_rejected(tmp_path_factory: pytest.TempPathFactory,
                                           raw: bytes) -> None:
    _parse(tmp_path_factory.mktemp("d"), b"FROM x\n" + raw)


@hyp.examples(100)
@given(lines=st.lists(st.one_of(st.sampled_from(SEED_LINES), st.sampled_from(_TOKENS)),
                      min_size=1, max_size=20))
def test_fixture_lines_spliced_parse_or_are_rejected(tmp_path_factory: pytest.TempPathFactory,
                                                    lines: list[str]) -> None:
    _parse(tmp_path_factory.mktemp("d"), "\n".join(lines))


_word = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_instruction = st.one_of(
    st.builds(lambda w: f"RUN echo {w}", _word),
    # characters str.splitlines() would break a line at, ordinary to BuildKit
    st.builds(lambda w, c: f"RUN echo {w}{c}{w}", _word,
              st.sampled_from(["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
                               "\u2029", "\r"])),
    st.builds(lambda w: f"RUN set -e \\\n  # a comment inside\n  && echo {w}", _word),
    st.builds(lambda w: f"RUN <<EOF\necho {w}\nEOF", _word),
    st.builds(lambda w: f"USER {w}", _word),
    st.builds(lambda k, v: f"ENV {k.upper()}={v}", _word, _word),
    st.builds(lambda w: f"ARG {w}", _word),
    st.builds(lambda w: f'CMD ["{w}"]', _word),
    st.just("EXPOSE 8080"),
)


@hyp.examples(80)
@given(stages=st.lists(st.tuples(_word, st.booleans(), st.lists(_instruction, max_size=5),
                                 st.integers(0, 2)), min_size=1, max_size=3))
def test_generated_dockerfiles_keep_instructions_and_lines(
        tmp_path_factory: pytest.TempPathFactory,
        stages: list[tuple[str, bool, list[str], int]]) -> None:
    text, expected, line = [], [], 1
    for i, (image, named, body, blanks) in enumerate(stages):
        header = f"FROM {image}:1" + (f" AS s{i}" if named else "")
        text.append(header)
        stage = [("FROM", line)]
        line += 1
        for inst in body:
            pad = "\n" * blanks
            text.append(pad + inst)
            line += blanks
            stage.append((inst.split()[0], line))
            line += inst.count("\n") + 1
        expected.append(stage)
    parsed = _parse(tmp_path_factory.mktemp("d"), "\n".join(text) + "\n")
    assert isinstance(parsed, Dockerfile), parsed
    got = [[("FROM", s.line)] + [(i.keyword, i.line) for i in s.instructions]
           for s in parsed.stages]
    assert got == expected
    assert [s.alias for s in parsed.stages] == [f"s{i}" if named else None
                                                for i, (_, named, _, _) in enumerate(stages)]
