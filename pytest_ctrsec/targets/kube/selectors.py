"""Kubernetes label selectors with their full semantics (``matchLabels`` and
``matchExpressions`` with ``In``, ``NotIn``, ``Exists``, ``DoesNotExist``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, Any]) -> bool:
    """Whether ``selector`` selects an object with ``labels``. An empty selector selects
    everything; a malformed one (unknown operator, wrong types) selects nothing, as the API
    server would have refused it.

    >>> sel = {"matchLabels": {"app": "web"},
    ...        "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}
    >>> selects(sel, {"app": "web"}), selects(sel, {"app": "web", "tier": "db"})
    (True, False)
    """
    if selector is None:
        return True
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return False
    for key, value in match_labels.items():
        if key not in labels or str(labels[key]) != str(value):
            return False
    return all(_expression(expr, labels) for expr in expressions)


def is_empty(selector: Any) -> bool:
    """An empty selector (``{}`` or no constraints): it selects every object."""
    if selector is None:
        return True
    return isinstance(selector, dict) and not selector.get("matchLabels") and not selector.get(
        "matchExpressions")


def _expression(expr: Any, labels: Mapping[str, Any]) -> bool:
    if not isinstance(expr, dict):
        return False
    key, op = expr.get("key"), expr.get("operator")
    values = expr.get("values") or []
    if not isinstance(values, list) or not isinstance(key, str):
        return False
    wanted = {str(v) for v in values}
    present = key in labels
    if op == "In":
        return present and str(labels[key]) in wanted
    if op == "NotIn":
        return not present or str(labels[key]) not in wanted
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    return False
