"""The image model the checks receive: config, merged filesystem, tags; loaded lazily so a
target that cannot be read becomes an error of its tests, not of the whole collection."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from ...errors import CtrsecError
from .accounts import Account, name_to_id, parse
from .config import ImageConfig
from .fsindex import FileIndex
from .source import ImageSource


@dataclass(frozen=True)
class ImageData:
    """Everything one read of an image yields (what the cache stores, plus the tags)."""

    digest: str  # sha256 of the config blob: the same whatever the source
    config: ImageConfig
    fs: FileIndex = field(repr=False, compare=False)
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Image:
    """An image under test. ``ref`` is the reference as given; the rest loads on first use
    (raising :class:`~pytest_ctrsec.errors.TargetUnavailable` or an input error then)."""

    ref: str
    source: ImageSource
    loader: Callable[[], ImageData] = field(repr=False, compare=False)

    @functools.cached_property
    def _outcome(self) -> ImageData | CtrsecError:
        # A failure is kept too, so a broken image is read once, not once per check.
        try:
            return self.loader()
        except CtrsecError as err:
            return err

    @property
    def data(self) -> ImageData:
        outcome = self._outcome
        if isinstance(outcome, CtrsecError):
            raise outcome
        return outcome

    @property
    def config(self) -> ImageConfig:
        return self.data.config

    @property
    def fs(self) -> FileIndex:
        return self.data.fs

    @property
    def digest(self) -> str:
        return self.data.digest

    @property
    def repo_tags(self) -> tuple[str, ...]:
        return self.data.repo_tags

    @property
    def repo_digests(self) -> tuple[str, ...]:
        return self.data.repo_digests

    @functools.cached_property
    def passwd(self) -> tuple[Account, ...]:
        return parse(self.fs.data("etc/passwd"))

    @functools.cached_property
    def group(self) -> tuple[Account, ...]:
        return parse(self.fs.data("etc/group"))

    @functools.cached_property
    def shadow(self) -> tuple[Account, ...]:
        return parse(self.fs.data("etc/shadow"))

    def users(self) -> dict[str, int]:
        """``{user name: uid}`` from the image's /etc/passwd."""
        return name_to_id(self.passwd)
