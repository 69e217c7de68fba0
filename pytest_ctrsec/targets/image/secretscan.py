"""Secret-shaped file content, recognised while a layer streams by (nothing is stored).

Only unambiguous shapes count: PEM/OpenSSH private key blocks, PuTTY keys, PGP private key
blocks and AWS access key ids next to a secret key. A public certificate is not a secret.
Configuration files that may hold credentials (``.env``, Django's ``settings.py``, Rails'
``database.yml`` ...) are also read for credential-named keys given a literal value, so such
a file is judged by what it holds rather than by its name.
"""

from __future__ import annotations

import re

from ...detect.secrets import scan_pair

_PRIVATE_KEY = re.compile(
    rb"-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |ED25519 )?PRIVATE KEY-----")
_PGP_PRIVATE = b"-----BEGIN PGP PRIVATE KEY BLOCK-----"
_PUTTY = re.compile(rb"^PuTTY-User-Key-File-\d+:", re.M)
_AWS_ID = re.compile(rb"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Z0-9])")
_AWS_SECRET = re.compile(rb"(?i)aws_secret_access_key\s*[=:]\s*[\"']?[A-Za-z0-9/+]{40}")


_HINTS = re.compile(rb"PRIVATE KEY|PuTTY-User-Key-File|AKIA|ASIA|ws_secret")

# Files whose credentials are key/value lines: dotenv files (``.env``, ``.env.production``,
# ``app.env``), and the framework configuration files known to carry them.
_DOTENV = re.compile(r"\.env(?:\.[\w.-]+)?|[\w.-]+\.env")
CONFIG_FILES = frozenset({"settings.py", "database.yml", "secret_token.rb", "carrierwave.rb",
                          "omniauth.rb"})
# Templates of dotenv files hold placeholders, not credentials.
_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".tpl")
# ``KEY = value``, ``KEY: value``, ``export KEY=value``, ``'KEY': 'value',`` (a dict entry).
_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+)?(?P<q>['"]?)(?P<key>[A-Za-z_][\w.-]*)(?P=q)\s*[:=]\s*(?P<value>.*)$""")
_QUOTED = re.compile(r"""(?P<q>['"])(?P<text>.*?)(?P=q)""")
_CODE = ("<%", "{{", "ENV[", "ENV.fetch", "environ", "getenv", "config(", "env(", "$(")


def holds_key_values(name: str) -> bool:
    """Whether a file of this base name is read for credential assignments."""
    if name.endswith(_TEMPLATE_SUFFIXES):
        return False
    return name in CONFIG_FILES or bool(_DOTENV.fullmatch(name))


def _literal(value: str, quoted_only: bool) -> str | None:
    """The literal a value line assigns, or ``None`` for code, references and blanks."""
    text = value.strip().rstrip(",;").strip()
    if not text or any(mark in text for mark in _CODE):
        return None
    quoted = _QUOTED.match(text)
    if quoted:
        return quoted.group("text")
    if quoted_only:
        return None  # unquoted in Python or Ruby is an expression, not a literal
    return text.split(" #", 1)[0].strip()


def credential_lines(data: bytes, name: str) -> bool:
    """Whether a key/value file assigns a literal to a credential-named key."""
    quoted_only = name.endswith((".py", ".rb"))
    for line in data.decode("utf-8", "replace").splitlines():
        match = _ASSIGNMENT.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        literal = _literal(match.group("value"), quoted_only)
        if literal is not None and scan_pair(match.group("key"), literal, syntax="compose"):
            return True
    return False


def scan_content(data: bytes, name: str = "") -> tuple[str, ...]:
    """Kinds of secret found in ``data`` (a file named ``name``): ``private-key``,
    ``pgp-private-key``, ``aws-credentials``, ``credential-assignment``; empty when none."""
    hits: list[str] = []
    if _HINTS.search(data):
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
    if name and holds_key_values(name) and credential_lines(data, name):
        hits.append("credential-assignment")
    return tuple(dict.fromkeys(hits))
