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
