"""Image history lines as build steps: which instruction, with what text.

The classic builder records ``/bin/sh -c #(nop)  ENV A=1`` for metadata steps,
``/bin/sh -c apt-get update`` for RUN (with ``|2 A=1 B=2 `` in front when build args were
used) and raw argv for exec-form RUN; BuildKit records ``RUN /bin/sh -c ... # buildkit``,
``ENV A=1``, ``COPY ... # buildkit``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..dockerfile.parser import KNOWN, Instruction, arg_pairs, env_pairs
from .config import ImageConfig

_BUILD_ARGS = re.compile(r"^\|(\d+)\s+")
_SHELL_PREFIX = re.compile(r"^(?:/bin/(?:ba)?sh|sh|bash|cmd /S /C|powershell(?:\.exe)?) -c\s+")


@dataclass(frozen=True)
class Step:
    """One history entry: ``number`` is 1-based; ``text`` is the script of a RUN or the
    arguments of another instruction; ``build_args`` the ``NAME=value`` pairs recorded in
    front of a classic-builder RUN."""

    number: int
    keyword: str
    text: str
    empty_layer: bool = False
    build_args: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        text = " ".join(self.text.split())
        return f"{self.keyword} {text[:117]}..." if len(text) > 120 else f"{self.keyword} {text}"

    def pairs(self) -> list[tuple[str, str]]:
        """``NAME=value`` pairs of an ENV or ARG step (ARG without a value left out)."""
        inst = Instruction(self.keyword, self.text, 0, 0)
        if self.keyword == "ENV":
            return list(env_pairs(inst).items())
        return [(k, v) for k, v in arg_pairs(inst).items() if v is not None]


def steps(config: ImageConfig) -> list[Step]:
    return [parse_step(i, h.created_by, h.empty_layer)
            for i, h in enumerate(config.history, 1)]


def _build_args(text: str) -> tuple[tuple[str, ...], str]:
    """Split ``|2 A=1 B=2 rest`` into the build args and the rest."""
    match = _BUILD_ARGS.match(text)
    if not match:
        return (), text
    words = text[match.end():].split(" ")
    count = int(match.group(1))
    return tuple(words[:count]), " ".join(words[count:])


def parse_step(number: int, created_by: str, empty_layer: bool = False) -> Step:
    text = created_by.strip()
    if text.endswith("# buildkit"):
        text = text[:-len("# buildkit")].rstrip()
    build_args, text = _build_args(text)
    shell = _SHELL_PREFIX.match(text)
    if shell:
        rest = text[shell.end():]
        if rest.startswith("#(nop)"):
            keyword, _, args = rest[len("#(nop)"):].strip().partition(" ")
            return Step(number, keyword.upper(), args.strip(), empty_layer, build_args)
        return Step(number, "RUN", rest, empty_layer, build_args)
    keyword, _, args = text.partition(" ")
    if keyword.upper() in KNOWN and keyword.isupper():
        if keyword == "RUN":  # BuildKit: "RUN [|N A=1 ...] /bin/sh -c script"
            run_args, script = _build_args(args.strip())
            script = _SHELL_PREFIX.sub("", script, count=1)
            return Step(number, "RUN", script, empty_layer, run_args)
        return Step(number, keyword, args.strip(), empty_layer, build_args)
    return Step(number, "RUN", text, empty_layer, build_args)  # exec-form RUN argv
