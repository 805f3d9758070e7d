"""The commented starter manifest ``floe init`` writes."""

from __future__ import annotations

import json

__all__ = ["starter_manifest"]

_TEMPLATE = """\
# floe platform manifest: WHERE dbt runs. Data engineers keep writing ordinary dbt models;
# this file picks the runtime, the warehouse and observability for them.
apiVersion: floe.dev/v1
kind: PlatformManifest

metadata:
  name: {name}

# The dbt project floe runs (relative to this file) and its default target/vars.
project:
  dir: {project_dir}
  target: dev
  vars: {{}}

plugins:
  dbt_runtime:
    # An installed runtime (`floe plugins list` shows them): local | cloud | temporal.
    type: {runtime}
    # Options of that runtime, checked by the runtime itself.
    config: {{}}

{profile_section}# compute:
#   type: postgres
#   config:
#     host: localhost
#     port: 5432
#     user: analytics
#     password: ${{env:PG_PASSWORD}}
#     dbname: analytics
#     schema: public
#     threads: 8
#
{profile_alternative}
# Run results, logs and dbt artifacts.
artifacts:
  type: local
  path: .floe/artifacts

observability:
  lineage:
    enabled: false          # true: emit OpenLineage events
  tracing:
    enabled: false          # true: emit OpenTelemetry spans
"""


_COMPUTE = """\
# floe generates the dbt profile from `compute`; secrets are referenced, never written here.
# Types: duckdb | postgres | snowflake | bigquery | redshift | databricks | trino (and any a
# package registers in entry point group floe.warehouses); see docs/manifest-reference.md.
compute:
  type: duckdb
  config:
    path: .floe/warehouse/warehouse.duckdb
    threads: 4
"""

_EXISTING_PROFILE = """\
# The project's own dbt profile (profiles.yml), as the dbt CLI uses it.
profile:
  profiles_dir: {profiles_dir}
  profile_name: {profile_name}
# ... or floe generates the profile from `compute` instead:
# compute:
#   type: duckdb
#   config:
#     path: .floe/warehouse/warehouse.duckdb
#     threads: 4
"""

_PROFILE_ALTERNATIVE = """\
# ... or use an existing profiles.yml instead of `compute`:
# profile:
#   profiles_dir: ~/.dbt
#   profile_name: my_profile
"""


def starter_manifest(
    project_dir: str = ".",
    runtime: str = "local",
    name: str = "floe",
    *,
    profiles_dir: str | None = None,
    profile_name: str | None = None,
) -> str:
    """A commented platform-manifest.yaml for ``floe init`` that loads as is: with a
    ``profile:`` section for an existing profiles.yml (``profiles_dir``), else ``compute``."""
    # JSON strings are valid YAML scalars and keep names like "yes" or "123" strings.
    if profiles_dir is not None:
        section = _EXISTING_PROFILE.format(
            profiles_dir=json.dumps(profiles_dir), profile_name=json.dumps(profile_name)
        )
        alternative = ""
    else:
        section, alternative = _COMPUTE, _PROFILE_ALTERNATIVE
    return _TEMPLATE.format(
        name=json.dumps(name),
        project_dir=json.dumps(project_dir),
        runtime=json.dumps(runtime),
        profile_section=section,
        profile_alternative=alternative,
    )
