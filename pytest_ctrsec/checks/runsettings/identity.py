"""Who the process runs as and what it may do: user, privileges, capabilities, security
options and the root filesystem."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

from ...errors import CannotEvaluate
from ...findings import Finding
from ...runsettings.inspect import needs_passwd
from ...runsettings.model import RunSettings
from ._register import runsettings_check, spell, who

# Docker's default capability set (moby's oci/caps defaults).
DEFAULT_CAPS = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
# Each of these alone gives code execution on the host.
CRITICAL_CAPS = frozenset({"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO"})


def normalise_cap(name: str) -> str:
    """``cap_sys_admin`` -> ``SYS_ADMIN``."""
    return name.strip().upper().removeprefix("CAP_")


def security_opts(s: RunSettings) -> list[tuple[str, str]]:
    """``security_opt`` entries as (name, value); ``name:value``, ``name=value`` and bare
    ``name`` all read the same."""
    return [_security_opt(opt) for opt in s.security_opt]


@functools.lru_cache(maxsize=1024)
def _security_opt(opt: str) -> tuple[str, str]:
    text = opt.strip()
    cut = min((i for i in (text.find(":"), text.find("=")) if i >= 0), default=-1)
    if cut < 0:
        return text.lower(), ""
    return text[:cut].strip().lower(), text[cut + 1:].strip()


def is_root_user(user: str, passwd: Mapping[str, int] | None = None) -> bool:
    """Whether a ``user[:group]`` spelling runs as uid 0; ``passwd`` maps names to uids
    (from the image) so a renamed root account is caught too.

    >>> [is_root_user(u) for u in ("", "root", "0:0", "root:staff", "1000", "app")]
    [True, True, True, True, False, False]
    """
    name = user.strip().split(":", 1)[0].strip()
    if name in ("", "root"):
        return True
    if name.isdigit():
        return int(name) == 0
    return passwd is not None and passwd.get(name) == 0


def _require_known_name(s: RunSettings, user: str, passwd: Mapping[str, int] | None) -> None:
    """A user name the image's /etc/passwd does not list has no uid: the engine refuses to
    start the container ("unable to find user"), so there is nothing to judge."""
    name = user.strip().split(":", 1)[0].strip()
    if passwd is None or not needs_passwd(name) or name in passwd or \
            not getattr(passwd, "readable", True):
        return
    raise CannotEvaluate(f"{who(s)} runs as user {name}, which is not in the /etc/passwd of "
                         f"its image {s.image.ref if s.image else ''}, so its uid is unknown "
                         f"(the engine cannot start it as that user); use a numeric UID")


@runsettings_check(
    "user-not-root", title="Process does not run as root", severity="high",
    refs=("CIS 4.1", "CL-0018", "CIS-DI-0001"),
    remediation="Run as an unprivileged user: set `user: \"1000:1000\"` in Compose or "
                "`--user 1000:1000`, or add a non-root USER to the image.")
def user_not_root(s: RunSettings) -> Iterator[Finding]:
    passwd = s.image.passwd if s.image else None
    if s.user_unset is not None:
        raise CannotEvaluate(
            f"{who(s)} sets user: {s.user_unset!r} from variables that are not set here, so "
            f"the effective user is unknown; give them (environment, .env or "
            f"--ctrsec-compose-env-file) to check it")
    if s.user is not None:
        _require_known_name(s, s.user, passwd)
        if is_root_user(s.user, passwd):
            shown = spell(s, f'user: "{s.user}"', f'user "{s.user}"')
            if s.kind == "container" and not s.user.strip():
                shown = "no user: neither --user nor a USER in its image"
            yield Finding(f"{who(s)} runs as root ({shown}); set a non-root UID such as "
                          f"1000:1000", s.locate("user"))
        return
    if s.image is None:
        raise CannotEvaluate(
            f"{who(s)} sets no user and its image {s.image_ref or '(built, no image name)'} "
            f"is not in the local engine, so the effective user is unknown")
    _require_known_name(s, s.image.user, passwd)
    if is_root_user(s.image.user, passwd):
        shown = f"USER {s.image.user}" if s.image.user else "no USER"
        yield Finding(f"{who(s)} sets no user and its image {s.image.ref} runs as root "
                      f"({shown}); set user: to a non-root UID or add USER to the image",
                      s.locate("user"))


@runsettings_check(
    "no-privileged", title="Not privileged", severity="critical", refs=("CIS 5.5", "CL-0002"),
    remediation="Remove `privileged: true` / `--privileged`; grant only the capabilities "
                "and devices the process needs.")
def no_privileged(s: RunSettings) -> Iterator[Finding]:
    if s.privileged:
        yield Finding(f"{who(s)} runs privileged "
                      f"({spell(s, 'privileged: true', '--privileged')}); remove it and add "
                      f"only the capabilities it needs", s.locate("privileged"))


@runsettings_check(
    "no-dangerous-capabilities", title="No capabilities beyond Docker's defaults",
    severity="high",
    refs=("CIS 5.4", "C.5.3.1-4", "CL-0011", "CL-0024", "CL-0027", "CL-0028", "CL-0029",
          "CL-0030"),
    remediation="Remove the capability from `cap_add` / `--cap-add`; if one is truly needed, "
                "document why and waive this check for that target.")
def no_dangerous_capabilities(s: RunSettings) -> Iterator[Finding]:
    for raw in s.cap_add:
        cap = normalise_cap(raw)
        if cap in DEFAULT_CAPS:
            continue
        yield Finding(f"{who(s)} adds capability {cap} "
                      f"({spell(s, 'cap_add', '--cap-add')}: {raw}); remove it",
                      s.locate("cap_add"), "critical" if cap in CRITICAL_CAPS else None)


def _privileged(s: RunSettings) -> str:
    return spell(s, "privileged: true", "--privileged")


@runsettings_check(
    "capabilities-dropped", title="All capabilities dropped", severity="medium",
    refs=("CL-0006",),
    remediation="Add `cap_drop: [ALL]` (`--cap-drop ALL`) and add back only what is needed.")
def capabilities_dropped(s: RunSettings) -> Iterator[Finding]:
    if s.privileged:
        # The engine grants every capability to a privileged container, cap_drop or not.
        yield Finding(f"{who(s)} keeps every capability: {_privileged(s)} grants them all "
                      f"whatever cap_drop says; remove {_privileged(s)}", s.locate("privileged"))
    elif not any(normalise_cap(c) == "ALL" for c in s.cap_drop):
        yield Finding(f"{who(s)} does not drop all capabilities; add "
                      f"{spell(s, 'cap_drop: [ALL]', '--cap-drop ALL')} and add back only "
                      f"those it needs", s.locate("cap_drop"))


def _no_new_privileges(s: RunSettings) -> bool:
    value: bool | None = None
    for name, arg in security_opts(s):
        if name == "no-new-privileges":
            value = arg.lower() in ("", "true")  # the last entry wins, as in the engine
    if value is None and s.daemon is not None:
        return s.daemon.no_new_privileges
    return bool(value)


@runsettings_check(
    "no-new-privileges", title="No new privileges", severity="medium",
    refs=("CIS 5.26", "CL-0003"),
    remediation="Add `security_opt: [\"no-new-privileges:true\"]` "
                "(`--security-opt no-new-privileges`), or set it daemon-wide.")
def no_new_privileges(s: RunSettings) -> Iterator[Finding]:
    if not _no_new_privileges(s):
        yield Finding(f"{who(s)} may gain privileges through setuid binaries; add "
                      f"{spell(s, 'security_opt: [no-new-privileges:true]', '--security-opt no-new-privileges')}",
                      s.locate("security_opt"))


@runsettings_check(
    "seccomp-enabled", title="Seccomp profile not disabled", severity="high",
    refs=("CIS 5.22", "CL-0009"),
    remediation="Remove `seccomp:unconfined` from `security_opt`; if a syscall is missing, "
                "use a custom profile that adds only it.")
def seccomp_enabled(s: RunSettings) -> Iterator[Finding]:
    written = False
    for name, arg in security_opts(s):
        if name == "seccomp" and arg.lower() == "unconfined":
            written = True
            yield Finding(f"{who(s)} disables seccomp (security_opt seccomp:unconfined); "
                          f"remove it or use a custom profile", s.locate("security_opt"))
    if s.privileged and not written:
        # The engine applies no seccomp profile to a privileged container.
        yield Finding(f"{who(s)} runs without a seccomp profile: {_privileged(s)} runs it "
                      f"unconfined; remove {_privileged(s)}", s.locate("privileged"))


# SELinux process types that run unconfined: the super-privileged container type and the
# unconfined domain (``label=type:spc_t``).
_UNCONFINED_TYPES = frozenset({"type:spc_t", "type:unconfined_t"})


@runsettings_check(
    "mac-profile-confined", title="AppArmor/SELinux confinement not disabled",
    severity="medium", refs=("CIS 5.2", "CIS 5.3", "CL-0009"),
    remediation="Remove `apparmor:unconfined` and `label:disable` from `security_opt`; keep "
                "the default AppArmor profile or SELinux labels.")
def mac_profile_confined(s: RunSettings) -> Iterator[Finding]:
    written = False  # apparmor=unconfined given by the user: reported once, as written
    for name, arg in security_opts(s):
        value = arg.lower()
        if (name, value) in (("apparmor", "unconfined"), ("label", "disable")) or \
                (name == "label" and value.replace("=", ":") in _UNCONFINED_TYPES):
            written = written or name == "apparmor"
            yield Finding(f"{who(s)} turns off mandatory access control "
                          f"({spell(s, 'security_opt', '--security-opt')} {name}:{arg}); "
                          f"remove it", s.locate("security_opt"))
    profile = s.apparmor_profile
    if s.privileged and not written:
        # Privileged containers run unconfined: AppArmor's unconfined profile, and on SELinux
        # hosts label=disable (which the engine adds by itself).
        yield Finding(f"{who(s)} runs without AppArmor or SELinux confinement: "
                      f"{_privileged(s)} runs it unconfined; remove {_privileged(s)}",
                      s.locate("privileged"))
    elif profile == "unconfined" and not written:
        yield Finding(f"{who(s)} runs without an AppArmor profile: its .AppArmorProfile is "
                      f"unconfined; recreate it with the default profile", s.location)
    elif profile == "" and s.apparmor_active:
        yield Finding(f"{who(s)} runs without an AppArmor profile although the host enforces "
                      f"AppArmor (.AppArmorProfile is empty); recreate it", s.location)


@runsettings_check(
    "read-only-rootfs", title="Root filesystem read-only", severity="low",
    refs=("CIS 5.13", "CL-0007"),
    remediation="Set `read_only: true` (`--read-only`) and mount tmpfs or volumes for the "
                "paths the process writes.")
def read_only_rootfs(s: RunSettings) -> Iterator[Finding]:
    if not s.read_only:
        yield Finding(f"{who(s)} has a writable root filesystem; set "
                      f"{spell(s, 'read_only: true', '--read-only')} and mount tmpfs for "
                      f"writable paths", s.locate("read_only"))
