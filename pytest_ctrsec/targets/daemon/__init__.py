"""The Docker daemon target (``--ctrsec-daemon``): engine info and version, and on the daemon's
own host its command line, daemon.json and socket and file modes."""

from .loader import file_stat, load_daemon, load_targets
from .model import Daemon, FileStat, Setting

__all__ = ["Daemon", "FileStat", "Setting", "file_stat", "load_daemon", "load_targets"]
