"""Parsing of the unit-bearing values Docker and Compose accept (sizes, CPUs, counts).

Each parser returns ``None`` for "no limit" spellings and raises :class:`ValueError` with a
short reason for anything Docker itself would refuse, so the caller can name the input.
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(?:i?b)?\s*", re.IGNORECASE)
_FACTORS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_bytes(value: object) -> int | None:
    """Bytes from ``512m``, ``1.5g``, ``2GiB``, ``1024`` (binary units, as Docker's
    ``RAMInBytes``); ``None`` for unset, ``0`` or ``-1`` (no limit).

    >>> parse_bytes("512m"), parse_bytes(1024), parse_bytes("-1"), parse_bytes("1.5GB")
    (536870912, 1024, None, 1610612736)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = int(value)
    else:
        text = str(value).strip()
        if text in ("", "-1", "0"):
            return None
        match = _SIZE.fullmatch(text)
        if not match:
            raise ValueError(f"{value!r} is not a size (e.g. 512m, 2g)")
        number = int(float(match.group(1)) * _FACTORS[match.group(2).lower()])
    return number if number > 0 else None


def parse_cpus(value: object) -> float | None:
    """CPUs from ``0.5``, ``"1.5"``; ``None`` for unset or ``0``.

    >>> parse_cpus("0.25"), parse_cpus(0), parse_cpus(None)
    (0.25, None, None)
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number of CPUs (e.g. 0.5)") from None
    return number if number > 0 else None


def parse_int(value: object, what: str = "an integer") -> int | None:
    """An integer from ``100`` or ``"100"``; ``None`` for unset.

    >>> parse_int("100"), parse_int(None)
    (100, None)
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not {what}") from None


def parse_bool(value: object) -> bool:
    """YAML 1.1 and Compose truthy spellings; anything else is false.

    >>> parse_bool("true"), parse_bool("yes"), parse_bool(False), parse_bool(None)
    (True, True, False, False)
    """
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "y", "on", "1") if value is not None \
        else False
