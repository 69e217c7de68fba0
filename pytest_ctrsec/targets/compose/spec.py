"""The structure of a Compose file (Compose Specification), written with :mod:`.shapes`.

Hand-written from the specification's reference pages and kept in step with its JSON schema
by the tests (which read that schema in place and compare verdicts on generated documents).
Strings are accepted wherever Compose accepts an interpolated value (``privileged: "${P}"``).
"""

from __future__ import annotations

from ...errors import SchemaError
from .nodes import YMap
from .shapes import ANY, Arr, Invalid, Obj, OneOf, Shape, check_shape, t

NAME = r"^[a-zA-Z0-9._-]+$"
ANY_KEY = r"^.+$"

STR = t("string")
BOOL = t("boolean")
INT = t("integer")
NUM = t("number")
BOOL_STR = t("boolean", "string")
INT_STR = t("integer", "string")
NUM_STR = t("number", "string")
STR_OR_NUM = t("string", "number")
SCALAR = t("string", "number", "boolean")

STRINGS = Arr(STR, unique=True)  # list_of_strings
STR_OR_STRINGS = OneOf(STR, STRINGS)
LIST_OR_DICT = OneOf(
    Obj(patterns={".+": t("string", "number", "boolean", "null")}, extensions=False),
    Arr(STR, unique=True),
)
EXTRA_HOSTS = OneOf(
    Obj(patterns={".+": OneOf(STR, Arr(STR))}, extensions=False),
    Arr(STR, unique=True),
)
COMMAND = OneOf(t("null"), STR, Arr(STR))
OPTIONS = Obj(patterns={ANY_KEY: STR_OR_NUM}, extensions=False, extra=ANY)  # driver_opts


def external(closed: bool) -> Obj:
    """``external: true`` or the deprecated ``external: {name: ...}``."""
    return Obj({"name": STR}, types=("boolean", "string", "object"), extensions=closed, extra=None if closed else ANY)


HOOK = Obj(
    {"command": COMMAND, "user": STR, "privileged": BOOL_STR, "working_dir": STR, "environment": LIST_OR_DICT},
    required=("command",),
)
FILE_MOUNTS = Arr(OneOf(STR, Obj({"source": STR, "target": STR, "uid": STR, "gid": STR, "mode": NUM_STR})))
ULIMITS = Obj(
    patterns={r"^[a-z]+$": OneOf(INT_STR, Obj({"hard": INT_STR, "soft": INT_STR}, required=("soft", "hard")))},
    extensions=False,
    extra=ANY,
)
_DEVICE_REQUEST = {
    "capabilities": STRINGS, "count": t("string", "integer"), "device_ids": STRINGS,
    "driver": STR, "options": LIST_OR_DICT,
}  # fmt: skip
DEVICE_REQUESTS = Arr(Obj(_DEVICE_REQUEST, required=("capabilities",)))
GPUS = OneOf(t("string", enum=["all"]), Arr(Obj(_DEVICE_REQUEST, extensions=False, extra=ANY)))
ENV_FILE = OneOf(
    STR,
    Arr(OneOf(STR, Obj({"path": STR, "format": STR, "required": BOOL_STR}, extensions=False, required=("path",)))),
)
_ROLLOUT = Obj(
    {
        "parallelism": INT_STR, "delay": STR, "failure_action": STR, "monitor": STR,
        "max_failure_ratio": NUM_STR, "order": t("string", enum=["start-first", "stop-first"]),
    }
)  # fmt: skip
DEPLOY = Obj(
    {
        "mode": STR,
        "endpoint_mode": STR,
        "replicas": INT_STR,
        "labels": LIST_OR_DICT,
        "rollback_config": _ROLLOUT,
        "update_config": _ROLLOUT,
        "resources": Obj(
            {
                "limits": Obj({"cpus": NUM_STR, "memory": STR, "pids": INT_STR}),
                "reservations": Obj(
                    {
                        "cpus": NUM_STR,
                        "memory": STR,
                        "generic_resources": Arr(
                            Obj({"discrete_resource_spec": Obj({"kind": STR, "value": NUM_STR})})
                        ),
                        "devices": DEVICE_REQUESTS,
                    }
                ),
            }
        ),
        "restart_policy": Obj({"condition": STR, "delay": STR, "max_attempts": INT_STR, "window": STR}),
        "placement": Obj(
            {
                "constraints": Arr(STR),
                "preferences": Arr(Obj({"spread": STR})),
                "max_replicas_per_node": INT_STR,
            }
        ),
    },
    types=("object", "null"),
)
DEVELOP = Obj(
    {
        "watch": Arr(
            Obj(
                {
                    "ignore": STR_OR_STRINGS,
                    "include": STR_OR_STRINGS,
                    "path": STR,
                    "action": t("string", enum=["rebuild", "sync", "restart", "sync+restart", "sync+exec"]),
                    "target": STR,
                    "exec": HOOK,
                    "initial_sync": BOOL,
                },
                required=("path", "action"),
            )
        )
    },
    types=("object", "null"),
)
BUILD = OneOf(
    STR,
    Obj(
        {
            "context": STR, "dockerfile": STR, "dockerfile_inline": STR, "entitlements": Arr(STR),
            "args": LIST_OR_DICT, "ssh": LIST_OR_DICT, "labels": LIST_OR_DICT,
            "cache_from": Arr(STR), "cache_to": Arr(STR), "no_cache": BOOL_STR,
            "additional_contexts": LIST_OR_DICT, "network": STR, "provenance": BOOL_STR,
            "sbom": BOOL_STR, "pull": BOOL_STR, "target": STR, "shm_size": INT_STR,
            "extra_hosts": EXTRA_HOSTS, "isolation": STR, "privileged": BOOL_STR,
            "secrets": FILE_MOUNTS, "tags": Arr(STR), "ulimits": ULIMITS, "platforms": Arr(STR),
        }
    ),
)  # fmt: skip
_BLKIO_RATE = Arr(Obj({"path": STR, "rate": INT_STR}, extensions=False))
SERVICE_NETWORK = Obj(
    {
        "aliases": STRINGS, "interface_name": STR, "ipv4_address": STR, "ipv6_address": STR,
        "link_local_ips": STRINGS, "mac_address": STR,
        "driver_opts": Obj(patterns={ANY_KEY: STR_OR_NUM}, extensions=False, extra=ANY),
        "priority": NUM, "gw_priority": NUM,
    }
)  # fmt: skip
PORT = Obj(
    {
        "name": STR, "mode": STR, "host_ip": STR, "target": INT_STR,
        "published": t("string", "integer"), "protocol": STR, "app_protocol": STR,
    }
)  # fmt: skip
MOUNT = Obj(
    {
        "type": t("string", enum=["bind", "volume", "tmpfs", "cluster", "npipe", "image"]),
        "source": STR,
        "target": STR,
        "read_only": BOOL_STR,
        "consistency": STR,
        "bind": Obj(
            {
                "propagation": STR,
                "create_host_path": BOOL_STR,
                "recursive": t("string", enum=["enabled", "disabled", "writable", "readonly"]),
                "selinux": t("string", enum=["z", "Z"]),
            }
        ),
        "volume": Obj({"labels": LIST_OR_DICT, "nocopy": BOOL_STR, "subpath": STR}),
        "tmpfs": Obj({"size": OneOf(t("integer", minimum=0), STR), "mode": NUM_STR}),
        "image": Obj({"subpath": STR}),
    },
    required=("type",),
)

SERVICE = Obj(
    {
        "develop": DEVELOP,
        "deploy": DEPLOY,
        "annotations": LIST_OR_DICT,
        "attach": BOOL_STR,
        "build": BUILD,
        "blkio_config": Obj(
            {
                "device_read_bps": _BLKIO_RATE,
                "device_read_iops": _BLKIO_RATE,
                "device_write_bps": _BLKIO_RATE,
                "device_write_iops": _BLKIO_RATE,
                "weight": INT_STR,
                "weight_device": Arr(Obj({"path": STR, "weight": INT_STR}, extensions=False)),
            },
            extensions=False,
        ),
        "cap_add": Arr(STR, unique=True),
        "cap_drop": Arr(STR, unique=True),
        "cgroup": t("string", enum=["host", "private"]),
        "cgroup_parent": STR,
        "command": COMMAND,
        "configs": FILE_MOUNTS,
        "container_name": t("string", pattern=r"[a-zA-Z0-9][a-zA-Z0-9_.-]+"),
        "cpu_count": OneOf(STR, t("integer", minimum=0)),
        "cpu_percent": OneOf(STR, t("integer", minimum=0, maximum=100)),
        "cpu_shares": NUM_STR,
        "cpu_quota": NUM_STR,
        "cpu_period": NUM_STR,
        "cpu_rt_period": NUM_STR,
        "cpu_rt_runtime": NUM_STR,
        "cpus": NUM_STR,
        "cpuset": STR,
        "credential_spec": Obj({"config": STR, "file": STR, "registry": STR}),
        "depends_on": OneOf(
            STRINGS,
            Obj(
                patterns={
                    NAME: Obj(
                        {
                            "restart": BOOL_STR,
                            "required": BOOL,
                            "condition": t(
                                "string",
                                enum=["service_started", "service_healthy", "service_completed_successfully"],
                            ),
                        },
                        required=("condition",),
                    )
                },
                extensions=False,
            ),
        ),
        "device_cgroup_rules": STRINGS,
        "devices": Arr(OneOf(STR, Obj({"source": STR, "target": STR, "permissions": STR}, required=("source",)))),
        "dns": STR_OR_STRINGS,
        "dns_opt": Arr(STR, unique=True),
        "dns_search": STR_OR_STRINGS,
        "domainname": STR,
        "entrypoint": COMMAND,
        "env_file": ENV_FILE,
        "label_file": OneOf(STR, Arr(STR)),
        "environment": LIST_OR_DICT,
        "expose": Arr(t("string", "number"), unique=True),
        "extends": OneOf(STR, Obj({"service": STR, "file": STR}, extensions=False, required=("service",))),
        "provider": Obj(
            {
                "type": STR,
                "options": Obj(patterns={ANY_KEY: OneOf(SCALAR, Arr(SCALAR))}, extensions=False, extra=ANY),
            },
            required=("type",),
        ),
        "external_links": Arr(STR, unique=True),
        "extra_hosts": EXTRA_HOSTS,
        "gpus": GPUS,
        "group_add": Arr(t("string", "number"), unique=True),
        "healthcheck": Obj(
            {
                "disable": BOOL_STR,
                "interval": STR,
                "retries": NUM_STR,
                "test": OneOf(STR, Arr(STR)),
                "timeout": STR,
                "start_period": STR,
                "start_interval": STR,
            }
        ),
        "hostname": STR,
        "image": STR,
        "init": BOOL_STR,
        "ipc": STR,
        "isolation": STR,
        "labels": LIST_OR_DICT,
        "links": Arr(STR, unique=True),
        "logging": Obj(
            {
                "driver": STR,
                "options": Obj(patterns={ANY_KEY: t("string", "number", "null")}, extensions=False, extra=ANY),
            }
        ),
        "mac_address": STR,
        "mem_limit": NUM_STR,
        "mem_reservation": INT_STR,
        "mem_swappiness": INT_STR,
        "memswap_limit": NUM_STR,
        "network_mode": STR,
        "models": OneOf(
            STRINGS,
            Obj(patterns={NAME: Obj({"endpoint_var": STR, "model_var": STR})}, extensions=False, extra=ANY),
        ),
        "networks": OneOf(
            STRINGS,
            Obj(patterns={NAME: OneOf(SERVICE_NETWORK, t("null"))}, extensions=False),
        ),
        "oom_kill_disable": BOOL_STR,
        "oom_score_adj": OneOf(STR, t("integer", minimum=-1000, maximum=1000)),
        "pid": t("string", "null"),
        "pids_limit": NUM_STR,
        "platform": STR,
        "ports": Arr(OneOf(NUM, STR, PORT), unique=True),
        "post_start": Arr(HOOK),
        "pre_stop": Arr(HOOK),
        "privileged": BOOL_STR,
        "profiles": STRINGS,
        "pull_policy": t(
            "string", pattern=r"always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+"
        ),
        "pull_refresh_after": STR,
        "read_only": BOOL_STR,
        "restart": STR,
        "runtime": STR,
        "scale": INT_STR,
        "security_opt": Arr(STR, unique=True),
        "shm_size": NUM_STR,
        "secrets": FILE_MOUNTS,
        "sysctls": LIST_OR_DICT,
        "stdin_open": BOOL_STR,
        "stop_grace_period": STR,
        "stop_signal": STR,
        "storage_opt": Obj(extra=ANY),
        "tmpfs": STR_OR_STRINGS,
        "tty": BOOL_STR,
        "ulimits": ULIMITS,
        "use_api_socket": BOOL,
        "user": STR,
        "uts": STR,
        "userns_mode": STR,
        "volumes": Arr(OneOf(STR, MOUNT), unique=True),
        "volumes_from": Arr(STR, unique=True),
        "working_dir": STR,
    }
)

NETWORK = Obj(
    {
        "name": STR,
        "driver": STR,
        "driver_opts": OPTIONS,
        "ipam": Obj(
            {
                "driver": STR,
                "config": Arr(
                    Obj(
                        {
                            "subnet": STR,
                            "ip_range": STR,
                            "gateway": STR,
                            "aux_addresses": Obj(patterns={ANY_KEY: STR}, extensions=False),
                        }
                    )
                ),
                "options": Obj(patterns={ANY_KEY: STR}, extensions=False),
            }
        ),
        "external": external(closed=True),
        "internal": BOOL_STR,
        "enable_ipv4": BOOL_STR,
        "enable_ipv6": BOOL_STR,
        "attachable": BOOL_STR,
        "labels": LIST_OR_DICT,
    },
    types=("object", "null"),
)
VOLUME = Obj(
    {"name": STR, "driver": STR, "driver_opts": OPTIONS, "external": external(closed=True), "labels": LIST_OR_DICT},
    types=("object", "null"),
)
SECRET = Obj(
    {
        "name": STR, "environment": STR, "file": STR, "external": external(closed=False),
        "labels": LIST_OR_DICT, "driver": STR, "driver_opts": OPTIONS, "template_driver": STR,
    }
)  # fmt: skip
CONFIG = Obj(
    {
        "name": STR, "content": STR, "environment": STR, "file": STR,
        "external": external(closed=False), "labels": LIST_OR_DICT, "template_driver": STR,
    }
)  # fmt: skip
MODEL = Obj(
    {"name": STR, "model": STR, "context_size": INT, "runtime_flags": Arr(STR)},
    required=("model",),
)
INCLUDE = OneOf(
    STR,
    Obj({"path": STR_OR_STRINGS, "env_file": STR_OR_STRINGS, "project_directory": STR}, extensions=False),
)

PROJECT = Obj(
    {
        "version": STR,
        "name": STR,
        "include": Arr(INCLUDE),
        "services": Obj(patterns={NAME: SERVICE}, extensions=False),
        "models": Obj(patterns={NAME: MODEL}, extensions=False, extra=ANY),
        "networks": Obj(patterns={NAME: NETWORK}, extensions=False, extra=ANY),
        "volumes": Obj(patterns={NAME: VOLUME}, extensions=False),
        "secrets": Obj(patterns={NAME: SECRET}, extensions=False),
        "configs": Obj(patterns={NAME: CONFIG}, extensions=False),
    }
)


def find_problem(document: object, shape: Shape = PROJECT) -> Invalid | None:
    """The first structural problem of a Compose document, or ``None`` when it is valid."""
    try:
        check_shape(shape, document)
    except Invalid as err:
        return err
    return None


def validate(document: YMap, shape: Shape = PROJECT) -> None:
    """Raise :class:`~pytest_ctrsec.errors.SchemaError` (file, line, path) when invalid."""
    problem = find_problem(document, shape)
    if problem is not None:
        raise SchemaError(str(problem), problem.pos[0], problem.pos[1] or None)
