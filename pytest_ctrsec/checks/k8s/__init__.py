"""Kubernetes rules: Pod Security Standards (:mod:`.pss`) and the practices PSS leaves out
(:mod:`.workload`, :mod:`.objects`, :mod:`.rbac`, :mod:`.netpol`).

:func:`applies` tells the plugin which (check, target) pairs to bind: a rule about pod
templates is not bound to a ConfigMap, nor a Pod Security check that the object's level and
version do not include.
"""

from . import netpol, objects, pss, rbac, workload  # noqa: F401  (register the checks)
from .base import WORKLOAD, applies, k8s_check

__all__ = ["WORKLOAD", "applies", "k8s_check"]
