"""Docker run settings: one normalised model that a Compose service and a ``docker inspect``
result both map into, so every run-settings rule is written once and exposed twice
(``compose.<slug>`` and ``container.<slug>``)."""

from .model import ImageFacts, Mount, PortBinding, RunSettings

__all__ = ["ImageFacts", "Mount", "PortBinding", "RunSettings"]
