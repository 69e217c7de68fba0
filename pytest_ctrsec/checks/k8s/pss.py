"""Pod Security Standards, exactly as Pod Security Admission evaluates them.

Each of PSA's 19 checks is one bundled check ``k8s.pss-<check-id in kebab case>``, judged at
the object's level and version (:mod:`pytest_ctrsec.targets.kube.policy`). The semantics are
PSA's, not "effective values": an explicit bad value anywhere (pod or any container) fails even
when something else overrides it; a ``null`` field is the same as an absent one; init, regular
and ephemeral containers are all visited; only the pod template's metadata is read.

Versions: every check knows the minor version it starts at and the versions where its rule
changed (sysctls allowed, SELinux types, the Windows relaxation from v1.25, the
``hostUsers: false`` relaxation from v1.35). At ``restricted``, four baseline checks are
replaced by stricter ones (``capabilities_baseline``, ``hostPathVolumes``,
``seccompProfile_baseline`` and, from v1.35, ``procMount``).

Binding: a check that is not part of the object's policy (a restricted check under baseline,
a replaced baseline check under restricted, a check newer than the version, any check at
``privileged``) does not apply to that object, so the plugin binds no result for it; asked
directly it skips with that reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ...findings import Finding
from ...targets.kube.model import Container, KubeObject, PodTemplate, as_list, as_map
from ...targets.kube.policy import PssPolicy
from .base import k8s_check

Hit = tuple[str, tuple[Any, ...]]  # message, path of the offending field
Evaluate = Callable[[PodTemplate, int], Iterator[Hit]]

WINDOWS_RELAXED = 25  # v1.25: allowPrivilegeEscalation, capabilities, seccomp skip Windows pods
USERNS_RELAXED = 35  # v1.35: runAsNonRoot, runAsUser, baseline procMount skip hostUsers=false


@dataclass(frozen=True)
class Control:
    """One PSA check: its level, first version and, for restricted checks, the baseline
    check it replaces."""

    key: str  # PSA's id: "capabilities_baseline"
    level: str
    since: int
    evaluate: Evaluate
    replaces: str = ""

    @property
    def check_id(self) -> str:
        return "k8s.pss-" + kebab(self.key)


def kebab(key: str) -> str:
    """``seccompProfile_baseline`` -> ``seccomp-profile-baseline``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", key).lower().replace("_", "-")


CONTROLS: dict[str, Control] = {}


@functools.lru_cache(maxsize=4096)
def not_in_policy(key: str, policy: PssPolicy) -> str | None:
    """Why control ``key`` is not part of ``policy``, or None when it is."""
    control = CONTROLS[key]
    where = f"{policy} ({policy.origin})"
    if policy.level == "privileged":
        return f"the privileged level allows everything: {where}"
    if control.level == "restricted" and policy.level == "baseline":
        return f"a restricted-level check, the object is judged at {where}"
    if policy.minor < control.since:
        return f"not part of Pod Security Standards v1.{policy.minor} (added in " \
               f"v1.{control.since}): {where}"
    if policy.level == "restricted":
        for other in CONTROLS.values():
            if other.replaces == key and other.since <= policy.minor:
                return f"replaced by {other.check_id} at {where}"
    return None


@functools.lru_cache(maxsize=256)
def _label(policy: PssPolicy) -> str:
    return str(policy)


def active_controls(policy: PssPolicy) -> list[Control]:
    """The controls a pod is judged by under ``policy`` (for the conformance tests)."""
    return [c for c in CONTROLS.values() if not_in_policy(c.key, policy) is None]


def evaluate(obj: KubeObject, key: str) -> list[Finding]:
    """Findings of control ``key`` on an object with a pod template, at its policy."""
    assert obj.pod is not None and obj.pss is not None
    tag: dict[str, object] = {"pss": _label(obj.pss)}
    return [Finding(message, obj.locate(*path), extra=tag)
            for message, path in CONTROLS[key].evaluate(obj.pod, obj.pss.minor)]


# --- helpers ---------------------------------------------------------------------------


def _sc(container: Container) -> Mapping[str, Any]:
    return container.security_context or {}


def _pod_sc(pod: PodTemplate) -> Mapping[str, Any]:
    return pod.security_context or {}


def _windows(pod: PodTemplate) -> bool:
    return (as_map(pod.spec.get("os")) or {}).get("name") == "windows"


def _userns(pod: PodTemplate) -> bool:
    """``spec.hostUsers: false``: the pod runs in a user namespace."""
    return pod.spec.get("hostUsers") is False


def _pod_sc_path(pod: PodTemplate, *keys: str | int) -> tuple[Any, ...]:
    return (*pod.spec_path, "securityContext", *keys)


def _is_zero(value: Any) -> bool:
    return type(value) is int and value == 0


# --- baseline --------------------------------------------------------------------------


def _windows_host_process(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if (as_map(_pod_sc(pod).get("windowsOptions")) or {}).get("hostProcess") is True:
        yield ("hostProcess: pod must not set securityContext.windowsOptions.hostProcess=true",
               _pod_sc_path(pod, "windowsOptions", "hostProcess"))
    for c in pod.containers:
        if (as_map(_sc(c).get("windowsOptions")) or {}).get("hostProcess") is True:
            yield (f"hostProcess: {c.describe} must not set "
                   "securityContext.windowsOptions.hostProcess=true",
                   c.sc_path("windowsOptions", "hostProcess"))


def _host_namespaces(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(key) is True:
            yield f"host namespaces: {key}=true", (*pod.spec_path, key)


def _privileged(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    for c in pod.containers:
        if _sc(c).get("privileged") is True:
            yield (f"privileged: {c.describe} must not set securityContext.privileged=true",
                   c.sc_path("privileged"))


BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})


def _capabilities_baseline(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    for c in pod.containers:
        caps = as_map(_sc(c).get("capabilities"))
        if caps is None:
            continue
        extra = sorted({str(a) for a in as_list(caps.get("add"))} - BASELINE_CAPABILITIES)
        if extra:
            yield (f"non-default capabilities: {c.describe} must not include "
                   f"{_quoted(extra)} in securityContext.capabilities.add",
                   c.sc_path("capabilities", "add"))


def _host_path_volumes(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    for i, vol in enumerate(as_list(pod.spec.get("volumes"))):
        if isinstance(vol, dict) and vol.get("hostPath") is not None:
            yield (f'hostPath volumes: volume "{vol.get("name", i)}" uses hostPath',
                   (*pod.spec_path, "volumes", i, "hostPath"))


def _host_ports(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    # The API server sets a Pod's unset hostPorts to the containerPort when hostNetwork is
    # true (for Pods; no longer for workload templates since Kubernetes 1.28).
    defaulted = pod.path == () and pod.spec.get("hostNetwork") is True
    for c in pod.containers:
        for i, port in enumerate(as_list(c.data.get("ports"))):
            if not isinstance(port, dict):
                continue
            if port.get("hostPort") not in (None, 0):
                yield (f"hostPort: {c.describe} uses hostPort {port['hostPort']}",
                       (*c.path, "ports", i, "hostPort"))
            elif defaulted and c.field != "ephemeralContainers" and port.get("containerPort"):
                yield (f"hostPort: {c.describe} uses hostPort {port['containerPort']} (with "
                       "hostNetwork=true the hostPort is the containerPort)",
                       (*c.path, "ports", i, "containerPort"))


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("postStart", "preStop")


def _host_probes(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    for c in pod.containers:
        handlers: list[tuple[tuple[str, ...], Mapping[str, Any] | None]] = [
            ((probe,), as_map(c.data.get(probe))) for probe in _PROBES]
        lifecycle = as_map(c.data.get("lifecycle")) or {}
        handlers += [(("lifecycle", h), as_map(lifecycle.get(h))) for h in _HANDLERS]
        for where, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = (as_map((handler or {}).get(action)) or {}).get("host")
                if host not in (None, ""):
                    yield (f'probe or lifecycle host: {c.describe} uses host "{host}" in '
                           f"{'.'.join(where)}.{action}", (*c.path, *where, action, "host"))


_APPARMOR_TYPES = ("RuntimeDefault", "Localhost")
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _app_armor(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    profile = as_map(_pod_sc(pod).get("appArmorProfile"))
    if profile is not None and profile.get("type") not in _APPARMOR_TYPES:
        yield (f"forbidden AppArmor profile: pod must not set appArmorProfile.type to "
               f'"{profile.get("type") or ""}"', _pod_sc_path(pod, "appArmorProfile"))
    for c in pod.containers:
        profile = as_map(_sc(c).get("appArmorProfile"))
        if profile is not None and profile.get("type") not in _APPARMOR_TYPES:
            yield (f"forbidden AppArmor profile: {c.describe} must not set "
                   f'appArmorProfile.type to "{profile.get("type") or ""}"',
                   c.sc_path("appArmorProfile"))
    for key, value in sorted(pod.annotations.items(), key=lambda kv: str(kv[0])):
        text = "" if value is None else str(value)
        if str(key).startswith(_APPARMOR_ANNOTATION) and not (
                text in ("", "runtime/default") or text.startswith("localhost/")):
            yield (f'forbidden AppArmor profile: annotation {key}="{text}"',
                   (*pod.metadata_path, "annotations", key))


_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31 = _SELINUX_TYPES | {"container_engine_t"}


def _se_linux(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    allowed = _SELINUX_TYPES_1_31 if minor >= 31 else _SELINUX_TYPES
    setters = [("pod", as_map(_pod_sc(pod).get("seLinuxOptions")),
                _pod_sc_path(pod, "seLinuxOptions"))]
    setters += [(c.describe, as_map(_sc(c).get("seLinuxOptions")), c.sc_path("seLinuxOptions"))
                for c in pod.containers]
    for who, opts, path in setters:
        if opts is None:
            continue
        bad = []
        se_type = opts.get("type") or ""
        if se_type not in allowed:
            bad.append(f'type "{se_type}"')
        bad += [f"{key} may not be set" for key in ("user", "role") if opts.get(key)]
        if bad:
            yield f"seLinuxOptions: {who} sets forbidden seLinuxOptions: {'; '.join(bad)}", path


def _proc_mount_hits(pod: PodTemplate) -> Iterator[Hit]:
    for c in pod.containers:
        mount = _sc(c).get("procMount")
        if mount is not None and mount != "Default":
            yield (f'procMount: {c.describe} must not set securityContext.procMount to "{mount}"',
                   c.sc_path("procMount"))


def _proc_mount(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if minor >= USERNS_RELAXED and _userns(pod):
        return iter(())
    return _proc_mount_hits(pod)


def _proc_mount_restricted(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    return _proc_mount_hits(pod)


_SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
_SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


def _seccomp_annotation_ok(value: Any) -> bool:
    text = "" if value is None else str(value)
    return text in ("runtime/default", "docker/default") or text.startswith("localhost/")


def _seccomp_baseline(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if minor < 19:
        yield from _seccomp_annotations(pod)
        return
    yield from _seccomp_explicit(pod)


def _seccomp_annotations(pod: PodTemplate) -> Iterator[Hit]:
    keys = [_SECCOMP_POD_ANNOTATION]
    keys += [_SECCOMP_CONTAINER_ANNOTATION + c.name for c in pod.containers]
    for key in keys:
        if key in pod.annotations and not _seccomp_annotation_ok(pod.annotations[key]):
            yield (f'seccompProfile: forbidden annotation {key}="{pod.annotations[key]}"',
                   (*pod.metadata_path, "annotations", key))


def _seccomp_explicit(pod: PodTemplate) -> Iterator[Hit]:
    """Seccomp types set to something other than RuntimeDefault or Localhost."""
    profile = as_map(_pod_sc(pod).get("seccompProfile"))
    if profile is not None and profile.get("type") not in _SECCOMP_TYPES:
        yield (f'seccompProfile: pod must not set securityContext.seccompProfile.type to '
               f'"{profile.get("type") or ""}"', _pod_sc_path(pod, "seccompProfile"))
    for c in pod.containers:
        profile = as_map(_sc(c).get("seccompProfile"))
        if profile is not None and profile.get("type") not in _SECCOMP_TYPES:
            yield (f"seccompProfile: {c.describe} must not set securityContext.seccompProfile"
                   f'.type to "{profile.get("type") or ""}"', c.sc_path("seccompProfile"))


_SYSCTLS = {
    0: frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                  "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                  "net.ipv4.ip_unprivileged_port_start"}),
    27: frozenset({"net.ipv4.ip_local_reserved_ports"}),
    29: frozenset({"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                   "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}),
    32: frozenset({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}),
    37: frozenset({"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}),
}


def allowed_sysctls(minor: int) -> frozenset[str]:
    return frozenset().union(*(names for since, names in _SYSCTLS.items() if since <= minor))


def _sysctls(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    allowed = allowed_sysctls(minor)
    for i, sysctl in enumerate(as_list(_pod_sc(pod).get("sysctls"))):
        name = sysctl.get("name") if isinstance(sysctl, dict) else None
        if name not in allowed:
            yield (f"forbidden sysctls: {name}", _pod_sc_path(pod, "sysctls", i))


# --- restricted ------------------------------------------------------------------------

ALLOWED_VOLUME_SOURCES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                          "persistentVolumeClaim", "projected", "secret")
RESTRICTED_VOLUME_SOURCES = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
    "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile",
    "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
    "scaleIO", "storageos")


def _restricted_volumes(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    for i, vol in enumerate(as_list(pod.spec.get("volumes"))):
        vol = vol if isinstance(vol, dict) else {}
        if any(vol.get(src) is not None for src in ALLOWED_VOLUME_SOURCES):
            continue
        kind = next((src for src in RESTRICTED_VOLUME_SOURCES if vol.get(src) is not None), "")
        if not kind:
            continue  # no source at all: the API server makes it an emptyDir
        yield (f'restricted volume types: volume "{vol.get("name", i)}" uses restricted volume '
               f'type "{kind}"', (*pod.spec_path, "volumes", i))


def _allow_privilege_escalation(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if minor >= WINDOWS_RELAXED and _windows(pod):
        return
    for c in pod.containers:
        if _sc(c).get("allowPrivilegeEscalation") is not False:
            path = c.sc_path("allowPrivilegeEscalation") if c.security_context else c.path
            yield (f"allowPrivilegeEscalation != false: {c.describe} must set "
                   "securityContext.allowPrivilegeEscalation=false", path)


def _run_as_non_root(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if minor >= USERNS_RELAXED and _userns(pod):
        return
    pod_value = _pod_sc(pod).get("runAsNonRoot")
    explicit: list[Hit] = []
    if pod_value is not None and pod_value is not True:
        explicit.append(("runAsNonRoot != true: pod must not set securityContext.runAsNonRoot"
                         "=false", _pod_sc_path(pod, "runAsNonRoot")))
    implicit: list[Hit] = []
    for c in pod.containers:
        value = _sc(c).get("runAsNonRoot")
        if value is not None and value is not True:
            explicit.append((f"runAsNonRoot != true: {c.describe} must not set "
                             "securityContext.runAsNonRoot=false", c.sc_path("runAsNonRoot")))
        elif value is None and pod_value is not True:
            implicit.append((f"runAsNonRoot != true: pod or {c.describe} must set "
                             "securityContext.runAsNonRoot=true", c.path))
    # Like PSA, an explicit false is reported alone: it must go before anything else helps.
    yield from explicit or implicit


def _run_as_user(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if minor >= USERNS_RELAXED and _userns(pod):
        return
    if _is_zero(_pod_sc(pod).get("runAsUser")):
        yield "runAsUser=0: pod must not set runAsUser=0", _pod_sc_path(pod, "runAsUser")
    for c in pod.containers:
        if _is_zero(_sc(c).get("runAsUser")):
            yield f"runAsUser=0: {c.describe} must not set runAsUser=0", c.sc_path("runAsUser")


def _seccomp_restricted(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if minor >= WINDOWS_RELAXED and _windows(pod):
        return
    explicit = list(_seccomp_explicit(pod))
    if explicit:
        yield from explicit
        return
    if as_map(_pod_sc(pod).get("seccompProfile")) is not None:
        return  # a valid pod-level profile covers every container that sets none
    for c in pod.containers:
        if as_map(_sc(c).get("seccompProfile")) is None:
            yield (f"seccompProfile: pod or {c.describe} must set securityContext.seccompProfile"
                   '.type to "RuntimeDefault" or "Localhost"', c.path)


def _capabilities_restricted(pod: PodTemplate, minor: int) -> Iterator[Hit]:
    if minor >= WINDOWS_RELAXED and _windows(pod):
        return
    for c in pod.containers:
        caps = as_map(_sc(c).get("capabilities"))
        if caps is None or "ALL" not in as_list(caps.get("drop")):
            path = c.sc_path("capabilities") if caps is not None else c.path
            yield (f"unrestricted capabilities: {c.describe} must set "
                   'securityContext.capabilities.drop=["ALL"]', path)
        added = sorted({str(a) for a in as_list((caps or {}).get("add"))} - {"NET_BIND_SERVICE"})
        if added:
            yield (f"unrestricted capabilities: {c.describe} must not include {_quoted(added)} "
                   "in securityContext.capabilities.add", c.sc_path("capabilities", "add"))


def _quoted(items: list[str]) -> str:
    return ", ".join(f'"{i}"' for i in items)


# --- registration ----------------------------------------------------------------------

_BASELINE = ("pss-baseline", "pss-restricted")
_RESTRICTED = ("pss-restricted",)

# key, level, since, evaluate, replaces, severity, title, PSS control name, refs, remediation
_TABLE: tuple[tuple[Any, ...], ...] = (
    ("windowsHostProcess", "baseline", 0, _windows_host_process, "", "critical",
     "no Windows HostProcess containers", "HostProcess", ("C-0202",),
     "remove securityContext.windowsOptions.hostProcess (or set it to false)"),
    ("hostNamespaces", "baseline", 0, _host_namespaces, "", "high",
     "no host network, PID or IPC namespace", "Host Namespaces",
     ("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "C-0038", "C-0041"),
     "remove hostNetwork, hostPID and hostIPC from the pod spec"),
    ("privileged", "baseline", 0, _privileged, "", "critical",
     "no privileged containers", "Privileged Containers", ("CKV_K8S_16", "C-0057"),
     "remove securityContext.privileged (or set it to false)"),
    ("capabilities_baseline", "baseline", 0, _capabilities_baseline, "", "high",
     "no capabilities added beyond the default set", "Capabilities", ("CKV_K8S_25", "C-0046"),
     "add only capabilities of the default set (NET_RAW is not one of them)"),
    ("hostPathVolumes", "baseline", 0, _host_path_volumes, "", "high",
     "no hostPath volumes", "HostPath Volumes", ("C-0048",),
     "use a persistentVolumeClaim, configMap, secret or emptyDir instead of hostPath"),
    ("hostPorts", "baseline", 0, _host_ports, "", "medium",
     "no host ports", "Host Ports", ("CKV_K8S_26", "C-0044"),
     "remove hostPort and expose the port through a Service"),
    ("hostProbesAndHostLifecycle", "baseline", 34, _host_probes, "", "medium",
     "probes and lifecycle hooks do not target another host", "Host Probes / Lifecycle Hooks",
     (), "remove the host field of httpGet and tcpSocket probes and hooks"),
    ("appArmorProfile", "baseline", 0, _app_armor, "", "medium",
     "AppArmor is not disabled", "AppArmor", (),
     "use appArmorProfile type RuntimeDefault or Localhost, never Unconfined"),
    ("seLinuxOptions", "baseline", 0, _se_linux, "", "medium",
     "no custom SELinux user, role or type", "SELinux", (),
     "drop seLinuxOptions user and role; use a container_* type"),
    ("procMount", "baseline", 0, _proc_mount, "", "medium",
     "the default /proc masks are kept", "/proc Mount Type", (),
     "remove securityContext.procMount (or set it to Default)"),
    ("seccompProfile_baseline", "baseline", 0, _seccomp_baseline, "", "high",
     "seccomp is not disabled", "Seccomp", ("C-0210",),
     "use seccompProfile type RuntimeDefault or Localhost, never Unconfined"),
    ("sysctls", "baseline", 0, _sysctls, "", "medium",
     "only safe sysctls", "Sysctls", (),
     "set only the namespaced, safe sysctls Pod Security Standards allow"),
    ("restrictedVolumes", "restricted", 0, _restricted_volumes, "hostPathVolumes", "medium",
     "only restricted volume types", "Volume Types", (),
     "use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
     "persistentVolumeClaim, projected and secret volumes"),
    ("allowPrivilegeEscalation", "restricted", 8, _allow_privilege_escalation, "", "medium",
     "privilege escalation is disallowed", "Privilege Escalation", ("CKV_K8S_20", "C-0016"),
     "set securityContext.allowPrivilegeEscalation: false on every container"),
    ("runAsNonRoot", "restricted", 0, _run_as_non_root, "", "high",
     "containers must run as non-root", "Running as Non-root", ("CKV_K8S_23", "C-0013"),
     "set securityContext.runAsNonRoot: true on the pod (and never false on a container)"),
    ("runAsUser", "restricted", 23, _run_as_user, "", "high",
     "containers do not run as UID 0", "Running as Non-root user", ("C-0013",),
     "remove runAsUser: 0, or set a non-zero UID"),
    ("seccompProfile_restricted", "restricted", 19, _seccomp_restricted,
     "seccompProfile_baseline", "medium",
     "a seccomp profile is set", "Seccomp", ("CKV_K8S_31", "C-0210"),
     "set securityContext.seccompProfile.type: RuntimeDefault on the pod"),
    ("capabilities_restricted", "restricted", 22, _capabilities_restricted,
     "capabilities_baseline", "medium",
     "all capabilities dropped, only NET_BIND_SERVICE added", "Capabilities",
     ("CKV_K8S_37", "CKV_K8S_28"),
     'set securityContext.capabilities.drop: ["ALL"] on every container'),
    ("procMount_restricted", "restricted", 35, _proc_mount_restricted, "procMount", "medium",
     "the default /proc masks are kept, also in user namespaces", "/proc Mount Type", (),
     "remove securityContext.procMount (or set it to Default)"),
)


def _register(row: tuple[Any, ...]) -> None:
    key, level, since, func, replaces, severity, title, control_name, refs, fix = row
    control = CONTROLS[key] = Control(key, level, since, func, replaces)

    def why_not(obj: KubeObject) -> str | None:
        return not_in_policy(key, obj.pss) if obj.pss is not None else "no pod template"

    def rule(obj: KubeObject) -> list[Finding]:
        return evaluate(obj, key)

    rule.__name__ = rule.__qualname__ = "pss_" + kebab(key).replace("-", "_")
    k8s_check(control.check_id, title=f"Pod Security Standards ({level}): {title}",
              severity=severity, why_not=why_not,
              refs=(f"PSS {level}: {control_name}", *refs), remediation=fix,
              profiles=_BASELINE if level == "baseline" else _RESTRICTED)(rule)


for _row in _TABLE:
    _register(_row)
