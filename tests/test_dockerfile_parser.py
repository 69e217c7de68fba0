"""The Dockerfile parser: continuations, the escape directive, heredocs, exec and shell
forms, flags, ARG substitution in FROM, stages and aliases, line numbers and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_ctrsec.errors import InputError, ParseError
from pytest_ctrsec.targets.dockerfile import find_dockerfiles, load_dockerfile, load_targets
from pytest_ctrsec.targets.dockerfile.parser import arg_pairs, env_pairs, parse
from pytest_ctrsec.targets.dockerfile.variables import expand

TEXT = """\
# syntax=docker/dockerfile:1
ARG REG=docker.io
ARG TAG
FROM ${REG}/library/debian:12 AS Build
RUN apt-get update \\
    # a comment inside the continuation
    && apt-get install -y gcc \\

    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/root/.cache --network=none <<EOF
pip install x
EOF
COPY --from=build <<-"A" /a <<B /b
\thello $X
\tA
b
B
FROM build
ONBUILD RUN sudo make
CMD ["app", "--flag"]
ENTRYPOINT [not json
FROM img:$TAG
"""


def test_structure_lines_and_forms() -> None:
    df = parse(TEXT, "Dockerfile")
    assert df.directives == {"syntax": "docker/dockerfile:1"}
    assert df.global_args == {"REG": "docker.io", "TAG": None}
    first, second, third = df.stages
    assert (first.base_resolved, first.alias, first.line) == ("docker.io/library/debian:12",
                                                            "Build", 4)
    assert second.base_stage == 0  # aliases match case-insensitively
    assert third.base_resolved is None and third.base_stage is None
    run, heredoc_run, copy = first.instructions
    assert (run.line, run.end_line) == (5, 9)
    assert "comment" not in run.args and "rm -rf" in run.args
    assert heredoc_run.flag_values("mount") == ["type=cache,target=/root/.cache"]
    assert heredoc_run.flag("network") == "none"
    assert heredoc_run.script == "pip install x\n"
    assert [(h.name, h.body, h.expand) for h in copy.heredocs] == [("A", "hello $X\n", False),
                                                                  ("B", "b\n", True)]
    assert copy.flag("from") == "build" and copy.line == 13
    onbuild, cmd, entrypoint = second.instructions
    assert onbuild.trigger is not None and onbuild.trigger.keyword == "RUN"
    assert cmd.exec_form == ("app", "--flag") and entrypoint.exec_form is None
    assert df.lineage(second) == [second, first]


def test_escape_directive_backtick() -> None:
    df = parse("# escape=`\nFROM windows:ltsc `\n  AS w\nRUN dir c:\\ `\n  && echo ok\n", "D")
    assert df.final.alias == "w"
    (run,) = df.final.instructions
    assert run.args == "dir c:\\   && echo ok" and run.line == 4


def test_arg_and_env_forms() -> None:
    df = parse('FROM a:1\nARG X=1 Y "Z=two words"\nENV A=1 B="x y" C=a\\ b\n'
               "ENV LEGACY some value\n", "D")
    arg, env, legacy = df.final.instructions
    assert arg_pairs(arg) == {"X": "1", "Y": None, "Z": "two words"}
    assert env_pairs(env) == {"A": "1", "B": "x y", "C": "a b"}
    assert env_pairs(legacy) == {"LEGACY": "some value"}


@pytest.mark.parametrize("text, values, expected", [
    ("${A:-d}", {}, "d"), ("${A:-d}", {"A": ""}, "d"), ("${A-d}", {"A": ""}, ""),
    ("${A:+x}", {"A": "1"}, "x"), ("${A+x}", {}, ""), ("\\$A", {}, "$A"),
    ("$A$B", {"A": "1", "B": "2"}, "12"), ("$A", {"A": None}, None),
])
def test_variable_expansion(text: str, values: dict[str, str | None],
                            expected: str | None) -> None:
    assert expand(text, values) == expected


@pytest.mark.parametrize("text, message, line", [
    ("", "no FROM instruction", 1),
    ("RUN echo\nFROM a\n", "RUN before the first FROM", 1),
    ("FROM a\nFROBNICATE x\n", "unknown instruction 'FROBNICATE'", 2),
    ("FROM a\nRUN <<EOF\necho\n", "heredoc <<EOF is never closed", 2),
    ("# escape=x\nFROM a\n", "invalid escape directive", 1),
    ("FROM a b c d\n", "expected 'FROM image [AS name]'", 1),
    ("# only\n# comments\n", "no FROM instruction", 1),
    ("FROM a\nUSER\n", "USER needs an argument", 2),
    ("FROM a\nEXPOSE \\\n\n", "EXPOSE needs an argument", 2),
    ("FROM a\nCOPY app.py\n", "COPY needs a source and a destination", 2),
    ("FROM a\nADD [\"x.tar\"]\n", "ADD needs a source and a destination", 2),
    ("FROM a\nONBUILD\n", "ONBUILD needs an instruction", 2),
])
def test_bad_dockerfiles_name_file_and_line(text: str, message: str, line: int) -> None:
    with pytest.raises(ParseError) as err:
        parse(text, "app/Dockerfile")
    assert err.value.line == line and message in str(err.value)
    assert str(err.value).startswith(f"app/Dockerfile:{line}: ")


def test_loading_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM a:1\n")
    (tmp_path / "svc" / "api.Dockerfile").write_text("FROM b:1\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM c\n")
    (tmp_path / "README.md").write_text("no")
    assert find_dockerfiles(str(tmp_path)) == [str(tmp_path / "svc" / "Dockerfile"),
                                               str(tmp_path / "svc" / "api.Dockerfile")]

    class Opts:
        dockerfile = (str(tmp_path),)

    targets = load_targets(Opts())
    assert [t.name for t in targets] == [f"dockerfile:{tmp_path}/svc/Dockerfile",
                                         f"dockerfile:{tmp_path}/svc/api.Dockerfile"]
    assert targets[0].location.line == 1 and targets[0].model.final.base == "a:1"
    with pytest.raises(InputError, match="cannot read Dockerfile"):
        load_dockerfile(tmp_path / "missing")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        load_dockerfile(tmp_path / "bin")


def test_heredoc_markers_in_quotes_or_arithmetic_are_not_heredocs() -> None:
    text = ('FROM a\nRUN echo "<<EOF" && echo $((1<<2)) && cat <<EOF\nbody\nEOF\n'
            'RUN <<"X" cat\nx\nX\n')
    first, second = parse(text, "D").final.instructions
    assert [h.name for h in first.heredocs] == ["EOF"] and first.line == 2
    assert [(h.name, h.expand) for h in second.heredocs] == [("X", False)] and second.line == 5


def test_crlf_and_tabs() -> None:
    df = parse("FROM\ta:1 AS b\r\nRUN echo a \\\r\n\t&& echo b\r\nUSER\t1000\r\n", "D")
    run, user = df.final.instructions
    assert df.final.alias == "b" and run.args == "echo a \t&& echo b" and user.args == "1000"


def test_arity_accepts_json_heredoc_and_onbuild_forms() -> None:
    df = parse('FROM a\nCOPY ["a","b"]\nCOPY <<EOF /x\nhi\nEOF\nONBUILD ADD . /app\n', "D")
    json_copy, heredoc_copy, onbuild = df.final.instructions
    assert json_copy.exec_form == ("a", "b") and heredoc_copy.heredocs[0].body == "hi\n"
    assert onbuild.trigger is not None and onbuild.trigger.keyword == "ADD"


def test_script_runs_shell_heredocs_and_keeps_exec_form_words() -> None:
    text = ("FROM a\nRUN <<EOF\napt-get update\nEOF\nRUN <<EOF bash -e\nsudo x\nEOF\n"
            "RUN cat <<EOF > /etc/x.list && echo ok\ndeb [trusted=yes] http://r/ x main\nEOF\n"
            'RUN ["/bin/sh", "-c", "apt-get update && echo \'a b\'"]\n')
    alone, bash, cat, exec_form = parse(text, "D").final.instructions
    assert alone.script == "apt-get update\n"
    assert bash.script == "bash -e\nsudo x\n"
    # The body is data for cat: not run, but still part of the instruction's text.
    assert "trusted" not in cat.script and "trusted=yes" in cat.text
    assert exec_form.script == "/bin/sh -c 'apt-get update && echo '\"'\"'a b'\"'\"''"


def test_folder_discovery_names(tmp_path: Path) -> None:
    names = ["Dockerfile", "Dockerfile.prod", "api.Dockerfile", "Containerfile", "dockerfile",
             "worker.Containerfile", "Dockerfile.dockerignore", "api.Dockerfile.dockerignore",
             "Dockerfile.j2", "Dockerfile.template", "Dockerfile.md", "Dockerfile~",
             "dockerfile.py", "README.md"]
    for name in names:
        (tmp_path / name).write_text("FROM a:1\n")
    found = [Path(p).name for p in find_dockerfiles(str(tmp_path))]
    assert found == sorted(["Containerfile", "Dockerfile", "Dockerfile.prod", "api.Dockerfile",
                            "dockerfile", "worker.Containerfile"])


def test_folder_without_dockerfile_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.j2").write_text("FROM {{ base }}\n")

    class Opts:
        dockerfile = (str(tmp_path),)

    with pytest.raises(InputError, match="no Dockerfile in this folder") as err:
        load_targets(Opts())
    assert str(err.value).startswith(f"{tmp_path}: ")


BAD_INPUTS = {
    "binary": (b"\x7fELF\x02\x01\x01\x00\xff\xfe", "Dockerfile", "Dockerfile:", "not UTF-8"),
    "empty": (b"", "Dockerfile", "Dockerfile:1", "no FROM"),
    "comments only": (b"# a\n# b\n", "Dockerfile", "Dockerfile:1", "no FROM"),
    "unknown instruction": (b"FROM a:1\nRUNN x\n", "Dockerfile", "Dockerfile:2",
                            "unknown instruction 'RUNN'"),
    "missing argument": (b"FROM a:1\nUSER\n", "Dockerfile", "Dockerfile:2", "USER needs"),
    "missing file": (None, "nothere/Dockerfile", "nothere/Dockerfile", "cannot read"),
    "folder without Dockerfile": (None, "empty", "empty:", "no Dockerfile in this folder"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_dockerfile_input_is_one_clear_line(pytester: pytest.Pytester, case: str) -> None:
    content, option, where, words = BAD_INPUTS[case]
    (pytester.path / "empty").mkdir()
    (pytester.path / "empty" / "Dockerfile.dockerignore").write_text("node_modules\n")
    if content is not None:
        (pytester.path / option).write_bytes(content)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           f"--ctrsec-dockerfile={option}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    lines = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"ERROR: {where}") and words in lines[0], lines[0]
    assert "Traceback" not in err + result.stdout.str()
