"""Image targets: ``--ctrsec-image`` values read through one streaming layer reader.

Public entry points:

- :func:`load_targets` for the plugin (one :class:`~pytest_ctrsec.targets.Target` per ref);
- :func:`open_image` for fixtures and user code (a lazily loaded :class:`Image`);
- :func:`image_facts` for Compose and container rules (USER, HEALTHCHECK, passwd).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import CtrsecError
from ...findings import Location
from ...runsettings.model import ImageFacts
from .. import Target
from .load import LoadSettings, load
from .model import Image, ImageData
from .source import ImageSource, parse_source

__all__ = ["Image", "ImageData", "ImageSource", "LoadSettings", "image_facts", "load_targets",
           "open_image", "parse_source"]


def settings_from(opts: Any, cache_dir: Path | str | None = None) -> LoadSettings:
    """Load settings from run options (read with defaults, so any options object works)."""
    return LoadSettings(Path(cache_dir) if cache_dir else None, bool(getattr(opts, "pull", False)))


def open_image(ref: str, settings: LoadSettings | None = None) -> Image:
    """An image whose data is read on first use (and then kept)."""
    source = parse_source(ref)
    chosen = settings or LoadSettings()
    return Image(ref, source, lambda: load(source, chosen))


def load_targets(opts: Any, cache_dir: Path | str | None = None) -> list[Target]:
    """One target per ``--ctrsec-image`` value, in the order given (duplicates once)."""
    settings = settings_from(opts, cache_dir)
    targets: list[Target] = []
    for ref in dict.fromkeys(getattr(opts, "image", ()) or ()):
        targets.append(image_target(ref, open_image(ref, settings)))
    return targets


def image_target(ref: str, image: Image) -> Target:
    """The check target of an image opened as ``ref`` (anchored to its file, if any)."""
    where = Location(image.source.location) if image.source.is_file else None
    return Target("image", f"image:{ref}", ref, ref, where, image)


def image_facts(ref: str, cache_dir: Path | str | None = None) -> ImageFacts | None:
    """USER, HEALTHCHECK and the passwd names of an image the engine has locally (never
    pulled); ``None`` when the image cannot be read."""
    settings = LoadSettings(Path(cache_dir) if cache_dir else None, pull=False)
    image = open_image(ref, settings)
    try:
        config = image.config
        users = image.users()
    except CtrsecError:
        return None
    return ImageFacts(ref=ref, user=config.user, healthcheck=config.healthcheck, passwd=users)
