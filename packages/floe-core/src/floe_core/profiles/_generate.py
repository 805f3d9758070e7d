"""From the manifest's ``compute`` section (or ``profile``) to a :data:`ProfileSource`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_core._errors import ProfileError
from floe_core._invocation import GeneratedProfile, ProfilesDirProfile, ProfileSource
from floe_core.manifest import (
    DuckDBCompute,
    PlatformManifest,
    PostgresCompute,
    render_dbt_env_vars,
)

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
        output = render_dbt_env_vars(_dbt_output(manifest.compute, manifest))
        return GeneratedProfile(
            profile_name=GENERATED_PROFILE_NAME, target=target, outputs={target: output}
        )
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


def _dbt_output(compute: DuckDBCompute | PostgresCompute, manifest: PlatformManifest) -> Any:
    if isinstance(compute, DuckDBCompute):
        duckdb = compute.config
        path = duckdb.path
        if path != ":memory:" and not path.startswith("md:"):
            resolved = manifest.resolve_path(path)
            if resolved.is_dir():
                where = manifest.locate("compute.config.path") or "compute.config.path"
                raise ProfileError(
                    f"{where}: compute.config.path {resolved} is a folder, not a DuckDB file",
                    hint=f"name the database file, e.g. `path: {Path(path) / 'warehouse.duckdb'}`",
                )
            path = str(resolved)
        output: dict[str, Any] = {
            "type": "duckdb",
            "path": path,
            "schema": duckdb.schema_,
            "threads": duckdb.threads,
        }
        if duckdb.extensions:
            output["extensions"] = list(duckdb.extensions)
        if duckdb.settings:
            output["settings"] = dict(duckdb.settings)
        return output
    postgres = compute.config
    output = {
        "type": "postgres",
        "host": postgres.host,
        "port": postgres.port,
        "user": postgres.user,
        # dbt-postgres requires the key; empty lets libpq fall back to PGPASSWORD / .pgpass.
        "password": postgres.password or "",
        "dbname": postgres.dbname,
        "schema": postgres.schema_,
        "threads": postgres.threads,
        "connect_timeout": postgres.connect_timeout,
    }
    if postgres.sslmode is not None:
        output["sslmode"] = postgres.sslmode
    return output
