"""History lines as build steps (classic builder and BuildKit spellings), and the history
rules on hand-made image configs (no engine needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from archive_maker import M, docker_archive, layer

from pytest_ctrsec.catalog import registry
from pytest_ctrsec.targets.image import open_image
from pytest_ctrsec.targets.image.history import parse_step


@pytest.mark.parametrize("created_by, keyword, text, build_args", [
    ("/bin/sh -c #(nop)  ENV A=1 B=2", "ENV", "A=1 B=2", ()),
    ("/bin/sh -c #(nop) ADD file:abc in / ", "ADD", "file:abc in /", ()),
    ("|2 PW=x Y=2 /bin/sh -c apt-get update", "RUN", "apt-get update", ("PW=x", "Y=2")),
    ("RUN /bin/sh -c apk add x # buildkit", "RUN", "apk add x", ()),
    ("RUN |1 TOKEN=abc /bin/sh -c make # buildkit", "RUN", "make", ("TOKEN=abc",)),
    ("RUN /bin/sh -c #(nop) odd # buildkit", "RUN", "#(nop) odd", ()),
    ("COPY . /app # buildkit", "COPY", ". /app", ()),
    ("/bin/busybox --install -s /bin", "RUN", "/bin/busybox --install -s /bin", ()),
    ("USER 1000", "USER", "1000", ()),
])
def test_parse_step(created_by: str, keyword: str, text: str,
                    build_args: tuple[str, ...]) -> None:
    step = parse_step(1, created_by)
    assert (step.keyword, step.text, step.build_args) == (keyword, text, build_args)


def _image(tmp_path: Path, history: list[str], env: list[str] | None = None) -> object:
    layers = [layer([M("etc", "dir")])]
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
                         "config": {"Env": env or []},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
                         "history": [{"created_by": h} for h in history]}).encode()
    path = tmp_path / "h.tar"
    path.write_bytes(docker_archive(layers, config=config))
    return open_image(f"docker-archive:{path}")


def _messages(check_id: str, image: object) -> list[str]:
    return [f.message for f in registry()[check_id].evaluate(image).findings]


def test_secrets_in_history_without_package_pin_false_positives(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        "/bin/sh -c #(nop) ADD file:abc in / ",
        "|1 NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789 /bin/sh -c npm ci",
        "RUN /bin/sh -c apk add --no-cache libcrypto3=3.1.4-r1 # buildkit",
        "ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
        "RUN /bin/sh -c DB_PASSWORD=hunter2hunter2 ./migrate # buildkit",
    ], env=["GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D", "LANG=C.UTF-8"])
    messages = _messages("image.no-secrets-in-env", image)
    assert len(messages) == 2
    assert messages[0].startswith("history step 2: NPM_TOKEN holds")
    assert messages[1].startswith("history step 5: DB_PASSWORD holds")
    assert not any("hunter2hunter2" in m or "abcdefghijklmnop" in m for m in messages)


def test_add_beyond_the_base_rootfs(tmp_path: Path) -> None:
    image = _image(tmp_path, ["/bin/sh -c #(nop) ADD file:abc in / ",
                              "/bin/sh -c #(nop) CMD [\"sh\"]",
                              "ADD app.tar.gz /srv # buildkit"])
    assert _messages("image.copy-not-add", image) == [
        "history step 3 uses ADD: ADD app.tar.gz /srv"]
    base_only = _image(tmp_path, ["/bin/sh -c #(nop) ADD file:abc in / "])
    assert _messages("image.copy-not-add", base_only) == []
