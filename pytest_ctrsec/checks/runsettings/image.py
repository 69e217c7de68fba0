"""The image reference a service or container runs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...errors import CannotEvaluate
from ...findings import Finding
from ...runsettings.imageref import ImageRef, parse_image_ref
from ...runsettings.model import RunSettings
from ._register import runsettings_check, who

_IMAGE_ID = re.compile(r"(?:sha256:)?([0-9a-f]{12,64})")


def _ref(s: RunSettings) -> ImageRef:
    if s.image_unset:
        raise CannotEvaluate(f"{who(s)} names image {s.image_unset!r} from variables that are "
                             f"not set here, so the reference is incomplete; give them "
                             f"(environment, .env or --ctrsec-compose-env-file) to check it")
    if not s.image_ref:
        raise CannotEvaluate(f"{who(s)} names no image (it is built from `build:`); pinning "
                             f"applies to the Dockerfile's FROM (dockerfile.base-image-pinned)")
    if s.image_built:
        raise CannotEvaluate(f"{who(s)} only builds its image (pull_policy: {s.image_built}), so "
                             f"{s.image_ref} names the local build, never pulled; pinning "
                             f"applies to the Dockerfile's FROM (dockerfile.base-image-pinned)")
    return parse_image_ref(s.image_ref)


def by_image_id(s: RunSettings) -> bool:
    """Whether a container was created from its image's id (``docker run 3e254329ae76``):
    the id is the digest of the image's config, so it names fixed content like a digest."""
    match = _IMAGE_ID.fullmatch(s.image_ref or "")
    return bool(match and s.image_id and
                s.image_id.removeprefix("sha256:").startswith(match.group(1)))


@runsettings_check(
    "image-pinned", title="Image pinned to a fixed tag", severity="medium",
    refs=("CL-0004", "DKL-DI-0006"),
    remediation="Use a version tag (`nginx:1.27.2`) or a digest (`nginx@sha256:...`), not "
                "`latest` or another moving tag.")
def image_pinned(s: RunSettings) -> Iterator[Finding]:
    ref = _ref(s)
    if ref.moving and not by_image_id(s):
        tag = f"tag {ref.tag!r}" if ref.tag else "no tag (implied latest)"
        yield Finding(f"{who(s)} runs image {s.image_ref} with {tag}, which moves; pin a "
                      f"version tag or a digest", s.locate("image_ref"))


@runsettings_check(
    "image-digest-pinned", title="Image pinned by digest", severity="low", refs=("CL-0019",),
    remediation="Append the digest: `image: nginx:1.27.2@sha256:<digest>` (see "
                "`docker buildx imagetools inspect`).")
def image_digest_pinned(s: RunSettings) -> Iterator[Finding]:
    ref = _ref(s)
    if not ref.digest_pinned and not by_image_id(s):
        yield Finding(f"{who(s)} runs image {s.image_ref} without an @sha256: digest, so its "
                      f"content can change under the same tag; append the digest",
                      s.locate("image_ref"))
