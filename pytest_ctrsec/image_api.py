"""The image API for user tests (what the ``ctrsec_image`` fixture returns)::

    def test_app_layout(ctrsec_image):
        assert ctrsec_image.user == "1000"
        app = ctrsec_image.file("/app/server")
        assert app.exists and app.mode == 0o755 and app.owner == "root"
        assert not ctrsec_image.files("/root/.ssh/*")
        assert b"prod" in ctrsec_image.file("/etc/app.conf").content

Everything reads the analysed image (no container). ``run()`` starts a throwaway container
and is refused unless running was allowed (``--ctrsec-allow-run``).
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import CannotEvaluate, TargetUnavailable
from .findings import mask
from .targets import Target
from .targets.image.config import HistoryEntry, ImageConfig
from .targets.image.content import read_files
from .targets.image.fsindex import Entry
from .targets.image.model import Image
from .targets.image.source import ENGINE

RUN_TIMEOUT = 120


class FileMode(int):
    """Permission bits that print in octal, so a failed ``assert f.mode == 0o644`` reads
    ``assert 0o600 == 0o644`` rather than ``assert 384 == 420``; otherwise a plain ``int``.

    >>> FileMode(0o4755)
    0o4755
    >>> FileMode(0o644) == 420
    True
    """

    def __repr__(self) -> str:
        return f"0o{int(self):o}"

    __str__ = __repr__


class Environment(dict[str, str]):
    """An image's ENV: a plain ``dict`` whose repr masks the values, since pytest prints
    the whole mapping when an assertion about one of its keys fails, and ENV may hold a
    credential. A value the test reads itself is shown as usual.

    >>> env = Environment({"PATH": "/usr/bin:/bin", "DB_PASSWORD": "hunter2hunter2"})
    >>> env
    {'PATH': '/u***********', 'DB_PASSWORD': 'hu************'}
    >>> env["PATH"]
    '/usr/bin:/bin'
    """

    def __repr__(self) -> str:
        return repr({key: mask(value) for key, value in self.items()})


@dataclass(frozen=True)
class RunResult:
    """What a command printed and how it exited."""

    exit_code: int
    stdout: str
    stderr: str


class FileView:
    """One path of the image as a user test sees it (symlinks followed for the attributes,
    except :attr:`is_symlink` and :attr:`target`)."""

    def __init__(self, image: ImageHandle, path: str) -> None:
        self._image = image
        self.path = "/" + path.strip("/")
        fs = image.model.fs
        self._link = fs.lstat(self.path)
        resolved = fs.resolve(self.path, follow=True)
        self._real: str | None = resolved[0] if resolved else None
        self._entry: Entry | None = resolved[1] if resolved else None

    def __repr__(self) -> str:
        return f"<FileView {self.path} {self.mode_string if self.exists else 'missing'}>"

    @property
    def exists(self) -> bool:
        """Whether the path exists (a dangling symlink does not)."""
        return self._entry is not None

    def _need(self) -> Entry:
        if self._entry is None:
            raise AssertionError(f"{self.path} does not exist in {self._image.ref}")
        return self._entry

    @property
    def type(self) -> str | None:
        """``file``, ``dir``, ``symlink`` (a dangling one), ``char``, ``block``, ``fifo``."""
        if self._entry is None:
            return "symlink" if self._link is not None else None
        return self._entry.kind

    @property
    def is_file(self) -> bool:
        return self._entry is not None and self._entry.is_file

    @property
    def is_dir(self) -> bool:
        return self._entry is not None and self._entry.is_dir

    @property
    def is_symlink(self) -> bool:
        return self._link is not None and self._link.is_symlink

    @property
    def target(self) -> str | None:
        """The symlink's target as written, or ``None``."""
        return self._link.linkname if self.is_symlink and self._link else None

    @property
    def mode(self) -> FileMode:
        """Permission bits including setuid/setgid/sticky (an ``int`` shown in octal);
        a missing path fails the test, naming it.

        >>> image.file("/srv/app/index.html").mode == 0o644  # doctest: +SKIP
        True
        """
        return FileMode(self._need().mode)

    @property
    def mode_string(self) -> str:
        """``ls -l`` style, e.g. ``-rwxr-xr-x``."""
        return self._need().filemode

    @property
    def uid(self) -> int:
        """The owner's numeric id (see :attr:`owner` for the name)."""
        return self._need().uid

    @property
    def gid(self) -> int:
        """The group's numeric id (see :attr:`group` for the name)."""
        return self._need().gid

    @property
    def owner(self) -> str:
        """The owner's name from the image's /etc/passwd (the uid as text when unknown)."""
        uid = self.uid
        names = [a.name for a in self._image.model.passwd if a.id == uid]
        return names[0] if names else str(uid)

    @property
    def group(self) -> str:
        """The group's name from the image's /etc/group (the gid as text when unknown)."""
        gid = self.gid
        names = [a.name for a in self._image.model.group if a.id == gid]
        return names[0] if names else str(gid)

    @property
    def size(self) -> int:
        """The size in bytes."""
        return self._need().size

    @property
    def is_setuid(self) -> bool:
        return bool(self.mode & stat.S_ISUID)

    @property
    def is_setgid(self) -> bool:
        return bool(self.mode & stat.S_ISGID)

    def is_executable_by(self, who: str) -> bool:
        """``owner``, ``group``, ``other`` or ``any`` (container-structure-test's words)."""
        bits = {"owner": 0o100, "group": 0o010, "other": 0o001, "any": 0o111}
        if who not in bits:
            raise ValueError(f"is_executable_by: {who!r} is not owner, group, other or any")
        return bool(self.mode & bits[who])

    @property
    def content(self) -> bytes:
        """The file's bytes: kept from the layer pass for small system files, otherwise read
        from the layer that holds it."""
        entry = self._need()
        if not entry.is_file:
            raise AssertionError(f"{self.path} is a {entry.kind}, not a file")
        if entry.data is not None:
            return entry.data
        if entry.size == 0:
            return b""
        key = self.where
        assert key is not None
        data = self._image.read_contents([key]).get(key)
        if data is None:
            raise TargetUnavailable(f"{self.path}: not found again in layer {entry.layer} of "
                                    f"{self._image.ref}")
        return data

    @property
    def where(self) -> tuple[int, str] | None:
        """``(layer number, real path)`` that holds this file's bytes (hardlinks followed)."""
        if self._entry is None or not self._entry.is_file:
            return None
        return self._entry.layer, self._entry.linkname or self._real or ""

    @property
    def text(self) -> str:
        """:attr:`content` decoded as UTF-8 (undecodable bytes replaced).

        >>> "PermitRootLogin no" in image.file("/etc/ssh/sshd_config").text  # doctest: +SKIP
        True
        """
        return self.content.decode("utf-8", "replace")


class ImageHandle:
    """An image under test: config, history and files, from one read of the image."""

    def __init__(self, model: Image, allow_run: bool = False) -> None:
        self.model = model
        self.allow_run = allow_run
        self._contents: dict[tuple[int, str], bytes] = {}

    def __repr__(self) -> str:
        return f"<ctrsec image {self.ref}>"

    def ctrsec_targets(self) -> list[Target]:
        """The image as a check target, so ``assert_check("image.user-not-root",
        ctrsec_image)`` works like it does for the other kinds."""
        from .targets.image import image_target

        return [image_target(self.ref, self.model)]

    @property
    def ref(self) -> str:
        """The reference the image was opened by (``app:1.4``, ``oci:PATH``)."""
        return self.model.ref

    @property
    def digest(self) -> str:
        """The image id (``sha256:...`` of its config)."""
        return self.model.digest

    @property
    def config(self) -> ImageConfig:
        """The image config (``user``, ``entrypoint``, ``cmd``, ``exposed_ports``,
        ``volumes``, ``labels``, ``healthcheck``, ``env_map``...)."""
        return self.model.config

    @property
    def packages(self) -> Any:
        """The installed packages (dpkg, apk, rpm, Python, npm) with ``.os``, ``.find(name)``,
        ``.of_type("deb")`` and ``.problems`` (package data that could not be read)."""
        from .inventory import packages_of

        return packages_of(self.model)

    @property
    def vulnerabilities(self) -> Any:
        """Known vulnerabilities of the installed packages, from ``--ctrsec-vulndb`` or
        ``--ctrsec-scan-report``; the test is skipped, with the reason, when none can be
        looked up."""
        import pytest

        from .checks.vulns import CHECK_ID
        from .session import current
        from .vulns import source_from_options, vulnerabilities_of

        state = current()
        options = state.check_options(CHECK_ID) if state else None
        source = (options or {}).get("source")
        if source is None and state is not None:
            source = source_from_options(state.options, state.cache_dir)
        try:
            return vulnerabilities_of(self.model, source)
        except CannotEvaluate as why:
            pytest.skip(f"vulnerabilities of {self.ref}: {why}")

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        """The build steps, oldest first (``created_by``, ``empty_layer``...)."""
        return self.model.config.history

    @property
    def user(self) -> str:
        """USER as set in the image (``""`` when unset: root), e.g. ``"10001:10001"``."""
        return self.model.config.user

    @property
    def env(self) -> Environment:
        """The image's ENV as a ``dict`` (values masked in its repr, so a failed assertion
        does not print a credential).

        >>> "AWS_SECRET_ACCESS_KEY" not in image.env  # doctest: +SKIP
        True
        """
        return Environment(self.model.config.env_map)

    @property
    def labels(self) -> Mapping[str, str]:
        """The image's LABELs."""
        return self.model.config.labels

    @property
    def repo_tags(self) -> tuple[str, ...]:
        """The engine's tags for the image (empty for an archive without them)."""
        return self.model.repo_tags

    def file(self, path: str) -> FileView:
        """One path of the merged filesystem (it need not exist: see ``.exists``).

        >>> app = image.file("/srv")  # doctest: +SKIP
        >>> (app.owner, app.mode, app.is_dir)  # doctest: +SKIP
        ('app', 0o755, True)
        """
        return FileView(self, path)

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists in the merged filesystem."""
        return self.file(path).exists

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read the bytes of several files in one pass over the image (for files the layer
        pass did not keep; from the engine each pass streams the whole image)."""
        keys = []
        for path in paths:
            entry = self.model.fs.stat(path)
            where = self.file(path).where
            if entry is not None and entry.data is None and entry.size and where is not None:
                keys.append(where)
        self.read_contents(keys)

    def read_contents(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], bytes]:
        """Bytes of ``(layer, real path)`` pairs, read once and kept."""
        missing: dict[int, set[str]] = {}
        wanted = list(keys)
        for layer, path in wanted:
            if (layer, path) not in self._contents:
                missing.setdefault(layer, set()).add(path)
        if missing:
            self._contents.update(read_files(self.model.source, missing))
        return {k: self._contents[k] for k in wanted if k in self._contents}

    def files(self, pattern: str) -> list[FileView]:
        """Paths matching a glob (``*`` within a directory, ``**`` across), sorted; ``[]``
        when none.

        >>> image.files("/root/.cache/**")  # doctest: +SKIP
        []
        """
        return [FileView(self, p) for p, _ in self.model.fs.glob(pattern)]

    def run(self, command: str | Sequence[str], *, user: str | None = None,
            env: Mapping[str, str] | None = None, network: bool = False,
            timeout: int = RUN_TIMEOUT) -> RunResult:
        """Run ``command`` (a shell line, or an argv list run as is, overriding the
        entrypoint) in a throwaway container of this image, then remove it."""
        if not self.allow_run:
            raise CannotEvaluate("running containers is not allowed: pass --ctrsec-allow-run")
        if self.model.source.kind != ENGINE:
            raise CannotEvaluate(f"run() needs the image in the engine; {self.ref} is a file")
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        return run_container(self.model.digest, argv, user, env, network, timeout)


def run_container(image_id: str, argv: list[str], user: str | None,
                  env: Mapping[str, str] | None, network: bool, timeout: int) -> RunResult:
    """Create, start, wait for and remove one container."""
    from docker.errors import APIError
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import ReadTimeout

    from .engine import get_client

    client = get_client()
    kwargs: dict[str, Any] = {"entrypoint": argv[:1], "command": argv[1:],
                              "environment": dict(env or {}), "detach": True,
                              "labels": {"io.ctrsec.throwaway": "1"}}
    if user is not None:
        kwargs["user"] = user
    if not network:
        kwargs["network_mode"] = "none"
    try:
        container = client.containers.create(image_id, **kwargs)
    except APIError as err:
        raise TargetUnavailable(f"cannot create a container of {image_id[:19]}: "
                                f"{err.explanation or err}") from None
    try:
        container.start()
        status = container.wait(timeout=timeout)
        out = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
        errs = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
        return RunResult(int(status.get("StatusCode", -1)), out, errs)
    except (ReadTimeout, RequestsConnectionError):
        raise AssertionError(f"{' '.join(argv)} did not finish within {timeout}s") from None
    except APIError as err:
        raise AssertionError(f"{' '.join(argv)} could not run: {err.explanation or err}") \
            from None
    finally:
        container.remove(force=True)

