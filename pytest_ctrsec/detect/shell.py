"""What a build step's shell script does: simple commands split at ``&&``, ``||``, ``;``,
pipes and newlines, wrappers (``sudo``, ``env``, ``xargs``...) looked through, and the
package-manager facts the image and Dockerfile rules share (index update, install, cache
cleaning, TLS or signature bypass, a download piped into a shell).

Used on Dockerfile ``RUN`` scripts and on image history lines alike.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "\n", "(", ")", ";;", "|&", "{", "}"})
_WRAPPERS = frozenset({"sudo", "env", "nice", "nohup", "exec", "command", "time", "xargs",
                       "doas", "su-exec", "gosu", "chroot", "stdbuf", "timeout"})
# A wrapper's options that take the next word as their value (``xargs -a FILE apt-get``).
_WRAPPER_VALUES = {
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-R", "-T", "-U", "-r", "-t"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "xargs": frozenset({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file",
                        "--delimiter", "--max-args", "--max-procs", "--max-lines",
                        "--max-chars"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "time": frozenset({"-f", "-o"}),
    "exec": frozenset({"-a"}),
}
# Wrappers whose first operand is not the command (``gosu USER cmd``, ``timeout 10 cmd``).
_WRAPPER_OPERANDS = {"gosu": 1, "su-exec": 1, "chroot": 1, "timeout": 1}
# Words that open or continue a compound command: the simple command follows them
# (``if apt-get update; then``, ``do apt-get install x; done``).
_RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!"})
# Shells whose ``-c SCRIPT`` is read as a script of its own (``sudo sh -c "apt-get update"``).
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})
_MAX_NESTING = 4
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Command:
    """One simple command: ``argv`` after wrappers and leading assignments;
    ``assignments`` the ``NAME=value`` words before it; ``piped`` when its output feeds the
    next command; ``wrappers`` the programs it ran under (``sudo``...)."""

    argv: tuple[str, ...]
    assignments: tuple[str, ...] = ()
    piped: bool = False
    wrappers: tuple[str, ...] = ()

    @property
    def program(self) -> str:
        return posixpath.basename(self.argv[0]) if self.argv else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    def has_flag(self, *names: str) -> bool:
        """Whether a long flag (``--x`` or ``--x=v``) or a short one (``-k``, also inside a
        cluster such as ``-sSLk``) is given."""
        for arg in self.args:
            for name in names:
                if name.startswith("--"):
                    if arg == name or arg.startswith(name + "="):
                        return True
                elif arg.startswith("-") and not arg.startswith("--") and name[1:] in arg[1:]:
                    return True
        return False


_TOKEN = re.compile(r"""
    (?P<op>&&|\|\||;;|\|&|[;&|()\n])
  | (?P<word>(?:[^\s;&|()'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+)
  | (?P<space>[ \t\r]+|\\\n)
""", re.X | re.S)
_UNQUOTE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""", re.S)


def _unquote(word: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return re.sub(r'\\([$`"\\\n])', r"\1", m.group(2))
        return m.group(3)

    return _UNQUOTE.sub(sub, word)


def words(script: str) -> list[str]:
    """Shell words (quotes removed) with operators as separate words. An unbalanced quote
    makes the rest of the script one word, as far as it goes."""
    out: list[str] = []
    pos = 0
    while pos < len(script):
        m = _TOKEN.match(script, pos)
        if m is None:  # a lone quote: take the rest as a word
            out.append(script[pos:].strip("'\""))
            break
        if m.lastgroup == "op":
            out.append(m.group())
        elif m.lastgroup == "word":
            out.append(_unquote(m.group()))
        pos = m.end()
    return out


@functools.lru_cache(maxsize=4096)
def commands(script: str) -> tuple[Command, ...]:
    """The simple commands of ``script`` in order; a shell's ``-c SCRIPT`` stands for the
    commands of that script (under the shell's wrappers and assignments)."""
    return _commands(script, 0)


def _commands(script: str, depth: int) -> tuple[Command, ...]:
    out: list[Command] = []
    current: list[str] = []
    for word in [*words(script), ";"]:
        if word in _SEPARATORS or set(word) <= set(";&|\n") and word:
            if current:
                out.extend(_expand_shell(_command(current, piped=word in ("|", "|&")), depth))
            current = []
        elif current or word not in _RESERVED:
            current.append(word)
    return tuple(out)


def _expand_shell(cmd: Command, depth: int) -> tuple[Command, ...]:
    inner = shell_script(cmd)
    if inner is None or depth >= _MAX_NESTING:
        return (cmd,)
    found = _commands(inner, depth + 1)
    if not found:
        return (cmd,)
    out = [Command(c.argv, cmd.assignments + c.assignments, c.piped, cmd.wrappers + c.wrappers)
           for c in found]
    last = out[-1]
    out[-1] = Command(last.argv, last.assignments, cmd.piped, last.wrappers)
    return tuple(out)


def shell_script(cmd: Command) -> str | None:
    """The script a POSIX shell runs with ``-c`` (``bash -ec 'x'`` -> ``x``), else ``None``."""
    if cmd.program not in POSIX_SHELLS:
        return None
    args = iter(cmd.args)
    for arg in args:
        if not arg.startswith(("-", "+")):
            return None  # a script file, not -c
        if arg.startswith(("--", "++")):
            continue
        if arg[0] == "-" and "c" in arg[1:]:
            return next(args, None)
        if arg.endswith("o"):
            next(args, None)  # -o OPTION, also inside a cluster (-euo pipefail)
    return None


def _command(tokens: list[str], piped: bool) -> Command:
    assignments: list[str] = []
    wrappers: list[str] = []
    rest = list(tokens)
    while rest:
        head = rest[0]
        name = posixpath.basename(head)
        if _ASSIGNMENT.match(head):
            assignments.append(rest.pop(0))
        elif name in _WRAPPERS and not (name == "command" and rest[1:2] in (["-v"], ["-V"])):
            wrappers.append(name)
            rest.pop(0)
            _drop_wrapper_options(name, rest)
        else:
            break
    return Command(tuple(rest), tuple(assignments), piped, tuple(wrappers))


def _drop_wrapper_options(name: str, rest: list[str]) -> None:
    """Remove a wrapper's options (with their values) and leading operands from ``rest``."""
    takes_value = _WRAPPER_VALUES.get(name, frozenset())
    while rest and rest[0].startswith("-") and rest[0] != "-":
        flag = rest.pop(0)
        if flag == "--":
            break
        if flag in takes_value and rest:
            rest.pop(0)
    for _ in range(_WRAPPER_OPERANDS.get(name, 0)):
        if rest:
            rest.pop(0)


# -- package managers --------------------------------------------------------------------

_APT = frozenset({"apt-get", "apt", "aptitude"})
_RPM_FAMILY = frozenset({"yum", "dnf", "microdnf", "tdnf"})
_PIP = frozenset({"pip", "pip3"})


def verb(cmd: Command) -> str:
    """The first non-option argument (``apt-get -y install`` -> ``install``)."""
    skip_next = False
    for arg in cmd.args:
        if skip_next:
            skip_next = False
            continue
        if arg in ("-o", "-c", "-t", "--repo", "-r", "-X"):
            skip_next = True
            continue
        if not arg.startswith("-"):
            return arg
    return ""


def family(cmd: Command) -> str | None:
    """``apt``, ``apk``, ``rpm``, ``zypper``, ``pip`` or ``None``."""
    prog = cmd.program
    if prog in _APT:
        return "apt"
    if prog == "apk":
        return "apk"
    if prog in _RPM_FAMILY:
        return "rpm"
    if prog == "zypper":
        return "zypper"
    if prog in _PIP or re.fullmatch(r"pip3\.\d+", prog) or is_python_pip(cmd):
        return "pip"
    return None


def is_python_pip(cmd: Command) -> bool:
    return bool(re.fullmatch(r"python[0-9.]*", cmd.program)) and cmd.args[:2] == ("-m", "pip")


def pip_args(cmd: Command) -> tuple[str, ...]:
    return cmd.args[2:] if is_python_pip(cmd) else cmd.args


def is_index_update(cmd: Command) -> bool:
    """Refreshes package indexes without installing anything."""
    fam, action = family(cmd), verb(cmd)
    if fam in ("apt", "apk"):
        return action == "update"
    if fam == "rpm":
        return action in ("makecache", "check-update")
    if fam == "zypper":
        return action in ("refresh", "ref")
    return False


def is_install(cmd: Command) -> bool:
    """Installs or upgrades packages."""
    fam, action = family(cmd), verb(cmd)
    if fam == "apt":
        return action in ("install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep",
                          "reinstall")
    if fam == "apk":
        return action in ("add", "upgrade", "fix")
    if fam == "rpm":
        return action in ("install", "update", "upgrade", "reinstall", "groupinstall",
                          "localinstall", "distro-sync")
    if fam == "zypper":
        return action in ("install", "in", "update", "up", "dist-upgrade", "dup", "patch")
    if fam == "pip":
        return verb(Command(("pip", *pip_args(cmd)))) == "install"
    return False


def update_alone(cmds: Sequence[Command]) -> list[Command]:
    """Index updates that no install of the same package manager follows."""
    lonely: list[Command] = []
    for i, cmd in enumerate(cmds):
        if is_index_update(cmd) and not any(
                is_install(later) and family(later) == family(cmd) for later in cmds[i + 1:]):
            lonely.append(cmd)
    return lonely


def removes(cmds: Sequence[Command], *prefixes: str) -> bool:
    """Whether an ``rm`` deletes a path at or below one of ``prefixes``."""
    for cmd in cmds:
        if cmd.program != "rm":
            continue
        for arg in cmd.args:
            path = arg.rstrip("*").rstrip("/")
            if len(path) > 1 and any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/")
                                     or p.startswith(path + "/") for p in prefixes):
                return True
    return False
