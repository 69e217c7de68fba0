"""Credentials written into the environment."""

from __future__ import annotations

from collections.abc import Iterator

from ...detect.secrets import scan_env
from ...findings import Finding
from ...runsettings.model import RunSettings
from ._register import runsettings_check, spell, who


@runsettings_check(
    "no-secrets-in-env", title="No literal credentials in the environment", severity="high",
    refs=("CL-0020", "CL-0021", "CIS 4.10", "CIS-DI-0010"),
    remediation="Pass credentials as secrets (Compose `secrets:`, a `*_FILE` variable reading "
                "/run/secrets/...) or from the deployment's environment (`${VAR}`), never as "
                "a literal.")
def no_secrets_in_env(s: RunSettings) -> Iterator[Finding]:
    fallback = s.locate("environment")
    how = spell(s, "use a Compose secret or ${VAR} from the environment",
                "pass it as a mounted secret file")
    inherited = set(s.image.env) if s.image and s.kind == "container" else set()
    for name, value in s.environment.items():
        # A container's Env merges its image's ENV: say where the value was written.
        origin = (f", from the ENV of its image {s.image.ref if s.image else ''}; rebuild the "
                  f"image without it and {how}" if f"{name}={value}" in inherited else
                  f"; {how}")
        for hit in scan_env(name, value, s.env_syntax):
            yield Finding(f"{who(s)} sets {hit.key} to {hit.what} ({hit.evidence}) in plain "
                          f"text{origin}",
                          s.key_locations.get(f"environment.{name}", fallback),
                          extra={"detector": hit.detector})
