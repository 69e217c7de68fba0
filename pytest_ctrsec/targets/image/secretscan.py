"""Secret-shaped file content, recognised while a layer streams by (nothing is stored).

Only unambiguous shapes count: PEM/OpenSSH private key blocks, PuTTY keys, PGP private key
blocks and AWS access key ids next to a secret key. A public certificate is not a secret.
"""

from __future__ import annotations

import re

_PRIVATE_KEY = re.compile(
    rb"-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |ED25519 )?PRIVATE KEY-----")
_PGP_PRIVATE = b"-----BEGIN PGP PRIVATE KEY BLOCK-----"
_PUTTY = re.compile(rb"^PuTTY-User-Key-File-\d+:", re.M)
_AWS_ID = re.compile(rb"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Z0-9])")
_AWS_SECRET = re.compile(rb"(?i)aws_secret_access_key\s*[=:]\s*[\"']?[A-Za-z0-9/+]{40}")


_HINTS = re.compile(rb"PRIVATE KEY|PuTTY-User-Key-File|AKIA|ASIA|ws_secret")


def scan_content(data: bytes) -> tuple[str, ...]:
    """Kinds of secret found in ``data``: ``private-key``, ``pgp-private-key``,
    ``aws-credentials``; empty when none."""
    if not _HINTS.search(data):
        return ()
    hits: list[str] = []
    if b"PRIVATE KEY" in data:
        if _PRIVATE_KEY.search(data):
            hits.append("private-key")
        if _PGP_PRIVATE in data:
            hits.append("pgp-private-key")
    if b"PuTTY-User-Key-File" in data and _PUTTY.search(data):
        hits.append("private-key")
    if (b"AKIA" in data or b"ASIA" in data or b"ws_secret" in data) and (
            _AWS_SECRET.search(data) or _AWS_ID.search(data)):
        hits.append("aws-credentials")
    return tuple(dict.fromkeys(hits))
