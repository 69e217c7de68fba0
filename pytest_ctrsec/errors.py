"""The one exception hierarchy of pytest-ctrsec.

Every error a user can see derives from :class:`CtrsecError`, and its ``str()`` is a single
line that names the input and the problem, so the plugin can show it without a traceback.

- :class:`InputError`: a file or stream that cannot be read as what it claims to be
  (:class:`ParseError` for syntax, :class:`SchemaError` for structure,
  :class:`InterpolationError` for Compose variables).
- :class:`TargetUnavailable`: a target that exists elsewhere but cannot be reached now
  (no Docker engine, unknown image, unreachable cluster).
- :class:`CannotEvaluate`: a check that cannot judge a target (it becomes a skip with the reason).
- :class:`ConfigError`: a bad option, ini value, waiver or profile (a ``pytest.UsageError``).
  :class:`NotFound` (also a ``LookupError``): a user test asked a model for something it does
  not hold (a Compose service, a Dockerfile stage, a Kubernetes object); it names what there is.
"""

from __future__ import annotations

import re

# C0 controls and DEL, except tab: a hostile name must not move the cursor or recolour the
# terminal, and a parser's multi-line message must stay one line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def one_line(text: str) -> str:
    """``text`` fit for one terminal line: line breaks (with the indentation after them)
    become one space, other control characters ``\\xNN``, and bytes that were not UTF-8
    (decoded with ``surrogateescape``, as file names are) ``\\xNN`` too.

    >>> print(one_line("bad\\n  in line 3\\x1b[31m \\udcff"))
    bad in line 3\\x1b[31m \\xff
    """
    text = re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", text)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate outside the surrogateescape range
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class CtrsecError(Exception):
    """Base class: ``str(err)`` is one line fit for a terminal (see :func:`one_line`)."""

    def __str__(self) -> str:
        return one_line(super().__str__())


class InputError(CtrsecError):
    """Input that cannot be read; carries the path and, where known, the line (1-based)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line:
            where = f"{where}:{self.line}"
        return one_line(f"{where}: {self.message}")


class ParseError(InputError):
    """Invalid YAML, JSON, Dockerfile or archive syntax."""


class SchemaError(InputError):
    """Well-formed input with the wrong structure (unknown key, wrong type or shape)."""


class InterpolationError(InputError):
    """A Compose variable that is required but unset, or a malformed ``${...}``."""


class TargetUnavailable(CtrsecError):
    """The target cannot be reached: no engine, unknown image or container, no cluster."""


class CannotEvaluate(CtrsecError):
    """A check cannot judge this target; the test is skipped with this reason."""


class ConfigError(CtrsecError):
    """A bad option, ini value, waiver file or profile."""


class NotFound(ConfigError, LookupError):
    """A user test looked up something the target does not have; the message names the
    candidates. A :class:`ConfigError` (so older ``except ConfigError`` still works) and a
    ``LookupError``.

    >>> raise NotFound("compose.yaml: no active service 'api' (active: web, db)")
    Traceback (most recent call last):
    pytest_ctrsec.errors.NotFound: compose.yaml: no active service 'api' (active: web, db)
    """
