"""Rules on objects other than workloads: ConfigMaps, Services and Ingresses."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any

from ...detect.secrets import SecretHit, is_credential_name, scan_pair, scan_value
from ...findings import Finding, mask
from ...targets.kube.model import KubeObject, as_list, as_map
from .base import k8s_check

# "name = value", "name: value", "\"name\": \"value\"" lines inside a config file value
_ASSIGNMENT = re.compile(r"""^\s*["']?([A-Za-z_][\w.-]*)["']?\s*[=:]\s*["']?(.*?)["']?,?\s*$""")
# "name value" directives (redis.conf's requirepass, masterauth; Fluent Bit's HTTP_Passwd)
_DIRECTIVE = re.compile(r"""^\s*([A-Za-z_][\w.-]*)\s+["']?([^\s"';]+)["']?;?\s*$""")
_DIRECTIVE_NAMES = frozenset({"requirepass", "masterauth"})
# Directive names ending in these are not read as credential names: nginx's proxy_pass,
# fastcgi_pass, uwsgi_pass... forward requests, they hold no password.
_DIRECTIVE_LAST_ONLY = ("pass", "pwd", "salt", "dsn")
_PLAIN_WORD = re.compile(r"[A-Za-z][a-z]+")
# Helm-style settings that name a Secret object or a key inside it (existingSecret,
# auth.existingSecretPasswordKey, secretKeys.adminPasswordKey): the value is a name.
_SECRET_OBJECT_NAME = re.compile(r"existingsecret|passw(?:or)?dkey$")
# htpasswd lines (user:hash): hashes to crack offline, which nginx and Apache read from a Secret
_HTPASSWD = re.compile(r"^\s*([^:\s#]+):(\$apr1\$\S+|\$2[aby]\$\S+|\$[156]\$\S+|\{SHA\}\S+)\s*$")
# SQL in init scripts: CREATE USER ... PASSWORD 'x', IDENTIFIED BY 'x'
_SQL_PASSWORD = re.compile(r"(?i)\b(?:PASSWORD|IDENTIFIED\s+BY)\s+'([^']+)'")


def _config_hits(key: str, value: str) -> list[SecretHit]:
    """A ConfigMap entry: the pair itself, then the file it holds: JSON documents, and
    assignment, directive and SQL password lines. ``${VAR}`` is read as a reference (envsubst,
    Spring and most config templating)."""
    hits = _scan(key, value)
    if hits:
        return hits
    hits = _json_hits(key, value)
    for line in value.splitlines():
        hits += _line_hits(key, line)
    return hits


def _line_hits(key: str, line: str) -> list[SecretHit]:
    match = _HTPASSWD.match(line)
    if match:
        return [SecretHit("password-hash", f"{key}: {match.group(1)}",
                          "an htpasswd password hash", mask(match.group(2)))]
    match = _ASSIGNMENT.match(line)
    if match and match.group(2):
        return _scan(match.group(1), match.group(2), key=f"{key}: {match.group(1)}")
    match = _DIRECTIVE.match(line)
    if match and _credential_directive(match.group(1), match.group(2)):
        return scan_pair("PASSWORD", match.group(2), syntax="compose",
                         key=f"{key}: {match.group(1)}")
    return [hit for sql in _SQL_PASSWORD.finditer(line)
            for hit in scan_pair("PASSWORD", sql.group(1), syntax="compose",
                                 key=f"{key}: SQL PASSWORD")]


def _credential_directive(name: str, value: str) -> bool:
    """A ``name value`` directive whose name says the value is a credential: redis's
    requirepass and masterauth, or a credential name that does not end in a word that
    also means forwarding (nginx's ``proxy_pass``). A bare word followed by a plain word
    is text ("Password expired" in a message file), not a setting."""
    lowered = name.lower()
    if lowered in _DIRECTIVE_NAMES:
        return True
    if not is_credential_name(name) or lowered.endswith(_DIRECTIVE_LAST_ONLY):
        return False
    return bool(re.search(r"[_.-]", name)) or not _PLAIN_WORD.fullmatch(value)


def _scan(name: str, value: str, key: str | None = None) -> list[SecretHit]:
    """``scan_pair`` for a setting of a config file, except settings that name a Secret
    object or a key in it rather than hold the credential."""
    if _SECRET_OBJECT_NAME.search(re.sub(r"[_.-]", "", name.lower())):
        return [hit for hit in scan_pair(name, value, syntax="compose", key=key)
                if hit.detector != "credential-name"]
    return scan_pair(name, value, syntax="compose", key=key)


def _json_hits(key: str, value: str) -> list[SecretHit]:
    """Credential-named fields of a JSON document held in one entry (``config.json``)."""
    text = value.strip()
    if not text.startswith(("{", "[")):
        return []
    try:
        document = json.loads(text)
    except ValueError:
        return []
    hits: list[SecretHit] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for name, item in node.items():
                if isinstance(item, str):
                    hits += _scan(str(name), item, key=f"{key}: {path}{name}")
                else:
                    stack.append((f"{path}{name}.", item))
        elif isinstance(node, list):
            stack.extend((path, item) for item in node)
    return hits


@k8s_check("k8s.secrets-not-in-configmaps", title="ConfigMaps hold no credentials",
           severity="high", kinds={"ConfigMap"}, refs=("C-0012",),
           remediation="move credentials into a Secret (or an external secret store) and "
                       "keep only non-secret settings in ConfigMaps")
def secrets_not_in_configmaps(obj: KubeObject) -> Iterator[Finding]:
    data = as_map(obj.raw.get("data")) or {}
    for key, value in data.items():
        if isinstance(value, str):
            for hit in _config_hits(str(key), value):
                yield Finding(f"data {hit.summary}", obj.locate("data", key))
    binary = as_map(obj.raw.get("binaryData")) or {}
    for key, value in binary.items():
        try:
            text = base64.b64decode(str(value), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        for hit in scan_value(text, str(key), syntax=None):
            yield Finding(f"binaryData {hit.summary}", obj.locate("binaryData", key))


@k8s_check("k8s.no-nodeport-services", title="No NodePort Services (LoadBalancer noted)",
           severity="low", kinds={"Service"}, refs=("C-0256", "C-0021"),
           remediation="expose Services through an Ingress or Gateway; use ClusterIP")
def no_nodeport_services(obj: KubeObject) -> Iterator[Finding]:
    svc_type = (as_map(obj.raw.get("spec")) or {}).get("type")
    where = obj.locate("spec", "type")
    if svc_type == "NodePort":
        yield Finding(f"Service {obj.name} is of type NodePort: it opens a port on every node",
                      where)
    elif svc_type == "LoadBalancer":
        yield Finding(f"Service {obj.name} is of type LoadBalancer: {_exposure(obj)}", where,
                      severity="info")


# Annotations that make a cloud load balancer internal (AWS, GCP, Azure, OCI, Alibaba)
_INTERNAL_LB = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "service.beta.kubernetes.io/oci-load-balancer-internal": "true",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet",
}  # values in lower case: annotations are compared case-insensitively


def _exposure(obj: KubeObject) -> str:
    """Who can reach a LoadBalancer Service, as far as the manifest says."""
    for key, wanted in _INTERNAL_LB.items():
        if str(obj.annotations.get(key, "")).strip().lower() == wanted:
            return f"an internal load balancer ({key}), reachable from the cloud network"
    ranges = as_list((as_map(obj.raw.get("spec")) or {}).get("loadBalancerSourceRanges"))
    if ranges:
        return f"it is exposed outside the cluster to {', '.join(str(r) for r in ranges[:4])}"
    return "it is exposed outside the cluster"


def _host_covered(host: str, tls_hosts: list[str]) -> bool:
    for name in tls_hosts:
        if name == host:
            return True
        if name.startswith("*.") and host.count(".") == name.count(".") and host.endswith(
                name[1:]):
            return True
    return False


@k8s_check("k8s.ingress-tls", title="Ingresses serve TLS", severity="medium",
           kinds={"networking.k8s.io/Ingress", "extensions/Ingress"}, refs=("C-0263",),
           remediation="add spec.tls with a certificate Secret covering every host of the rules")
def ingress_tls(obj: KubeObject) -> Iterator[Finding]:
    spec = as_map(obj.raw.get("spec")) or {}
    tls = [t for t in as_list(spec.get("tls")) if isinstance(t, dict)]
    if not tls:
        yield Finding(f"Ingress {obj.name} has no spec.tls: it serves plain HTTP",
                      obj.locate("spec"))
        return
    if any(not t.get("hosts") for t in tls):
        return  # an entry without hosts is the controller's default certificate for all
    tls_hosts = [str(h) for t in tls for h in as_list(t.get("hosts"))]
    for i, rule in enumerate(as_list(spec.get("rules"))):
        host = rule.get("host") if isinstance(rule, dict) else None
        if host and not _host_covered(str(host), tls_hosts):
            yield Finding(f"Ingress {obj.name} serves host {host} without TLS (not in "
                          "spec.tls hosts)", obj.locate("spec", "rules", i, "host"))
