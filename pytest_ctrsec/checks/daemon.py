"""Docker daemon checks (CIS Docker Benchmark sections 2, 3 and 4.5) over the daemon model.

What the engine reports about itself (``docker info``, ``docker version``, the default bridge
network) is used first: it is the effective state and is visible for a remote daemon too.
Settings only the host can show (dockerd flags, daemon.json) come from
:meth:`Daemon.setting`, which makes the check a skip with the reason when they are not visible.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import check
from ..errors import CannotEvaluate
from ..findings import Finding, Location
from ..targets.daemon.model import Daemon, FileStat

_MODEL = "daemon"
# The engine always treats loopback registries as insecure; only what the user added counts.
_LOOPBACK_REGISTRIES = frozenset({"127.0.0.0/8", "::1/128"})
_LOCAL_LOG_DRIVERS = frozenset({"json-file", "local", "none"})
_NOT_TCP_SCHEMES = ("unix://", "fd://", "npipe://", "ssh://")


@check("daemon.icc-disabled", title="Inter-container traffic on the default bridge is restricted",
       severity="medium", model=_MODEL, refs=("CIS 2.2",),
       remediation='set "icc": false in daemon.json (or --icc=false) and use user-defined networks')
def icc_disabled(daemon: Daemon) -> Iterator[Finding]:
    if daemon.default_bridge is not None:
        options = daemon.default_bridge.get("Options") or {}
        if options.get("com.docker.network.bridge.enable_icc", "true") != "false":
            yield Finding("containers on the default bridge network can reach each other "
                          "(enable_icc is true)", daemon.config_location("icc"))
        return
    if daemon.networks_listed:
        return  # no default bridge (--bridge=none): icc has no network to apply to
    icc = daemon.setting("icc", True)
    if icc.value is not False:
        yield Finding(f"inter-container communication is enabled ({icc})", icc.location)


@check("daemon.log-level-info", title="The daemon logs at level info", severity="low",
       model=_MODEL, refs=("CIS 2.3",),
       remediation='remove the log-level setting or set "log-level": "info"; turn debug off')
def log_level_info(daemon: Daemon) -> Iterator[Finding]:
    if daemon.info.get("Debug"):
        yield Finding("debug mode is on (docker info reports Debug: true)",
                      daemon.config_location("debug"))
        return
    level = daemon.setting("log-level", "info")
    if str(level.value).lower() != "info":
        yield Finding(f"log level is {level.value!r}, not 'info' ({level})", level.location)


@check("daemon.iptables-enabled", title="Docker may manage iptables", severity="medium",
       model=_MODEL, refs=("CIS 2.4",),
       remediation='remove "iptables": false from daemon.json (or --iptables=false)')
def iptables_enabled(daemon: Daemon) -> Iterator[Finding]:
    iptables = daemon.setting("iptables", True)
    if iptables.value is False:
        yield Finding(f"iptables management is turned off ({iptables})", iptables.location)


@check("daemon.no-insecure-registries", title="No insecure registries are configured",
       severity="high", model=_MODEL, refs=("CIS 2.5",),
       remediation='remove every entry of "insecure-registries" (or --insecure-registry) and '
                   "give the registries TLS certificates")
def no_insecure_registries(daemon: Daemon) -> Iterator[Finding]:
    registry = daemon.info.get("RegistryConfig")
    where = daemon.config_location("insecure-registries")
    if registry is None:
        listed = daemon.setting("insecure-registries", []).value or []
    else:
        cidrs = registry.get("InsecureRegistryCIDRs") or ()
        indexes = registry.get("IndexConfigs") or {}
        listed = [c for c in cidrs if c not in _LOOPBACK_REGISTRIES]
        listed += [name for name, idx in indexes.items() if not idx.get("Secure", True)]
    for entry in listed:
        yield Finding(f"insecure registry {entry} (pulled and pushed without TLS verification)",
                      where)


@check("daemon.tls-on-tcp", title="A daemon listening on TCP requires TLS client verification",
       severity="critical", model=_MODEL, refs=("CIS 2.7",),
       remediation="listen on the unix socket only, or set tlsverify with tlscacert, tlscert "
                   "and tlskey so only clients with a trusted certificate connect")
def tls_on_tcp(daemon: Daemon) -> Iterator[Finding]:
    over_tcp = daemon.endpoint.startswith(("tcp://", "http://", "https://"))
    if over_tcp and not daemon.endpoint_tls:
        yield Finding(f"the engine answered these checks over plain TCP at {daemon.endpoint}, "
                      "without TLS")
        return
    if over_tcp and not daemon.local:
        raise CannotEvaluate(f"the engine answered over TLS at {daemon.endpoint}; whether it "
                             "also verifies client certificates (tlsverify) shows only on its "
                             "host")
    hosts = daemon.setting("hosts", [])
    tcp = [h for h in hosts.value or () if not h.startswith(_NOT_TCP_SCHEMES)]
    if not tcp or daemon.setting("tlsverify", False).value is True:
        return
    tls = daemon.setting("tls", False).value is True
    how = "with TLS but without client verification (tlsverify)" if tls else "without TLS"
    yield Finding(f"the daemon listens on {', '.join(tcp)} {how} ({hosts})", hosts.location)


@check("daemon.userns-remap", title="User namespace remapping is enabled", severity="medium",
       model=_MODEL, refs=("CIS 2.9",),
       remediation='set "userns-remap": "default" (or a user) in daemon.json')
def userns_remap(daemon: Daemon) -> Iterator[Finding]:
    if daemon.has_security_option("userns") or daemon.has_security_option("rootless"):
        return
    yield Finding("containers' root is the host's root: no user namespace remapping "
                  "(docker info SecurityOptions has no name=userns)",
                  daemon.config_location("userns-remap"))


@check("daemon.authorization-plugin", title="An authorization plugin checks client requests",
       severity="low", model=_MODEL, refs=("CIS 2.12",),
       remediation='install an authorization plugin and list it in "authorization-plugins"')
def authorization_plugin(daemon: Daemon) -> Iterator[Finding]:
    plugins = (daemon.info.get("Plugins") or {}).get("Authorization") or ()
    if not plugins:
        yield Finding("no authorization plugin: every client of the socket is a full "
                      "administrator")


@check("daemon.remote-logging", title="Container logs go to a central log service",
       severity="low", model=_MODEL, refs=("CIS 2.13",),
       remediation='set "log-driver" to a forwarding driver (syslog, journald, fluentd, gelf, '
                   "awslogs, splunk ...) with its log-opts")
def remote_logging(daemon: Daemon) -> Iterator[Finding]:
    driver = daemon.info.get("LoggingDriver") or "json-file"
    if driver in _LOCAL_LOG_DRIVERS:
        yield Finding(f"default logging driver is {driver!r}: logs stay on this host",
                      daemon.config_location("log-driver"))


@check("daemon.no-new-privileges-default", title="Containers cannot gain new privileges by "
       "default", severity="medium", model=_MODEL, refs=("CIS 2.14",),
       remediation='set "no-new-privileges": true in daemon.json (or --no-new-privileges)')
def no_new_privileges_default(daemon: Daemon) -> Iterator[Finding]:
    nnp = daemon.setting("no-new-privileges", False)
    if nnp.value is not True:
        yield Finding(f"no-new-privileges is not the daemon default ({nnp})", nnp.location)


@check("daemon.live-restore", title="Live restore is enabled", severity="low", model=_MODEL,
       refs=("CIS 2.15",), remediation='set "live-restore": true in daemon.json')
def live_restore(daemon: Daemon) -> Iterator[Finding]:
    swarm = (daemon.info.get("Swarm") or {}).get("LocalNodeState", "inactive")
    if swarm not in ("inactive", ""):
        raise CannotEvaluate(f"swarm mode is {swarm}, and live restore cannot be used with it")
    if not daemon.info.get("LiveRestoreEnabled"):
        yield Finding("live restore is off: stopping the daemon stops every container",
                      daemon.config_location("live-restore"))


@check("daemon.userland-proxy-disabled", title="The userland proxy is disabled",
       severity="low", model=_MODEL, refs=("CIS 2.16",),
       remediation='set "userland-proxy": false in daemon.json')
def userland_proxy_disabled(daemon: Daemon) -> Iterator[Finding]:
    proxy = daemon.setting("userland-proxy", True)
    if proxy.value is not False:
        yield Finding(f"the userland proxy is enabled ({proxy})", proxy.location)


@check("daemon.no-experimental", title="Experimental features are off", severity="low",
       model=_MODEL, refs=("CIS 2.18",),
       remediation='remove "experimental": true from daemon.json (or --experimental)')
def no_experimental(daemon: Daemon) -> Iterator[Finding]:
    server_experimental = str(daemon.version.get("Experimental", "")).lower() == "true"
    if daemon.info.get("ExperimentalBuild") or server_experimental:
        yield Finding("experimental features are enabled", daemon.config_location("experimental"))


@check("daemon.content-trust", title="Docker content trust is enabled", severity="medium",
       model=_MODEL, refs=("CIS 4.5",),
       remediation="export DOCKER_CONTENT_TRUST=1 in the environment of docker clients")
def content_trust(daemon: Daemon) -> Iterator[Finding]:
    value = daemon.content_trust
    if value != "1":
        shown = "unset" if value is None else f"{value!r}"
        yield Finding(f"DOCKER_CONTENT_TRUST is {shown}, not 1, in this environment")


@check("daemon.socket-permissions", title="The daemon socket is owned by root and not "
       "world-accessible", severity="high", model=_MODEL, refs=("CIS 3.15", "CIS 3.16"),
       remediation="chown root:docker and chmod 660 the socket (dockerd --group sets the group)")
def socket_permissions(daemon: Daemon) -> Iterator[Finding]:
    _not_rootless(daemon, "its socket belongs to the user running it")
    if not daemon.sockets:
        raise CannotEvaluate(daemon.sockets_reason)
    try:
        group = str(daemon.setting("group", "docker").value)
    except CannotEvaluate:
        group = "docker"
    for sock in daemon.sockets:
        yield from _ownership(sock, {"root", group}, 0o660)


@check("daemon.config-file-permissions", title="daemon.json is owned by root and not writable "
       "by others", severity="medium", model=_MODEL, refs=("CIS 3.17", "CIS 3.18"),
       remediation="chown root:root and chmod 644 (or stricter) daemon.json")
def config_file_permissions(daemon: Daemon) -> Iterator[Finding]:
    _not_rootless(daemon, "its daemon.json belongs to the user running it")
    if daemon.config_stat is None:
        raise CannotEvaluate(f"no daemon.json to look at: {daemon.config_reason}")
    yield from _ownership(daemon.config_stat, {"root"}, 0o644)


def _not_rootless(daemon: Daemon, why: str) -> None:
    if daemon.has_security_option("rootless"):
        raise CannotEvaluate(f"the daemon is rootless: {why}")


def _ownership(st: FileStat, groups: set[str], max_mode: int) -> Iterator[Finding]:
    where = Location(st.path)
    if st.uid != 0:
        yield Finding(f"{st} is owned by {st.user}, not root", where)
    if st.gid != 0 and st.group not in groups:
        yield Finding(f"{st} belongs to group {st.group}, not {' or '.join(sorted(groups))}",
                      where)
    if st.mode & ~max_mode:
        yield Finding(f"{st} has mode {st.mode:04o}, more than {max_mode:04o}", where)
