"""Run-settings rules, each written once over :class:`RunSettings` and registered as
``compose.<slug>`` and ``container.<slug>``. Importing this package registers them all."""

from . import environment, identity, image, logging, mounts, network, resources
from ._register import on_container, runsettings_check

__all__ = ["environment", "identity", "image", "logging", "mounts", "network", "resources",
           "on_container", "runsettings_check"]
