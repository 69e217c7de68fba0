"""Reading a whole file with a size cap: a device (``/dev/zero``), an endless pipe or a
file of gigabytes given where a small text file belongs must not fill the memory. Each
loader names its cap next to its code and says what it means in its error type."""

from __future__ import annotations

import os

MiB = 1 << 20


class TooLarge(Exception):
    """The file has more than ``limit`` bytes (nothing beyond ``limit + 1`` was read)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit // MiB} MiB")
        self.limit = limit


def read_capped(path: str | os.PathLike[str], limit: int) -> bytes:
    """All bytes of ``path`` if there are at most ``limit``; else :class:`TooLarge`.
    ``OSError`` passes through for the caller to word. Read in steps, so a small file
    allocates little and an endless one stops one step past the cap."""
    chunks: list[bytes] = []
    total = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(min(MiB, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TooLarge(limit)
    return b"".join(chunks)


def too_deep(err: Exception) -> bool:
    """Whether libyaml itself refused a YAML error's nesting. Newer builds (PyYAML 6.0.4) stop
    at 1,000 flow levels while scanning ahead, before a reader's own depth cap sees the depth;
    that is always past the readers' caps, so they report their own message whichever libyaml
    is installed."""
    return "maximum nesting depth" in (getattr(err, "problem", None) or "")
