"""Dockerfile variable substitution (``$X``, ``${X}``, ``${X:-d}``, ``${X-d}``, ``${X:+a}``,
``${X+a}``, ``\\$`` escapes), as BuildKit applies it to FROM, USER and the like."""

from __future__ import annotations

import re
from collections.abc import Mapping

_VAR = re.compile(r"\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}"
                  r"|\$([A-Za-z_][A-Za-z0-9_]*)")


class _Unset(Exception):
    pass


def expand(text: str, values: Mapping[str, str | None], unset: str | None = None) -> str | None:
    """``text`` with variables replaced from ``values`` (a ``None`` value is declared but
    has no value); ``None`` when a variable it needs has no value and no default, unless
    ``unset`` is given: then such a variable becomes ``unset``.

    >>> expand("${REG:-docker.io}/app:$TAG", {"TAG": "1.2"})
    'docker.io/app:1.2'
    >>> expand("app:$TAG", {}) is None
    True
    >>> expand("app:${TAG}-alpine", {}, unset="?")
    'app:?-alpine'
    """

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "\\$":
            return "$"
        name = match.group(1) or match.group(4)
        op, word = match.group(2), match.group(3) or ""
        value = values.get(name)
        is_set = value is not None
        if op == ":-":
            return value if value else word
        if op == "-":
            return value if is_set else word  # type: ignore[return-value]
        if op == ":+":
            return word if value else ""
        if op == "+":
            return word if is_set else ""
        if value is None:
            if unset is not None:
                return unset
            raise _Unset(name)
        return value

    try:
        return _VAR.sub(sub, text)
    except _Unset:
        return None
