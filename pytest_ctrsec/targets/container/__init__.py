"""The running-container target (``--ctrsec-container``): containers on a Docker engine, read
through the Engine API (inspect, top, archive), so images without a shell are checked too."""

from .loader import load_container, load_containers, load_targets
from .model import Container, NoShell, Process

__all__ = ["Container", "NoShell", "Process", "load_container", "load_containers",
           "load_targets"]
