"""From the manifest's ``compute`` section (or ``profile``) to a :data:`ProfileSource`."""

from __future__ import annotations

from floe_core._errors import ProfileError
from floe_core._invocation import GeneratedProfile, ProfilesDirProfile, ProfileSource
from floe_core.manifest import PlatformManifest
from floe_core.warehouses import compute_output

__all__ = ["GENERATED_PROFILE_NAME", "profile_source_for"]

GENERATED_PROFILE_NAME = "floe"

_COMPUTE_EXAMPLE = """add a compute section to the manifest, e.g.
    compute:
      type: duckdb
      config: {path: .floe/warehouse/warehouse.duckdb, threads: 4}
  or point at an existing profiles.yml:
    profile: {profiles_dir: ~/.dbt, profile_name: my_profile}"""


def profile_source_for(manifest: PlatformManifest) -> ProfileSource:
    """The dbt profile of ``manifest``: generated from ``compute``, or its ``profile``.

    Generated outputs carry ``${env:NAME}`` as dbt ``{{ env_var('NAME') }}``, so no secret
    value is ever part of an invocation or written to disk.
    """
    if manifest.compute is not None:
        target = manifest.project.target or "dev"
        outputs = {target: compute_output(manifest)}
        for other in manifest.compute.targets:
            outputs[other] = compute_output(manifest, other)
        return GeneratedProfile(profile_name=GENERATED_PROFILE_NAME, target=target, outputs=outputs)
    if manifest.profile is not None:
        return ProfilesDirProfile(
            profiles_dir=manifest.resolve_path(manifest.profile.profiles_dir),
            profile_name=manifest.profile.profile_name,
        )
    where = str(manifest.source_path) if manifest.source_path is not None else "the manifest"
    raise ProfileError(
        f"{where}: no dbt profile: the manifest has neither 'compute' nor 'profile'",
        hint=_COMPUTE_EXAMPLE,
    )
