"""Workload practices Pod Security Standards leave out: read-only root filesystems, resources,
probes, image pinning, literal secrets in env, service-account tokens, and namespaces.

Thresholds (documented here and in the check metadata):

- ``k8s.resources-limited``: every init and regular container has a memory limit and a CPU
  request (a CPU limit too with the option ``require_cpu_limit``). A limit also serves as the
  request (the API server copies it), a LimitRange of the namespace with a container
  ``default`` / ``defaultRequest`` fills what the manifest leaves out, and pod-level
  ``spec.resources`` (Kubernetes 1.32+) bound every container of the pod. A quantity of zero
  is no limit.
- ``k8s.probes-defined``: long-running workloads (not Jobs, CronJobs, PodTemplates, or Pods
  with ``restartPolicy`` Never/OnFailure) need a readiness and a liveness probe on every
  regular container and on every sidecar (an init container with ``restartPolicy: Always``).
- ``k8s.image-pinned``: a digest always passes; no tag or a moving tag (``latest``,
  ``stable``...) fails; a fixed tag without a digest needs ``imagePullPolicy: Always``
  (option ``require_pull_always``), since a tag can be pushed again. The default pull policy
  is ``Always`` for no tag or ``latest``, ``IfNotPresent`` otherwise, as in Kubernetes.
- ``k8s.service-account-token-not-automounted``: the pod spec, or else its ServiceAccount,
  sets ``automountServiceAccountToken: false``; a pod whose own ServiceAccount (not
  ``default``) is granted RBAC permissions in the input talks to the API, so it needs its
  token and passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...detect.secrets import scan_env
from ...errors import CannotEvaluate
from ...findings import Finding
from ...runsettings.imageref import parse_image_ref
from ...targets.kube.model import Container, KubeObject, as_list, as_map
from .base import k8s_check

_LONG_RUNNING_EXCLUDED = frozenset({"Job", "CronJob", "PodTemplate"})


def _containers(obj: KubeObject, *fields: str) -> Iterator[Container]:
    assert obj.pod is not None
    return obj.pod.of(*fields)


@k8s_check("k8s.read-only-rootfs", title="Containers have a read-only root filesystem",
           severity="low", refs=("CKV_K8S_22", "C-0017"),
           remediation="set securityContext.readOnlyRootFilesystem: true and mount an emptyDir "
                       "where the application must write")
def read_only_rootfs(obj: KubeObject) -> Iterator[Finding]:
    assert obj.pod is not None
    if (as_map(obj.pod.spec.get("os")) or {}).get("name") == "windows":
        # The API server refuses readOnlyRootFilesystem in a pod with spec.os.name windows
        # (Windows containers need a writable layer): there is nothing to set.
        raise CannotEvaluate("a Windows pod (spec.os.name: windows) cannot set "
                             "readOnlyRootFilesystem: the API server refuses it")
    for c in _containers(obj):
        value = (c.security_context or {}).get("readOnlyRootFilesystem")
        if value is not True:
            where = c.sc_path("readOnlyRootFilesystem") if c.security_context else c.path
            why = _not_true("securityContext.readOnlyRootFilesystem", value)
            yield Finding(f"{c.describe} {why}", obj.locate(*where))


def _not_true(field: str, value: Any) -> str:
    """Why a boolean field is not ``true``: unset, false, or text the API server refuses
    (``"true"`` quoted by a chart's ``| quote``)."""
    if isinstance(value, str):
        return (f"sets {field} to the string {value[:20]!r}, which the API server refuses for a "
                "boolean: write true without quotes")
    return f"does not set {field}: true"


# --- resources -------------------------------------------------------------------------


def _quantity_zero(value: Any) -> bool:
    """A quantity written as zero (``0``, ``0m``, ``0Mi``...): no limit at all."""
    return value is not None and value != "" and not _quantity_set(value)


def _quantity_set(value: Any) -> bool:
    """A resource quantity that is written and not zero (``0``, ``0m``, ``0Mi``...)."""
    if value is None or value == "":
        return False
    text = str(value).strip()
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    try:
        return float(digits) != 0
    except ValueError:
        return True  # malformed: the API server would refuse it, not a missing value


def _limit_range_defaults(obj: KubeObject) -> dict[str, set[str]]:
    """What the namespace's LimitRanges fill in for containers: ``{"limits": {...},
    "requests": {...}}`` resource names."""
    filled: dict[str, set[str]] = {"limits": set(), "requests": set()}
    if obj.corpus is None:
        return filled
    for lr in obj.corpus.objects_of("LimitRange", obj.namespace):
        for item in as_list((as_map(lr.raw.get("spec")) or {}).get("limits")):
            if not isinstance(item, dict) or item.get("type") != "Container":
                continue
            default = as_map(item.get("default")) or {}
            request = as_map(item.get("defaultRequest")) or {}
            filled["limits"].update(k for k, v in default.items() if _quantity_set(v))
            # defaultRequest falls back to default, as the LimitRange admission does
            filled["requests"].update(k for k, v in {**default, **request}.items()
                                      if _quantity_set(v))
    return filled


def _bounds(resources: Any) -> dict[str, Mapping[str, Any]]:
    """The ``limits`` and ``requests`` of a resources block; a limit also serves as the
    request (the API server copies it)."""
    block = as_map(resources) or {}
    limits = as_map(block.get("limits")) or {}
    return {"limits": limits, "requests": {**limits, **(as_map(block.get("requests")) or {})}}


@k8s_check("k8s.resources-limited", title="Containers have a memory limit and a CPU request",
           severity="medium", refs=("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13",
                                    "C-0004", "C-0050"),
           remediation="set resources.limits.memory and resources.requests.cpu on every "
                       "container (or a LimitRange default for the namespace)",
           options={"require_cpu_limit": False})
def resources_limited(obj: KubeObject, require_cpu_limit: bool = False) -> Iterator[Finding]:
    defaults = _limit_range_defaults(obj)
    assert obj.pod is not None
    pods = _bounds(obj.pod.spec.get("resources"))  # pod-level resources bound every container
    wanted = [("limits", "memory", "memory limit"), ("requests", "cpu", "CPU request")]
    if require_cpu_limit:
        wanted.append(("limits", "cpu", "CPU limit"))
    for c in _containers(obj, "initContainers", "containers"):
        resources = as_map(c.data.get("resources")) or {}
        own = _bounds(resources)
        missing = []
        for kind, name, words in wanted:
            value = own[kind].get(name)
            if _quantity_set(value) or _quantity_set(pods[kind].get(name)) or (
                    name in defaults[kind]):
                continue
            missing.append(f"{words} of 0" if _quantity_zero(value) else f"no {words}")
        if missing:
            where = (*c.path, "resources") if resources else c.path
            yield Finding(f"{c.describe} has {' and '.join(missing)}", obj.locate(*where))


# --- probes ----------------------------------------------------------------------------


def _not_long_running(obj: KubeObject) -> str | None:
    if obj.kind in _LONG_RUNNING_EXCLUDED:
        return f"a {obj.kind} is not long-running"
    assert obj.pod is not None
    if obj.kind == "Pod" and obj.pod.spec.get("restartPolicy") in ("Never", "OnFailure"):
        return f"Pod {obj.name} runs to completion (restartPolicy {obj.pod.spec['restartPolicy']})"
    return None


@k8s_check("k8s.probes-defined", title="Long-running containers have readiness and liveness "
           "probes", severity="low", why_not=_not_long_running,
           refs=("CKV_K8S_8", "CKV_K8S_9", "C-0056", "C-0018"),
           remediation="add readinessProbe and livenessProbe to every container of the workload")
def probes_defined(obj: KubeObject) -> Iterator[Finding]:
    for c in _containers(obj, "initContainers", "containers"):
        if c.field == "initContainers" and c.data.get("restartPolicy") != "Always":
            continue  # a plain init container runs to completion
        missing = [p for p in ("readinessProbe", "livenessProbe") if not c.data.get(p)]
        if missing:
            yield Finding(f"{c.describe} has no {' and no '.join(missing)}", obj.locate(*c.path))


# --- images ----------------------------------------------------------------------------


@k8s_check("k8s.image-pinned", title="Images are pinned (digest, or fixed tag pulled Always)",
           severity="medium", refs=("CKV_K8S_14", "CKV_K8S_15", "CKV_K8S_43", "C-0075"),
           remediation="reference images by digest (app@sha256:...), or by a version tag with "
                       "imagePullPolicy: Always",
           options={"require_pull_always": True})
def image_pinned(obj: KubeObject, require_pull_always: bool = True) -> Iterator[Finding]:
    for c in _containers(obj):
        image = c.data.get("image")
        if not isinstance(image, str) or not image.strip():
            yield Finding(f"{c.describe} names no image", obj.locate(*c.path))
            continue
        ref = parse_image_ref(image)
        where = obj.locate(*c.path, "image")
        if ref.digest_pinned:
            continue
        if ref.moving:
            tag = f"the moving tag {ref.tag!r}" if ref.tag else "no tag (implied latest)"
            yield Finding(f"{c.describe} runs image {image} with {tag}", where)
            continue
        policy = c.data.get("imagePullPolicy") or "IfNotPresent"
        if require_pull_always and policy != "Always":
            yield Finding(f"{c.describe} runs image {image} by tag only with imagePullPolicy "
                          f"{policy}: a tag pushed again is not pulled; pin a digest or pull "
                          "Always", obj.locate(*c.path, "imagePullPolicy")
                          if c.data.get("imagePullPolicy") else where)


# --- secrets in env --------------------------------------------------------------------


# ${NAME} is not expanded by Kubernetes but by the application or its entrypoint (Spring,
# envsubst, shells): a reference, not a literal. $(NAME) is Kubernetes' own.
_BRACED_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


@k8s_check("k8s.no-secrets-in-env", title="No literal credentials in container env",
           severity="high", refs=("CKV_K8S_35", "C-0012"),
           remediation="move the value into a Secret and reference it with "
                       "valueFrom.secretKeyRef or a mounted file")
def no_secrets_in_env(obj: KubeObject) -> Iterator[Finding]:
    for c in _containers(obj):
        for i, env in enumerate(as_list(c.data.get("env"))):
            if not isinstance(env, dict) or not isinstance(env.get("value"), (str, int, float)):
                continue
            name = str(env.get("name", ""))
            value = _BRACED_REF.sub(r"$(\1)", str(env["value"]))
            for hit in scan_env(name, value, syntax="k8s"):
                yield Finding(f"{c.describe}: env {hit.summary}",
                              obj.locate(*c.path, "env", i, "value"))


# --- service accounts ------------------------------------------------------------------


def _service_account_name(spec: Mapping[str, Any]) -> str:
    # serviceAccount is the deprecated spelling; serviceAccountName wins when both are set
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


@k8s_check("k8s.service-account-token-not-automounted", title="Service-account tokens are not "
           "mounted unless needed", severity="medium", refs=("CKV_K8S_38", "C-0034"),
           remediation="set automountServiceAccountToken: false on the pod spec (or on its "
                       "ServiceAccount) and mount a projected token only where the API is used")
def token_not_automounted(obj: KubeObject) -> Iterator[Finding]:
    assert obj.pod is not None
    spec = obj.pod.spec
    value = spec.get("automountServiceAccountToken")
    if value is False:
        return
    if isinstance(value, str):
        yield Finding(f"the pod spec sets automountServiceAccountToken to the string "
                      f"{value[:20]!r}, which the API server refuses for a boolean: write false "
                      "without quotes",
                      obj.locate(*obj.pod.spec_path, "automountServiceAccountToken"))
        return
    name = _service_account_name(spec)
    if _token_needed(obj, name):
        return
    if value is True:
        yield Finding(f"the pod spec sets automountServiceAccountToken: true, and its "
                      f"ServiceAccount {name} is granted no RBAC permission in the input",
                      obj.locate(*obj.pod.spec_path, "automountServiceAccountToken"))
        return
    account = obj.corpus.service_account(obj.namespace, name) if obj.corpus else None
    if account is not None and account.raw.get("automountServiceAccountToken") is False:
        return
    if account is None and obj.corpus is not None and obj.corpus.forbidden("ServiceAccount"):
        raise CannotEvaluate(f"ServiceAccount {name} could not be read: "
                             f"{obj.corpus.forbidden('ServiceAccount')}")
    why = ("does not set it to false" if account is not None else
           "is the namespace's own, which mounts it unless told otherwise" if name == "default"
           else "is not in the input" if obj.corpus is None or not obj.corpus.live else
           "does not exist")
    yield Finding(f"the pod spec does not set automountServiceAccountToken: false and its "
                  f"ServiceAccount {name} {why}, so the token is mounted",
                  obj.locate(*obj.pod.spec_path))


def _token_needed(obj: KubeObject, account: str) -> bool:
    """Whether a (Cluster)RoleBinding of the input grants the pod's ServiceAccount anything:
    such a pod calls the API with its token. A manifest without a namespace goes where it is
    applied; Helm renders that namespace ``default`` in subjects when none is given. Every pod
    that names no account runs as ``default``, so a grant to it says nothing of this pod."""
    corpus = obj.corpus
    if corpus is None or account == "default":
        return False
    bound = corpus.bound_subjects()
    return any(("ServiceAccount", ns, account) in bound
               or ("User", "", f"system:serviceaccount:{ns}:{account}") in bound
               for ns in ((obj.namespace,) if obj.namespace else ("", "default")))


@k8s_check("k8s.no-default-service-account", title="Workloads use their own service account",
           severity="low", refs=("CKV_K8S_41", "C-0189"),
           remediation="create a ServiceAccount for the workload and set serviceAccountName")
def no_default_service_account(obj: KubeObject) -> Iterator[Finding]:
    assert obj.pod is not None
    spec = obj.pod.spec
    if _service_account_name(spec) == "default":
        key = "serviceAccountName" if "serviceAccountName" in spec else "serviceAccount"
        written = key in spec
        yield Finding("the pod runs as the namespace's default service account" +
                      ("" if written else " (serviceAccountName is not set)"),
                      obj.locate(*obj.pod.spec_path, *((key,) if written else ())))


@k8s_check("k8s.no-default-namespace", title="Workloads are not in the default namespace",
           severity="low", refs=("CKV_K8S_21", "C-0061"),
           remediation="deploy the workload into its own namespace")
def no_default_namespace(obj: KubeObject) -> Iterator[Finding]:
    if obj.namespace == "default":
        yield Finding(f"{obj.kind} {obj.name} is in the default namespace",
                      obj.locate("metadata", "namespace"))
