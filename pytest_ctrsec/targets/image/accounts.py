"""Accounts of an image: ``/etc/passwd``, ``/etc/group`` and ``/etc/shadow`` as captured bytes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    """One line of a colon-separated account file (passwd, group or shadow)."""

    name: str
    password: str
    id: int | None  # uid (passwd), gid (group); None for shadow or a non-numeric field
    line: int


def parse(data: bytes | None) -> tuple[Account, ...]:
    """Lines of ``name:password:id:...``; comments, blanks and NIS ``+``/``-`` lines skipped."""
    if not data:
        return ()
    out: list[Account] = []
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not raw.strip() or raw.startswith(("#", "+", "-")):
            continue
        fields = raw.split(":")
        ident = fields[2].strip() if len(fields) > 2 else ""
        out.append(Account(fields[0], fields[1] if len(fields) > 1 else "", _id(ident),
                           number))
    return tuple(out)


def _id(text: str) -> int | None:
    """A numeric id; ``None`` for anything libc would not read as one (``²`` is a digit to
    ``str.isdigit``, and a 5,000-digit number is more than ``int()`` converts)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def uid_of(passwd: tuple[Account, ...], name: str) -> int | None:
    """The uid of ``name`` in the passwd accounts (the first line wins, as in libc)."""
    for account in passwd:
        if account.name == name:
            return account.id
    return None


def name_to_id(accounts: tuple[Account, ...]) -> dict[str, int]:
    """``{name: id}``, first line winning."""
    out: dict[str, int] = {}
    for account in accounts:
        if account.id is not None:
            out.setdefault(account.name, account.id)
    return out
