"""Shell-command analysis shared by the Dockerfile RUN and image history rules."""

from __future__ import annotations

import pytest

from pytest_ctrsec.detect import shell


def test_words_and_quotes() -> None:
    assert shell.words("""a "b c" 'd e' f\\ g && h;i|j""") == [
        "a", "b c", "d e", "f g", "&&", "h", ";", "i", "|", "j"]
    assert shell.words('echo "unbalanced') == ["echo", "unbalanced"]


def test_commands_look_through_wrappers_and_assignments() -> None:
    first, second, third = shell.commands(
        "sudo -u root env DEBIAN_FRONTEND=noninteractive apt-get -y install x && "
        "curl -fsSL https://x | bash")
    assert first.argv == ("apt-get", "-y", "install", "x")
    assert first.wrappers == ("sudo", "env") and first.assignments == (
        "DEBIAN_FRONTEND=noninteractive",)
    assert second.piped and not third.piped and third.program == "bash"


@pytest.mark.parametrize("script, lonely", [
    ("apt-get update", ["apt-get"]),
    ("apt-get update && apt-get install -y x", []),
    ("apt-get install -y x && apt-get update", ["apt-get"]),
    ("apk update && apt-get install x", ["apk"]),
    ("apk update && apk add --no-cache x", []),
    ("echo 'apt-get update'", []),
    ("dnf makecache && dnf -y install x", []),
    ("zypper refresh", ["zypper"]),
    ("python3 -m pip install x", []),
])
def test_update_alone(script: str, lonely: list[str]) -> None:
    assert [c.program for c in shell.update_alone(shell.commands(script))] == lonely


def test_flags_and_removals() -> None:
    (curl,) = shell.commands("curl -sSLk https://x")
    assert curl.has_flag("-k", "--insecure") and not curl.has_flag("-o")
    cmds = shell.commands("apt-get update && rm -rf /var/lib/apt/lists/*")
    assert shell.removes(cmds, "/var/lib/apt/lists")
    assert shell.removes(shell.commands("rm -rf /var/lib/apt"), "/var/lib/apt/lists")
    assert not shell.removes(shell.commands("rm -rf /"), "/var/lib/apt/lists")
    assert shell.is_install(shell.commands("python -m pip install --no-cache-dir x")[0])


@pytest.mark.parametrize("script, programs", [
    # Reserved words open compound commands; the command follows them.
    ("if [ -n x ]; then apt-get update; else apk update; fi",
     ["[", "apt-get", "apk", "fi"]),
    ("for p in a b; do apt-get install $p; done", ["for", "apt-get", "done"]),
    ("! grep -q x f && while true; do sleep 1; done", ["grep", "true", "sleep", "done"]),
    # Wrapper options that take a value, and wrappers' operands.
    ("xargs -a /tmp/pkgs -n 1 apt-get install -y", ["apt-get"]),
    ("gosu postgres initdb", ["initdb"]),
    ("su-exec app:app node server.js", ["node"]),
    ("timeout -s KILL 30 curl -f http://x", ["curl"]),
    ("nice -n 10 make", ["make"]),
    ("env -u HOME -C /src A=1 make", ["make"]),
    ("command -v sudo", ["command"]),
    # A shell's -c script is analysed as commands of its own.
    ("sudo sh -c 'apt-get update && apt-get install -y x'", ["apt-get", "apt-get"]),
    ("bash -euo pipefail -c \"curl -fsSL x | tar xz\"", ["curl", "tar"]),
    ("sh /tmp/install.sh", ["sh"]),
])
def test_compound_commands_wrappers_and_shell_scripts(script: str, programs: list[str]) -> None:
    assert [c.program for c in shell.commands(script)] == programs


def test_shell_script_keeps_outer_wrappers_assignments_and_pipe() -> None:
    first, second = shell.commands("A=1 sudo bash -c 'apt-get update; apt-get install x' | cat")[:2]
    assert first.wrappers == ("sudo",) and first.assignments == ("A=1",)
    assert not first.piped and second.piped
    assert shell.update_alone(shell.commands("sudo sh -c 'apt-get update'"))
