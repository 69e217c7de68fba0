"""A generated corpus of Dockerfiles: each file combines one variant per concept (user,
healthcheck, update, ADD, FROM, secrets, sudo, downloads, cache, SSH port), so every verdict
difference between tools can be traced to the variant that caused it.

    python bench/dockerfile/corpus.py OUT_DIR [COUNT]
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Variant:
    name: str
    builder: tuple[str, ...] = ()  # lines in the builder stage
    final: tuple[str, ...] = ()  # lines in the final stage
    preamble: tuple[str, ...] = ()  # ARG lines before the first FROM
    base: str | None = None  # the final FROM image (only the "from" concept sets it)
    final_from_builder: bool = False


V = Variant
CONCEPTS: dict[str, list[Variant]] = {
    "user-not-root": [
        V("no USER"), V("USER root", final=("USER root",)), V("USER 0:0", final=("USER 0:0",)),
        V("USER app", final=("USER app",)),
        V("USER only in builder", builder=("USER 1000",)),
        V("USER inherited from base stage", builder=("USER 1000",), final_from_builder=True),
        V("USER root:root", final=("USER root:root",)),
    ],
    "healthcheck-defined": [
        V("none"), V("HEALTHCHECK CMD", final=("HEALTHCHECK CMD wget -q -O- localhost:8080",)),
        V("HEALTHCHECK NONE", final=("HEALTHCHECK NONE",)),
        V("HEALTHCHECK only in builder", builder=("HEALTHCHECK CMD true",)),
    ],
    "no-update-alone": [
        V("update alone", final=("RUN apt-get update",)),
        V("update and install", final=("RUN apt-get update && apt-get install -y --no-install-"
                                       "recommends ca-certificates=2023 && rm -rf /var/lib/apt/"
                                       "lists/*",)),
        V("apk update alone", final=("RUN apk update",)),
        V("update in a quoted string", final=("RUN echo 'apt-get update' > /notes",)),
        V("none"),
    ],
    "copy-not-add": [
        V("ADD local file", final=("ADD app.py /app/",)),
        V("ADD remote URL", final=("ADD https://example.com/tool /usr/local/bin/tool",)),
        V("ADD local tar archive", final=("ADD rootfs.tar.xz /",)),
        V("COPY", final=("COPY app.py /app/",)),
    ],
    "base-image-pinned": [
        V("no tag", base="debian"), V(":latest", base="debian:latest"),
        V("version tag", base="debian:12.5"),
        V("digest", base="debian@sha256:" + "ab" * 32),
        V("ARG with default", preamble=("ARG BASE=debian:12.5",), base="${BASE}"),
        V("ARG without default", preamble=("ARG BASE",), base="${BASE}"),
        V("registry port, no tag", base="localhost:5000/debian"),
    ],
    "no-secrets-in-arg-env": [
        V("ENV password literal", final=("ENV DB_PASSWORD=hunter2hunter2",)),
        V("ARG token without default", final=("ARG API_TOKEN",)),
        V("ENV GPG_KEY fingerprint",
          final=("ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",)),
        V("ENV AWS secret", final=("ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCY",)),
        V("ENV *_FILE path", final=("ENV PASSWORD_FILE=/run/secrets/db",)),
        V("ENV URL with password", final=("ENV DATABASE_URL=postgres://app:s3cretpw@db/app",)),
        V("none"),
    ],
    "no-sudo": [
        V("sudo in RUN", final=("RUN sudo apt-get install -y curl",)),
        V("installs the sudo package", final=("RUN apk add --no-cache sudo",)),
        V("none"),
    ],
    "no-insecure-downloads": [
        V("curl -k", final=("RUN curl -fsSLk https://example.com/x -o /x",)),
        V("wget --no-check-certificate", final=("RUN wget -q --no-check-certificate "
                                                "https://example.com/y",)),
        V("curl piped to sh", final=("RUN curl -fsSL https://get.example.com | sh",)),
        V("pip --trusted-host", final=("RUN pip install --no-cache-dir --trusted-host "
                                       "pypi.example.com flask==3.0",)),
        V("curl to a file", final=("RUN curl -fsSL https://example.com/x -o /x",)),
        V("none"),
    ],
    "package-cache-cleaned": [
        V("apt lists removed", final=("RUN apt-get update && apt-get install -y --no-install-"
                                      "recommends git=1 && rm -rf /var/lib/apt/lists/*",)),
        V("apt lists left", final=("RUN apt-get update && apt-get install -y --no-install-"
                                   "recommends git=1",)),
        V("apk add --no-cache", final=("RUN apk add --no-cache git=2.43",)),
        V("apk add", final=("RUN apk add git=2.43",)),
        V("pip without --no-cache-dir", final=("RUN pip install flask==3.0",)),
        V("apt lists left in builder only", builder=("RUN apt-get update && apt-get install -y "
                                                     "--no-install-recommends gcc=12",)),
    ],
    "no-ssh-port": [
        V("EXPOSE 22", final=("EXPOSE 22",)), V("EXPOSE 22/tcp 80", final=("EXPOSE 22/tcp 80",)),
        V("EXPOSE 8080", final=("EXPOSE 8080",)), V("EXPOSE 2222", final=("EXPOSE 2222",)),
        V("EXPOSE 22 in builder only", builder=("EXPOSE 22",)),
    ],
}


def render(choice: dict[str, Variant]) -> str:
    preamble = [line for v in choice.values() for line in v.preamble]
    builder = [line for v in choice.values() for line in v.builder]
    final = [line for v in choice.values() for line in v.final]
    base = choice["base-image-pinned"].base or "debian:12.5"
    from_builder = any(v.final_from_builder for v in choice.values())
    lines = [*preamble, "FROM golang:1.22 AS builder", "WORKDIR /src", "COPY . .", *builder,
             "RUN go build -o /out/app ."]
    lines.append("FROM builder" if from_builder else f"FROM {base}")
    lines += ["COPY --from=builder /out/app /usr/local/bin/app", *final,
              'ENTRYPOINT ["/usr/local/bin/app"]']
    return "\n".join(lines) + "\n"


def generate(out: Path, count: int, seed: int = 7) -> dict[str, dict[str, str]]:
    """Write ``count`` Dockerfiles; return ``{file name: {concept: variant name}}``."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, str]] = {}
    for i in range(count):
        choice = {concept: rng.choice(variants) for concept, variants in CONCEPTS.items()}
        if any(v.final_from_builder for v in choice.values()):
            choice["base-image-pinned"] = CONCEPTS["base-image-pinned"][2]  # final FROM builder
        name = f"df{i:04d}.Dockerfile"
        (out / name).write_text(render(choice))
        index[name] = {c: v.name for c, v in choice.items()}
    (out / "index.json").write_text(json.dumps(index, indent=1))
    return index


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 500)
