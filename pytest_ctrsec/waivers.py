"""Waivers: accepted failures, each with a reason and optionally an expiry date.

A waiver file (``--ctrsec-waivers``, YAML)::

    waivers:
      - check: compose.no-privileged      # check id or glob (required)
        target: "compose:*#admin"         # glob on the target name (default: every target)
        reason: admin is privileged by design and runs only with --profile debug   # required
        expires: 2027-03-31               # optional; after that day the failure counts again
        run: false                        # optional: do not even run the check there

Kubernetes objects can carry the same thing as annotations (``ctrsec.io/waive.<id>``, see
:func:`from_annotations`). A waived failure is reported as waived with its reason; a failure
whose only waiver has expired fails and says so; ``--ctrsec-strict`` ignores every waiver.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, ParseError
from .limits import MiB, TooLarge, read_capped

if TYPE_CHECKING:
    from .targets.kube.yamldocs import YamlDoc

ANNOTATION_PREFIX = "ctrsec.io/waive."
_UNTIL = re.compile(r"\s*\buntil=(\d{4}-\d{2}-\d{2})\b\s*")
_KEYS = {"check", "target", "reason", "expires", "run"}
MAX_BYTES = 16 * MiB  # a waiver file of thousands of entries is well below a megabyte


@dataclass(frozen=True)
class Waiver:
    """One accepted failure; ``source`` says where it was written (file:line)."""

    check: str
    reason: str
    target: str = "*"
    expires: dt.date | None = None
    run: bool = True
    source: str = ""

    def matches(self, check_id: str, target_name: str) -> bool:
        return fnmatchcase(check_id, self.check) and fnmatchcase(target_name, self.target)

    def expired(self, today: dt.date | None = None) -> bool:
        return self.expires is not None and (today or dt.date.today()) > self.expires

    def to_json(self, today: dt.date | None = None) -> dict[str, Any]:
        return {"reason": self.reason, "source": self.source,
                "expires": self.expires.isoformat() if self.expires else None,
                "expired": self.expired(today)}


def load_file(path: str) -> tuple[Waiver, ...]:
    """Read and validate a waiver file; every problem is a :class:`ConfigError` line.

    The YAML is read by the event reader of the manifests (no recursion, so any nesting
    depth and alias bombs are refused with a line instead of a crash or a hang)."""
    from .targets.kube.yamldocs import (
        read_documents,  # only runs with a waiver file pay it
    )

    try:
        raw = read_capped(path, MAX_BYTES)
    except OSError as err:
        raise ConfigError(f"--ctrsec-waivers: {path}: {err.strerror or err}") from None
    except TooLarge as err:
        raise ConfigError(f"--ctrsec-waivers: {path}: {err}; not a waiver file") from None
    try:
        docs = list(read_documents(raw, path))
    except ParseError as err:
        raise ConfigError(str(err)) from None
    if len(docs) > 1:
        raise ConfigError(f"{path}:{docs[1].line}: expected one YAML document")
    if not docs:
        return ()
    return tuple(_waiver(item, f"{path}:{line}") for item, line in _entries(docs[0], path))


def _entries(doc: YamlDoc, path: str) -> list[tuple[Any, int]]:
    """Each waiver with the line it starts on."""
    from .targets.kube.yamldocs import key_line

    root = doc.data
    prefix: tuple[str, ...] = ()
    if isinstance(root, dict):
        if list(root) != ["waivers"]:
            raise ConfigError(f"{path}:{doc.line}: expected a list of waivers or a mapping "
                              "with the one key 'waivers'")
        root, prefix = root["waivers"], ("waivers",)
    if root is None:
        return []
    if not isinstance(root, list):
        raise ConfigError(f"{path}:{key_line(doc, prefix)}: expected a list of waivers")
    return [(item, key_line(doc, (*prefix, i))) for i, item in enumerate(root)]


def _waiver(data: Any, where: str) -> Waiver:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a waiver is a mapping with check and reason")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown waiver key(s) {', '.join(sorted(map(str, unknown)))}; "
                          f"known: {', '.join(sorted(_KEYS))}")
    check, reason = data.get("check"), data.get("reason")
    if not isinstance(check, str) or not check.strip():
        raise ConfigError(f"{where}: waiver has no check (an id or glob)")
    if not isinstance(reason, (str, type(None))):
        # a number or a date read as YAML: say so rather than "has no reason"
        raise ConfigError(f"{where}: waiver for {check}: reason must be text; quote it")
    if reason is None or not reason.strip():
        raise ConfigError(f"{where}: waiver for {check} has no reason; a reason is required")
    target = data.get("target", "*")
    if not isinstance(target, str):
        raise ConfigError(f"{where}: waiver target must be a string glob")
    run = data.get("run", True)
    if not isinstance(run, bool):
        raise ConfigError(f"{where}: waiver 'run' must be true or false")
    return Waiver(check.strip(), reason.strip(), target, _date(data.get("expires"), where),
                  run, where)


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    # a scalar is shown; a list or mapping only named (an aliased one may be huge)
    scalar = isinstance(value, (str, int, float))
    shown = repr(value)[:40] if scalar else f"a {type(value).__name__}"
    try:
        return dt.date.fromisoformat(value if isinstance(value, str) else "")
    except ValueError:
        raise ConfigError(f"{where}: expires must be a date YYYY-MM-DD, got {shown}") from None


def from_annotations(annotations: Mapping[str, str], target_name: str,
                     source: str) -> tuple[Waiver, ...]:
    """Waivers written on a Kubernetes object: ``ctrsec.io/waive.<check-id>: "<reason>
    [until=YYYY-MM-DD]"``. An empty reason or a bad date is a :class:`ConfigError`."""
    out = []
    for key, value in annotations.items():
        if not key.startswith(ANNOTATION_PREFIX):
            continue
        check = key[len(ANNOTATION_PREFIX):]
        text = str(value)
        until = _UNTIL.search(text)
        reason = _UNTIL.sub(" ", text).strip()
        if not reason:
            raise ConfigError(f"{source}: annotation {key} has no reason; a reason is required")
        expires = _date(until.group(1), f"{source}: annotation {key}") if until else None
        out.append(Waiver(check, reason, target_name, expires, True, f"{source} ({key})"))
    return tuple(out)


@dataclass(frozen=True)
class WaiverSet:
    """The waivers in force for a run (empty under ``--ctrsec-strict``)."""

    waivers: tuple[Waiver, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.waivers)

    def find(self, check_id: str, target_name: str,
             extra: Sequence[Waiver] = ()) -> Waiver | None:
        """The waiver for this result: an unexpired one first, else an expired one (so the
        failure can say its waiver expired)."""
        matching = [w for w in (*extra, *self.waivers) if w.matches(check_id, target_name)]
        live = [w for w in matching if not w.expired()]
        return (live or matching or [None])[0]

    def skips(self, check_id: str, target_name: str, extra: Sequence[Waiver] = ()) -> Waiver | None:
        """An unexpired ``run: false`` waiver: the check is not run on that target."""
        found = self.find(check_id, target_name, extra)
        return found if found and not found.run and not found.expired() else None


def unmatched(waivers: Iterable[Waiver], used_sources: Iterable[str]) -> list[Waiver]:
    """Waivers that applied to no result: candidates for removal."""
    used = set(used_sources)
    return [w for w in waivers if w.source not in used]

