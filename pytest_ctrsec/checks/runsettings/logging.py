"""Container logs: kept, not sent in clear over the network, and rotated."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from ...findings import Finding
from ...runsettings.model import RunSettings
from ._register import runsettings_check, spell, who

DOCKER_DEFAULT_DRIVER = "json-file"
_NO_LIMIT = ("", "-1", "0")


def log_driver(s: RunSettings) -> str | None:
    """The driver in effect: the setting's own, else the daemon's (containers)."""
    if s.logging_driver:
        return s.logging_driver.strip().lower()
    if s.daemon is not None and s.daemon.log_driver:
        return s.daemon.log_driver.strip().lower()
    return None


def log_options(s: RunSettings) -> Mapping[str, str]:
    """Options in effect: the daemon's ``log-opts`` apply unless the setting names a
    driver of its own that differs from the daemon's."""
    daemon = s.daemon
    inherit = daemon is not None and (not s.logging_driver or
                                      s.logging_driver == daemon.log_driver)
    if not inherit or daemon is None:
        return s.logging_options
    return {**daemon.log_opts, **s.logging_options}


@runsettings_check(
    "logging-enabled", title="Logging not disabled", severity="medium", refs=("CL-0014",),
    remediation="Remove `logging.driver: none` / `--log-driver none`; use a local driver "
                "with rotation or forward logs securely.")
def logging_enabled(s: RunSettings) -> Iterator[Finding]:
    if log_driver(s) == "none":
        yield Finding(f"{who(s)} discards its logs (logging driver none); use json-file or "
                      f"local with rotation, or a secure forwarding driver",
                      s.locate("logging_driver"))


@functools.lru_cache(maxsize=1024)
def _local_endpoint(address: str, default_scheme: str = "tcp") -> bool:
    """Whether a driver address stays on the host: a unix socket or a loopback address."""
    text = address.strip()
    if "://" not in text:
        text = f"{default_scheme}://{text}"
    parts = urlsplit(text)
    if parts.scheme.startswith("unix"):
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _forwarding_problem(driver: str, opts: Mapping[str, str]) -> str | None:
    """Why this driver configuration sends logs unencrypted over the network, or None."""
    if driver == "syslog":
        address = opts.get("syslog-address", "")
        if not address or address.startswith("tcp+tls://") or _local_endpoint(address):
            return None
        return f"syslog-address {address} is neither tcp+tls:// nor a unix socket"
    if driver == "splunk":
        url = opts.get("splunk-url", "")
        if opts.get("splunk-insecureskipverify", "").lower() in ("true", "1"):
            return "splunk-insecureskipverify turns off certificate checks"
        if url and not url.lower().startswith("https://") and not _local_endpoint(url):
            return f"splunk-url {url} is not https://"
        return None
    if driver in ("gelf", "fluentd"):
        key = f"{driver}-address"
        address = opts.get(key, "")
        if not address or _local_endpoint(address):
            return None
        return f"{key} {address} is not a loopback address or unix socket ({driver} does " \
               f"not encrypt)"
    for key, value in opts.items():  # plugins, e.g. loki-url
        if value.lower().startswith("http://") and not _local_endpoint(value):
            return f"{key} {value} is plain http://"
    return None


@runsettings_check(
    "logs-forwarded-securely", title="Logs not forwarded unencrypted", severity="medium",
    refs=("seed: secure log forwarding",),
    remediation="Forward over TLS (`syslog-address: tcp+tls://...`, `splunk-url: https://...`) "
                "or to a local agent on a unix socket or loopback address.")
def logs_forwarded_securely(s: RunSettings) -> Iterator[Finding]:
    driver = log_driver(s)
    if driver is None:
        return
    problem = _forwarding_problem(driver, log_options(s))
    if problem:
        yield Finding(f"{who(s)} ships logs over the network unencrypted with the {driver} "
                      f"driver: {problem}", s.locate("logging_options"))


@runsettings_check(
    "logs-rotated", title="Local logs rotated", severity="low", refs=("CIS 2.13 (intent)",),
    remediation="Set `logging.options.max-size` (and `max-file` for json-file), here or in the "
                "daemon's `log-opts`.")
def logs_rotated(s: RunSettings) -> Iterator[Finding]:
    driver = log_driver(s)
    assumed = driver is None
    driver = driver or DOCKER_DEFAULT_DRIVER
    if driver not in ("json-file", "local"):
        return
    opts = log_options(s)
    # json-file keeps one ever-growing file unless max-size is set, and keeps no history
    # beyond it unless max-file is (the catalogue asks for both); local rotates by default
    # (20m x 5) unless max-size turns it off.
    keys = ("max-size", "max-file") if driver == "json-file" else ("max-size",)
    values = {k: str(opts.get(k, "")).strip() for k in keys}
    missing = [f"{k} not set" if not v else f"{k} {v} (no limit)" for k, v in values.items()
               if v in _NO_LIMIT and (v or driver == "json-file")]
    if missing:
        which = " (Docker's default driver)" if assumed else ""
        also = " and max-file" if driver == "json-file" else ""
        yield Finding(f"{who(s)} keeps {driver}{which} logs without rotation: "
                      f"{' and '.join(missing)}; set {spell(s, 'logging.options', '--log-opt')} "
                      f"max-size (e.g. 10m){also}", s.locate("logging_options"))
