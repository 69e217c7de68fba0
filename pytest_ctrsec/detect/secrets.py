"""Credential detectors shared by every target: name heuristics and value detectors.

Two questions are asked of a ``NAME=value`` pair:

- does the *name* say the value is a credential (``DB_PASSWORD``, ``stripeApiKey``) while the
  value is a literal, not a reference such as ``${DB_PASSWORD}``?
- does the *value* itself look like a credential whatever its name (a private key block,
  a cloud or SaaS token with a recognisable prefix, ``scheme://user:password@host``)?

Names are split into words (``_``, ``-``, ``.``, camelCase) and matched word by word, so
``ACCESS_KEY`` never matches a rule about ``CC``, ``GPG_KEY`` (a public key fingerprint) is
not a credential, and ``PASSWORD_FILE`` or ``TOKEN_TTL`` (which name a path or a setting,
not the secret) are exempt. Values that are booleans, placeholders, Docker/Kubernetes secret
paths or references are not literals.

Every hit carries masked evidence (:func:`pytest_ctrsec.findings.mask`); the raw value never
leaves this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..findings import mask

__all__ = [
    "SecretHit",
    "is_credential_name",
    "literal_view",
    "scan_command",
    "scan_env",
    "scan_pair",
    "scan_value",
]

# A reference whose value is unknown here becomes this character in a literal view, so a
# detector can tell "the password is ${PW}" from "the password is hunter2".
REF = "\x00"

# --- name heuristics -------------------------------------------------------------------

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# A word holding one of these is a credential word (``DBPASSWORD``, ``HTPASSWD``).
_CONTAINS = ("PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL")
# A word ending in one of these is a credential word (``AUTHTOKEN``, ``CLIENTSECRET``).
_ENDS = ("SECRET", "SECRETS", "TOKEN", "TOKENS", "APIKEY", "APIKEYS", "ACCESSKEY",
         "SECRETKEY", "PRIVATEKEY", "AUTHKEY")
# Two consecutive words that name a credential (``API_KEY``, ``PRIVATE_KEY``).
_PAIRS = frozenset({
    ("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("SECRET", "KEY"),
    ("ENCRYPTION", "KEY"), ("CLIENT", "KEY"), ("MASTER", "KEY"), ("SIGNING", "KEY"),
    ("AUTH", "KEY"), ("ACCOUNT", "KEY"), ("LICENSE", "KEY"), ("SESSION", "KEY"),
    # Airflow's AIRFLOW__CORE__FERNET_KEY (and Fernet keys elsewhere) decrypt stored secrets
    ("FERNET", "KEY"),
})
# Credential words only as the last word (``DB_PASS``, ``SMTP_PWD``, ``SENTRY_DSN``).
_LAST_ONLY = frozenset({"PASS", "PWD", "SALT", "DSN"})
# A last word that says the value is about the secret, not the secret itself.
_QUALIFIERS = frozenset({
    "FILE", "FILES", "PATH", "DIR", "DIRECTORY", "FILENAME", "LOCATION", "MOUNT",
    "LENGTH", "LEN", "SIZE", "BITS", "TTL", "TIMEOUT", "EXPIRY", "EXPIRES", "EXPIRE",
    "EXPIRATION", "LIFETIME", "AGE", "INTERVAL", "PERIOD", "DURATION", "SECONDS", "MINUTES",
    "HOURS", "DAYS", "ENABLED", "ENABLE", "DISABLED", "DISABLE", "REQUIRED", "POLICY",
    "ALGORITHM", "ALGO", "ALG", "TYPE", "MODE", "METHOD", "HEADER", "NAME", "USER",
    "USERNAME", "URL", "URI", "ENDPOINT", "HOST", "PORT", "VERSION", "FORMAT", "PREFIX",
    "FIELD", "PARAM", "COUNT", "LIMIT", "MIN", "MAX", "ROUNDS", "ITERATIONS", "SCOPE",
    "SCOPES", "AUDIENCE", "ISSUER", "PROVIDER", "BACKEND", "STORE", "REF", "ID", "IDS",
    "HINT", "COMPLEXITY", "STRENGTH", "CHARS", "CHARSET", "REGEX", "PATTERN", "RESET",
    # settings about passwords (PostgreSQL's password_encryption, password_history)
    "ENCRYPTION", "HISTORY", "REUSE",
})
# Any of these words means the value is public or a switch (``MYSQL_RANDOM_ROOT_PASSWORD``,
# ``NEXT_PUBLIC_API_KEY``, ``PUBLIC_KEY``).
_VETO = frozenset({"ALLOW", "RANDOM", "EMPTY", "GENERATE", "SKIP", "PUBLIC", "PUBLISHABLE",
                   "PUB", "USE", "NO"})
# Names that are not credentials although a word matches (shell's working directory).
_NOT_NAMES = frozenset({"PWD", "OLDPWD"})


@functools.lru_cache(maxsize=8192)
def is_credential_name(name: str) -> bool:
    """Whether a variable, argument or key name says its value is a credential.

    >>> [is_credential_name(n) for n in ("DB_PASSWORD", "stripeApiKey", "GPG_KEY",
    ...  "PASSWORD_FILE", "ACCESS_KEY_ID", "VAULT_SECRET_ID", "MYSQL_RANDOM_ROOT_PASSWORD")]
    [True, True, False, False, False, True, False]
    """
    words = [w.upper() for w in _WORDS.findall(name)]
    if not words or name.upper() in _NOT_NAMES or _VETO.intersection(words):
        return False
    found = len(words) - 1 if words[-1] in _LAST_ONLY else -1
    for i in range(len(words) - 1, found, -1):
        if _credential_word(words, i):
            found = i
            break
    if found < 0:
        return False
    # A qualifier after the credential word names a property of it (PASSWORD_FILE,
    # JWT_SECRET_EXPIRES_IN), except a Vault-style SECRET_ID, which is a credential.
    tail = words[found + 1:]
    if tail[:1] == ["ID"] and words[found] == "SECRET":
        tail = tail[1:]
    return not _QUALIFIERS.intersection(tail)


def _credential_word(words: list[str], i: int) -> bool:
    word = words[i]
    if any(part in word for part in _CONTAINS) or word.endswith(_ENDS):
        return True
    return bool(i) and (words[i - 1], word) in _PAIRS


# --- literal views ---------------------------------------------------------------------

_COMPOSE_REF = re.compile(
    r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_K8S_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
# ``$${VAR}`` alone: Compose passes ``${VAR}`` on for the container's shell or program to
# expand, so it is a reference too (no password reads ``${NAME}``); in a command line the
# bare ``$$VAR`` is one as well (``sh -c "redis-server --requirepass $$REDIS_PASSWORD"``).
_ESCAPED_REF = re.compile(r"\$\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_ESCAPED_SHELL_REF = re.compile(r"\$\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")


def _compose_sub(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "$$":
        return "$"
    op = match.group(2)
    if op in (":-", "-", ":+", "+"):
        # A default (or alternative) is written in the file, so it is a literal.
        return match.group(3) or ""
    return REF


def _k8s_sub(match: re.Match[str]) -> str:
    return "$" if match.group(0) == "$$" else REF


def literal_view(value: str, syntax: str | None = "compose") -> str:
    """The value as far as it is written literally: references to variables become
    :data:`REF` (their value is not in the file), defaults such as ``${X:-pw}`` become their
    default, escapes ``$$`` become ``$``. ``syntax`` is ``"compose"`` (also Dockerfile
    ``ARG``/``ENV``), ``"k8s"`` (``$(VAR)``) or ``None`` for values that are already final.

    >>> literal_view("${USER}:${PW:-hunter2}@db") == REF + ":hunter2@db"
    True
    """
    if not syntax or "$" not in value:
        return value
    if syntax == "k8s":
        return _K8S_REF.sub(_k8s_sub, value)
    if _ESCAPED_REF.fullmatch(value.strip()):
        return REF
    return _COMPOSE_REF.sub(_compose_sub, value)


_BOOLEANS = frozenset({"", "true", "false", "yes", "no", "on", "off", "y", "n", "0", "1",
                       "enabled", "disabled", "none", "null", "nil", "undefined",
                       "redacted", "placeholder"})
_PLACEHOLDER = re.compile(r"<[^<>]*>|\{\{.*\}\}|(.)\1*|\*+")
_SECRET_PATHS = ("/run/secrets/", "/var/run/secrets/")
# A file path names where a credential is kept, not the credential itself
# (GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/key.json, JWT_PRIVATE_KEY=/keys/jwt.pem):
# an absolute or home-relative path of two or more parts, or to a file with an extension.
_FILE_PATH = re.compile(r"(?:~|\.{1,2})?(?:/[\w.@%+-]+){2,}/?"
                        r"|(?:~|\.{1,2})?/[\w@%+-]+\.[A-Za-z]\w{0,7}")


# A password hash in crypt or PHC form ($argon2id$..., bcrypt $2y$..., htpasswd $apr1$...,
# sha512-crypt $6$...): what a setting such as Vaultwarden's ADMIN_TOKEN or a basic-auth
# user list is meant to hold instead of the password.
_PASSWORD_HASH = re.compile(r"\$(?:argon2(?:id|i|d)|2[abxy]|apr1|[156]|y|gy|7|scrypt|"
                            r"pbkdf2(?:-sha(?:1|256|512))?)\$[A-Za-z0-9./+=,$-]{8,}")


def _is_literal_secret(view: str) -> bool:
    """Whether a literal view is a value a credential could be (not a reference, switch,
    placeholder, password hash or a path to a file that holds the secret)."""
    text = view.strip()
    if REF in text or text.lower() in _BOOLEANS or text.startswith(_SECRET_PATHS):
        return False
    return (_PLACEHOLDER.fullmatch(text) is None and _FILE_PATH.fullmatch(text) is None
            and not _password_hashes(text))


def _password_hashes(text: str) -> bool:
    """Whether ``text`` is password hashes only, each maybe after ``user:`` (an htpasswd
    line, a comma-separated basic-auth user list)."""
    if _PASSWORD_HASH.fullmatch(text):
        return True
    entries = [entry.strip() for entry in text.split(",")]
    return all(_PASSWORD_HASH.fullmatch(e if e.startswith("$") else e.partition(":")[2])
               for e in entries)


# --- value detectors -------------------------------------------------------------------

_DETECTORS: tuple[tuple[str, str, str], ...] = (
    ("private-key", "a private key block",
     r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("aws-access-key-id", "an AWS access key id",
     r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"),
    ("gcp-api-key", "a Google API key", r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"),
    ("github-token", "a GitHub token",
     r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255})"),
    ("gitlab-token", "a GitLab token", r"(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,}"),
    ("slack-token", "a Slack token", r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}"),
    ("slack-webhook", "a Slack webhook URL",
     r"https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+"),
    ("stripe-key", "a Stripe live key", r"(?<![A-Za-z0-9])(?:sk|rk)_live_[0-9A-Za-z]{20,}"),
    ("npm-token", "an npm token", r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    ("laravel-app-key", "an application encryption key (Laravel APP_KEY)",
     r"(?<![A-Za-z0-9])base64:[A-Za-z0-9+/]{43}="),
    ("url-password", "a URL with a literal password",
     r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:(?P<pw>[^\s/@]+)@"),
)
_VALUE_RE = re.compile("|".join(f"(?P<d{i}>{rx})" for i, (_, _, rx) in enumerate(_DETECTORS)))
# Cheap pre-filter: every detector needs one of these substrings.
_HINTS = re.compile("|".join(re.escape(h) for h in (
    "-----BEGIN", "AKIA", "ASIA", "ABIA", "ACCA", "AIza", "gh", "github_pat_", "glpat-", "xox",
    "hooks.slack", "_live_", "npm_", "://", "base64:")))


@dataclass(frozen=True)
class SecretHit:
    """One credential found: which detector, under which key, and masked evidence."""

    detector: str  # "credential-name", "private-key", "url-password", ...
    key: str  # the variable, argument or dotted path it was found under
    what: str  # human words: "a private key block"
    evidence: str  # masked, never the raw value

    @property
    def summary(self) -> str:
        """``DB_PASSWORD holds a literal credential (hu**********)``."""
        return f"{self.key} holds {self.what} ({self.evidence})"


def _mask_url(match: re.Match[str], pw_group: str) -> str:
    start, end = match.span(pw_group)
    text = match.string
    return text[match.start():start] + mask(text[start:end]) + "@…"


def scan_value(value: str, key: str = "", syntax: str | None = "compose") -> list[SecretHit]:
    """Value detectors only: what in ``value`` is a credential whatever its name.

    >>> [h.detector for h in scan_value("postgres://app:s3cretpw@db/app")]
    ['url-password']
    >>> scan_value("postgres://app:${PW}@db/app")
    []
    """
    if _HINTS.search(value) is None:
        return []
    view = literal_view(value, syntax)
    hits: list[SecretHit] = []
    for match in _VALUE_RE.finditer(view):
        group = match.lastgroup or "d0"  # the outer (detector) group closes last
        detector, what, _ = _DETECTORS[int(group[1:])]
        if detector == "url-password":
            if not _is_literal_secret(match.group("pw")):
                continue
            evidence = _mask_url(match, "pw")
        else:
            evidence = mask(match.group(group))
        hits.append(SecretHit(detector, key, what, evidence))
    return hits


def scan_pair(name: str, value: str | None, syntax: str | None = "compose",
              key: str | None = None) -> list[SecretHit]:
    """Name heuristics and value detectors over one ``NAME=value`` pair.

    ``syntax`` says how references are written in ``value`` (see :func:`literal_view`);
    ``key`` names the pair in hits (default ``name``).

    >>> [h.detector for h in scan_pair("DB_PASSWORD", "hunter2hunter2")]
    ['credential-name']
    >>> scan_pair("DB_PASSWORD", "${DB_PASSWORD}") + scan_pair("DB_PASSWORD_FILE", "/x")
    []
    """
    if value is None:
        return []
    where = key or name
    hits = scan_value(value, where, syntax)
    if hits or not is_credential_name(name):
        return hits
    view = literal_view(value, syntax)
    if not _is_literal_secret(view) or _dsn_without_password(name, view):
        return []
    return [SecretHit("credential-name", where, "a literal credential", mask(view.strip()))]


# A password inside a keyword connection string (libpq ``password=x``, ODBC ``PWD=x``).
_DSN_PASSWORD = re.compile(r"(?i)(?:^|[\s;])(?:password|passwd|pwd)\s*=\s*[^\s;]")


def _dsn_without_password(name: str, view: str) -> bool:
    """A DSN names where to connect; the credential it may carry is its password (a URL's is
    found by the value detectors). One without (``MAILER_DSN=smtp://mailer:1025``, a Sentry
    DSN, whose key is public by design, ``mysql:host=db;dbname=app``) is not a credential."""
    words = _WORDS.findall(name)
    return bool(words) and words[-1].upper() == "DSN" and not _DSN_PASSWORD.search(view)


_FLAG = re.compile(r"(?:^|\s)--?([A-Za-z][A-Za-z0-9_-]*)(?:=|\s+)([^\s-][^\s]*)")


def scan_command(text: str, key: str = "", syntax: str | None = "compose") -> list[SecretHit]:
    """Value detectors plus credential-named command-line flags
    (``--password hunter2``, ``--requirepass=...``) in a command line.

    >>> [h.detector for h in scan_command("redis-server --requirepass s3cr3tpass")]
    ['credential-flag']
    >>> scan_command("app --password-file /run/secrets/pw")
    []
    """
    return scan_value(text, key, syntax) + _flag_hits(text, key, syntax)


def _flag_hits(text: str, key: str, syntax: str | None) -> list[SecretHit]:
    """Credential-named flags and a MySQL client's ``-p`` password in a command line."""
    if "-" not in text:
        return []
    hits: list[SecretHit] = []
    for flag, arg in _FLAG.findall(text):
        if not (is_credential_name(flag) or flag.lower() == "requirepass"):
            continue
        written = arg.strip("'\"")
        if syntax == "compose" and _ESCAPED_SHELL_REF.fullmatch(written):
            continue
        view = literal_view(written, syntax)
        if _is_literal_secret(view):
            hits.append(SecretHit("credential-flag", key or f"--{flag}",
                                  f"a literal credential in --{flag}", mask(view)))
    return hits + _mysql_password_hits(text, key, syntax)


# MySQL and MariaDB clients take the password attached to -p (-pS3cret; -p alone prompts),
# as written in countless healthchecks and backup commands (mysqladmin ping -uroot -pxxx).
_MYSQL_CLIENT = re.compile(r"(?:^|[\s/\"'])(?:mysql(?:admin|dump|check|import|show|pump)?|"
                           r"mariadb(?:-admin|-dump|-check|-import|-show)?)(?=[\s\"']|$)")
_ATTACHED_P = re.compile(r"(?:^|\s)[\"']?-p([^\s\"']+)")


def _mysql_password_hits(text: str, key: str, syntax: str | None) -> list[SecretHit]:
    if _MYSQL_CLIENT.search(text) is None:
        return []
    hits = []
    for arg in _ATTACHED_P.findall(text):
        if syntax == "compose" and _ESCAPED_SHELL_REF.fullmatch(arg):
            continue
        if syntax != "compose" and "$" in arg:
            continue  # expanded by the shell that runs the command
        view = literal_view(arg, syntax)
        if _is_literal_secret(view):
            hits.append(SecretHit("credential-flag", key or "-p",
                                  "a literal password in -p", mask(view)))
    return hits


def scan_pairs(pairs: Iterable[tuple[str, str | None]],
               syntax: str | None = "compose") -> list[SecretHit]:
    """:func:`scan_pair` over many pairs."""
    return [hit for name, value in pairs for hit in scan_pair(name, value, syntax)]


# A Java system property in an options variable (``JAVA_OPTS=-Dspring.datasource.password=x``).
_JAVA_PROPERTY = re.compile(r"(?:^|\s)-D([A-Za-z_][\w.-]*)=(\S+)")
# One setting per line of a configuration held in a variable (GitLab's GITLAB_OMNIBUS_CONFIG,
# a properties or YAML snippet): ``name = value``, ``name: value``, ``obj['name'] = 'value'``.
_SETTING = re.compile(r"""^\s*(?P<obj>[A-Za-z_][\w.]*\[)?["']?(?P<name>[A-Za-z_][\w.-]*)["']?"""
                      r"""(?(obj)\])\s*[=:]\s*(?P<value>.*?)\s*[,;]?\s*$""")
# An unquoted value holding one of these is an expression (``ENV['DB_PASSWORD']``,
# ``File.read(...)``), not a literal.
_EXPRESSION = re.compile(r"[\s()\[\]{}]")


def _setting_literal(raw: str, quoted_only: bool) -> str | None:
    """The literal a setting line assigns, ``None`` for an expression or, in code
    (``obj['name'] = ...``), anything but a quoted string."""
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        inner = raw[1:-1]
        return None if "#{" in inner else inner  # Ruby interpolation: not a literal
    if quoted_only or _EXPRESSION.search(raw):
        return None
    return raw


def _setting_hits(key: str, line: str, syntax: str | None) -> list[SecretHit]:
    match = _SETTING.match(line)
    if not match:
        return []
    literal = _setting_literal(match.group("value"), quoted_only=bool(match.group("obj")))
    if literal is None:
        return []
    name = match.group("name")
    return scan_pair(name, literal, syntax, key=f"{key}: {name}")


def scan_env(name: str, value: str | None, syntax: str | None = "compose",
             key: str | None = None) -> list[SecretHit]:
    r"""An environment variable: the pair (:func:`scan_pair`), else what its value carries:
    a configuration of one setting per line (``GITLAB_OMNIBUS_CONFIG``), or command-line
    options and Java properties (``EXTRA_ARGS=--db-password=x``, ``JAVA_OPTS=-D...password=x``).

    >>> [h.key for h in scan_env("JAVA_OPTS", "-Xmx1g -Dspring.datasource.password=s3cretpw")]
    ['JAVA_OPTS -Dspring.datasource.password']
    >>> [h.key for h in scan_env("CFG", "url 'https://x'\napp['db_password'] = 's3cretpw'")]
    ['CFG: db_password']
    >>> scan_env("CFG", "app['db_password'] = ENV['DB_PASSWORD']\nport: 2224")
    []
    """
    hits = scan_pair(name, value, syntax, key)
    if hits or not value:
        return hits
    where = key or name
    if "\n" in value.strip():
        return [hit for line in value.splitlines() for hit in _setting_hits(where, line, syntax)]
    if "-" not in value:
        return hits
    # the value detectors have read the value already (scan_pair)
    hits = _flag_hits(value, where, syntax)
    for prop, literal in _JAVA_PROPERTY.findall(value):
        hits += scan_pair(prop, literal, syntax, key=f"{where} -D{prop}")
    return hits
