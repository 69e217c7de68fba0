"""Targets: what the checks judge, loaded once per session.

A loader turns an option value into :class:`Target` objects. Each target carries the model
its checks receive (``model``), the model type the checks bind to (``model_type``, one of
:data:`pytest_ctrsec.catalog.MODEL_TYPES`), a stable ``name`` for reports
(``compose:deploy/compose.yaml#web``), a short ``label`` for test ids, the ``source`` it was
read from (a file, a namespace or an engine; targets of one source are grouped when a corpus is
large) and the ``location`` findings default to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..findings import Location


@dataclass(frozen=True)
class Target:
    """One object the bundled checks are run against."""

    model_type: str
    name: str
    label: str
    source: str
    location: Location | None
    model: Any = field(repr=False, compare=False, hash=False)
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def kind(self) -> str:
        """The target kind shown in reports: ``compose``, ``k8s``, ``image``..."""
        return self.model_type.split(".", 1)[0]
